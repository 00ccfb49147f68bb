package dev.boxkit.sandbox.linux.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Creates real cgroups on this host (whatever {@link Cgroups#detect()} finds) and runs processes in them. */
@Timeout(120)
class CgroupRealTest {
  private static final long MIB = 1024 * 1024;
  private CgroupController controller;

  @BeforeEach
  void controller() {
    Cgroups.Detection d = Cgroups.detectWithReasons();
    // Unprivileged without a delegated subtree, cgroups are rightly unavailable: the sandbox
    // tests check that limits then fail closed. As root they must be there.
    Assumptions.assumeTrue(d.controller().isPresent() || "root".equals(System.getProperty("user.name")),
        "no writable cgroup as an unprivileged user: " + d.reasons());
    ExternalTools.requireHost(d.controller().isPresent(),
        "no writable cgroup hierarchy with memory and pids controllers (run as root or with a "
            + "delegated cgroup v2 subtree): " + d.reasons());
    controller = d.controller().get();
  }

  private static String uniqueName() {
    return "boxkit-test-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Starts {@code script} stopped at its first {@code read}, so it can be moved in before it forks. */
  private static Process startWaiting(String script) throws IOException {
    return new ProcessBuilder("/bin/sh", "-c", "read go; " + script).start();
  }

  private static void release(Process p) throws IOException {
    OutputStream in = p.getOutputStream();
    in.write('\n');
    in.flush();
  }

  @Test
  void processJoinsIsKilledAndTheCgroupIsRemoved() throws Exception {
    String name = uniqueName();
    Cgroup cg = controller.create(name, CgroupLimits.builder().pidsMax(100).build());
    List<Path> dirs = cg.procsFiles().stream().map(Path::getParent).toList();
    dirs.forEach(d -> assertTrue(Files.isDirectory(d), d.toString()));
    Process p = startWaiting("exec sleep 30");
    try {
      assertFalse(cg.pids().contains(p.pid()));
      cg.addProcess(p.pid());
      release(p);
      String procCgroup = Files.readString(Path.of("/proc/" + p.pid() + "/cgroup"));
      long lines = procCgroup.lines().filter(l -> l.endsWith("/" + name)).count();
      assertEquals(cg.procsFiles().size(), lines, procCgroup);
      assertTrue(cg.pids().contains(p.pid()), cg.pids().toString());

      cg.killAll();
      assertTrue(p.waitFor(10, TimeUnit.SECONDS));
      assertEquals(128 + 9, p.exitValue());
      assertEquals(Set.of(), cg.pids());
    } finally {
      p.destroyForcibly();
      cg.close();
    }
    dirs.forEach(d -> assertFalse(Files.exists(d), d + " still exists"));
    cg.close(); // idempotent
    assertThrows(CgroupException.class, () -> cg.addProcess(p.pid()));
  }

  @Test
  void closeKillsEverythingInside() throws Exception {
    Cgroup cg = controller.create(uniqueName(), CgroupLimits.UNLIMITED);
    Process p = startWaiting("sleep 30 & sleep 30 & sleep 30; wait");
    try {
      cg.addProcess(p.pid());
      release(p);
      for (int i = 0; i < 500 && cg.pids().size() < 4; i++) {
        Thread.sleep(10);
      }
      assertEquals(4, cg.pids().size(), "sh and three sleeps: " + cg.pids());
      Set<Long> inside = cg.pids();
      cg.close();
      assertTrue(p.waitFor(10, TimeUnit.SECONDS));
      for (long pid : inside) {
        assertTrue(deadOrZombie(pid), "pid " + pid + " survived");
      }
    } finally {
      p.destroyForcibly();
      cg.close();
    }
  }

  @Test
  void pidsLimitStopsAForkLoop() throws Exception {
    Cgroup cg = controller.create(uniqueName(), CgroupLimits.builder().pidsMax(5).build());
    // Forks 20 sleepers; sh exits at the first fork the kernel refuses.
    Process p = startWaiting("i=0; while [ $i -lt 20 ]; do sleep 600 >/dev/null 2>&1 & i=$((i+1)); done; wait");
    try {
      cg.addProcess(p.pid());
      release(p);
      int max = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!p.waitFor(2, TimeUnit.MILLISECONDS) && System.nanoTime() < deadline) {
        max = Math.max(max, cg.pids().size());
      }
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertFalse(p.isAlive(), "the fork loop was not stopped");
      assertTrue(err.toLowerCase().contains("fork"), "expected a fork failure, stderr: " + err);
      assertTrue(max <= 5, "saw " + max + " processes with pids.max 5");
      // sh plus four sleepers made five; the fifth sleeper was refused, and sh has exited.
      assertEquals(4, cg.pids().size(), cg.pids().toString());
    } finally {
      p.destroyForcibly();
      cg.close();
    }
  }

  @Test
  void memoryLimitEndsInTheOomKiller() throws Exception {
    long limit = 32 * MIB;
    Cgroup cg = controller.create(uniqueName(), CgroupLimits.builder().memoryBytes(limit).pidsMax(20).build());
    // tail keeps a line without newline in memory: 200 MiB of zeros, far over the limit.
    Process p = startWaiting("head -c 200M /dev/zero | tail > /dev/null");
    try {
      cg.addProcess(p.pid());
      assertFalse(cg.oomKilled());
      release(p);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the allocation was not stopped");
      assertNotEquals(0, p.exitValue());
      assertTrue(cg.oomKilled(), "oom_kill not reported");
      OptionalLong peak = cg.peakMemoryBytes();
      if (cg.version() == CgroupVersion.V1 || peak.isPresent()) {
        assertTrue(peak.isPresent());
        assertTrue(peak.getAsLong() > limit / 2 && peak.getAsLong() <= limit + MIB,
            "peak " + peak.getAsLong() + " for a limit of " + limit);
      }
    } finally {
      p.destroyForcibly();
      cg.close();
    }
  }

  @Test
  void limitsAreWrittenToTheKernelFiles() throws Exception {
    CgroupLimits limits = CgroupLimits.builder().memoryBytes(64 * MIB).pidsMax(7).cpu(50_000, 0).build();
    boolean cpu = controller.version() == CgroupVersion.V2
        ? CgroupFiles.words(controller.parents().get(0).resolve("cgroup.subtree_control")).contains("cpu")
        : controller.parents().size() == 3;
    if (!cpu) {
      limits = CgroupLimits.builder().memoryBytes(64 * MIB).pidsMax(7).build();
    }
    try (Cgroup cg = controller.create(uniqueName(), limits)) {
      List<Path> d = cg.procsFiles().stream().map(Path::getParent).toList();
      if (cg.version() == CgroupVersion.V1) {
        assertEquals(64 * MIB, read(d.get(0), "memory.limit_in_bytes"));
        if (Files.exists(d.get(0).resolve("memory.memsw.limit_in_bytes"))) {
          assertEquals(64 * MIB, read(d.get(0), "memory.memsw.limit_in_bytes"));
        }
        assertEquals(7, read(d.get(1), "pids.max"));
        if (cpu) {
          assertEquals(50_000, read(d.get(2), "cpu.cfs_quota_us"));
          assertEquals(100_000, read(d.get(2), "cpu.cfs_period_us"));
        }
      } else {
        assertEquals(64 * MIB, read(d.get(0), "memory.max"));
        assertEquals(7, read(d.get(0), "pids.max"));
        assertEquals("50000 100000", Files.readString(d.get(0).resolve("cpu.max")).trim());
      }
    }
  }

  @Test
  void existingCgroupIsNeverReused() {
    String name = uniqueName();
    try (Cgroup first = controller.create(name, CgroupLimits.UNLIMITED)) {
      CgroupException e = assertThrows(CgroupException.class, () -> controller.create(name, CgroupLimits.UNLIMITED));
      assertTrue(e.getMessage().contains("already exists"), e.getMessage());
      first.procsFiles().forEach(f -> assertTrue(Files.exists(f), "the first cgroup was harmed: " + f));
    }
  }

  @Test
  void failedCreateLeavesNothingBehind() throws Exception {
    Assumptions.assumeTrue(controller.parents().size() > 1, "needs cgroup v1 (several hierarchies)");
    String name = uniqueName();
    Path blocker = controller.parents().get(1).resolve(name);
    Files.createDirectory(blocker); // a cgroup of that name exists in the second hierarchy only
    try {
      assertThrows(CgroupException.class, () -> controller.create(name, CgroupLimits.UNLIMITED));
      assertFalse(Files.exists(controller.parents().get(0).resolve(name)), "first hierarchy's dir was left behind");
      assertTrue(Files.isDirectory(blocker), "the existing cgroup was removed");
    } finally {
      Files.delete(blocker);
    }
  }

  /** Orphans killed with their cgroup are reaped by init in its own time; a zombie is dead. */
  private static boolean deadOrZombie(long pid) {
    Path stat = Path.of("/proc/" + pid + "/stat");
    try {
      String s = Files.readString(stat);
      return s.substring(s.lastIndexOf(')') + 2).startsWith("Z");
    } catch (IOException e) {
      return !Files.exists(stat);
    }
  }

  private static long read(Path dir, String file) throws IOException {
    return Long.parseLong(Files.readString(dir.resolve(file)).trim());
  }

}
