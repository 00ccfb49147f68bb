package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Memory returned to the host: a guest program touches 512 MiB and frees it; with the balloon's
 * free page reporting the QEMU process's resident memory falls back, instead of keeping the most
 * the guest ever touched.
 */
class MemoryReturnTest {
  private static final Logger LOG = LoggerFactory.getLogger(MemoryReturnTest.class);
  private static final long MIB = 1L << 20;

  @TempDir static Path tmp;
  private static VmSandboxProvider provider;
  private static Path root;

  @BeforeAll
  static void setUp() throws Exception {
    provider = TestVms.qemuProvider();
    root = TestVms.rootWith(Files.createDirectories(tmp.resolve("root")),
        List.of("/bin/sh", "/bin/dd", "/bin/sleep"));
  }

  /** @return the process's resident memory in bytes (VmRSS, shared memory included) */
  private static long rss(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IOException("no VmRSS for pid " + pid);
  }

  @Test
  void memoryAGuestFreesGoesBackToTheHost() throws Exception {
    SandboxSpec spec = SandboxSpec.builder().root(Rootfs.directory(root))
        .limits(ResourceLimits.builder().memoryBytes(1024 * MIB).timeout(Duration.ofSeconds(120)).build())
        .stdout(Stdio.pipe())
        // dd's 512 MiB buffer is written whole by each read of /dev/zero, then freed at exit.
        .command("/bin/sh", "-c", "dd if=/dev/zero of=/dev/null bs=512M count=2 2>/dev/null;"
            + " echo freed; sleep 60")
        .build();
    try (SandboxProcess p = provider.start(spec)) {
      long pid = p.pid();
      // The peak is sampled while dd runs: under load the first sample after "freed" may already
      // be past the start of free page reporting.
      java.util.concurrent.atomic.AtomicLong peak = new java.util.concurrent.atomic.AtomicLong();
      Thread sampler = new Thread(() -> {
        while (!Thread.currentThread().isInterrupted()) {
          try {
            peak.accumulateAndGet(rss(pid), Math::max);
            Thread.sleep(50);
          } catch (IOException | InterruptedException e) {
            return;
          }
        }
      }, "rss-sampler");
      sampler.setDaemon(true);
      sampler.start();
      BufferedReader out = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.UTF_8));
      assertTrue("freed".equals(out.readLine()), "the program ran");
      long low = Long.MAX_VALUE;
      long start = System.nanoTime();
      // Free page reporting runs about 2 s after pages are freed; TCG makes it slower.
      while (System.nanoTime() - start < Duration.ofSeconds(30).toNanos() && peak.get() - low < 384 * MIB) {
        Thread.sleep(250);
        low = Math.min(low, rss(pid));
      }
      sampler.interrupt();
      double seconds = (System.nanoTime() - start) / 1e9;
      LOG.info("QEMU RSS: {} MiB at most while the guest held 512 MiB, then {} MiB within {} s of the free",
          peak.get() / MIB, low / MIB, String.format("%.1f", seconds));
      assertTrue(peak.get() >= 512 * MIB, "the guest's 512 MiB were resident on the host: " + peak.get() / MIB + " MiB");
      assertTrue(peak.get() - low >= 384 * MIB, "at least 384 of the freed 512 MiB returned: RSS went from "
          + peak.get() / MIB + " to " + low / MIB + " MiB in " + seconds + " s");
      p.kill();
    }
  }
}
