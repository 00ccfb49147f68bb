package dev.boxkit.sandbox.linux.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Drives {@link CgroupV2Controller} on the real cgroup2 filesystem under this process's own v2
 * cgroup, even where the memory and pids controllers live in v1 (hybrid hosts): joining, listing,
 * {@code cgroup.kill}, removal, and a limit whose controller is off failing cleanly. Skipped where
 * no cgroup2 directory is writable; on v2 hosts {@link CgroupRealTest} covers the limits.
 */
class CgroupV2KernelTest {
  private Path parent;

  @BeforeEach
  void ownV2Cgroup() throws Exception {
    Optional<Cgroups.Mount> m = Cgroups.Mount.parseAll(Files.readAllLines(Path.of("/proc/self/mountinfo")))
        .stream().filter(x -> x.fsType().equals("cgroup2")).findFirst();
    assumeTrue(m.isPresent(), "no cgroup2 mount");
    Map<String, String> self = Cgroups.parseProcCgroup(Files.readAllLines(Path.of("/proc/self/cgroup")));
    Optional<Path> dir = m.get().dirOf(self.getOrDefault("", "?"));
    assumeTrue(dir.isPresent() && Files.isWritable(dir.get()), "own cgroup2 directory not writable");
    parent = dir.get();
  }

  @Test
  void joinKillAndRemove() throws Exception {
    String name = "boxkit-test-" + UUID.randomUUID().toString().substring(0, 8);
    Cgroup cg = new CgroupV2Controller(parent).create(name, CgroupLimits.UNLIMITED);
    Path dir = parent.resolve(name);
    assertEquals(dir.resolve("cgroup.procs"), cg.procsFile());
    Process p = new ProcessBuilder("sleep", "30").start();
    try {
      cg.addProcess(p.pid());
      assertTrue(Files.readString(Path.of("/proc/" + p.pid() + "/cgroup"), StandardCharsets.UTF_8)
          .lines().anyMatch(l -> l.startsWith("0::") && l.endsWith("/" + name)));
      assertEquals(Set.of(p.pid()), cg.pids());
      cg.killAll();
      assertTrue(p.waitFor(10, TimeUnit.SECONDS));
      assertEquals(128 + 9, p.exitValue());
      assertEquals(Set.of(), cg.pids());
      if (!Files.exists(dir.resolve("memory.events"))) {
        assertFalse(cg.oomKilled());
        assertEquals(OptionalLong.empty(), cg.peakMemoryBytes());
      }
    } finally {
      p.destroyForcibly();
      cg.close();
    }
    assertFalse(Files.exists(dir));
  }

  @Test
  void limitWithoutItsControllerFailsAndLeavesNothing() {
    assumeTrue(!CgroupFiles.words(parent.resolve("cgroup.subtree_control")).contains("pids"),
        "pids is enabled here");
    String name = "boxkit-test-" + UUID.randomUUID().toString().substring(0, 8);
    CgroupException e = assertThrows(CgroupException.class,
        () -> new CgroupV2Controller(parent).create(name, CgroupLimits.builder().pidsMax(5).build()));
    assertTrue(e.getMessage().contains("pids.max"), e.getMessage());
    assertFalse(Files.exists(parent.resolve(name)), "half-made cgroup left behind");
  }
}
