package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.linux.cgroup.Cgroups;
import dev.boxkit.sandbox.SandboxSetupException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Limits through the sandbox's own cgroup, and rlimits; the cgroup is gone afterwards. */
class ResourceLimitsTest {

  /**
   * @return whether a cgroup can be made; without one (rootless, nothing delegated) the limits
   *     must fail closed, which is checked here instead
   */
  private static boolean cgroupsOrFailClosed(ResourceLimits limits) {
    Sandboxes.require();
    if (Cgroups.detect().isPresent()) {
      return true;
    }
    SandboxSetupException e = assertThrows(SandboxSetupException.class,
        () -> Sandboxes.sh("true").limits(limits).run());
    assertEquals("cgroup", e.step());
    assertTrue(e.getMessage().contains("delegated"), e.getMessage());
    return false;
  }

  private static long boxkitCgroups() throws IOException {
    long n = 0;
    for (Path root : List.of(Path.of("/sys/fs/cgroup"), Path.of("/sys/fs/cgroup/memory"),
        Path.of("/sys/fs/cgroup/pids"), Path.of("/sys/fs/cgroup/unified"))) {
      if (Files.isDirectory(root)) {
        try (Stream<Path> s = Files.walk(root, 4)) {
          n += s.filter(p -> p.getFileName() != null && p.getFileName().toString().startsWith("boxkit-")).count();
        }
      }
    }
    return n;
  }

  @Test
  void memoryLimitOomKillsOnlyTheSandbox() throws IOException {
    if (!cgroupsOrFailClosed(ResourceLimits.builder().memoryBytes(32L << 20).build())) {
      return;
    }
    long before = boxkitCgroups();
    ExecResult r = Sandboxes.sh("head -c 400000000 /dev/zero | tail -n 1 >/dev/null; echo survived")
        .limits(ResourceLimits.builder().memoryBytes(32L << 20).build()).run();
    assertTrue(r.oomKilled(), r.toString() + r.stderrText());
    assertTrue(r.peakMemoryBytes().isPresent(), r.toString());
    assertEquals(before, boxkitCgroups(), "the sandbox's cgroup was not removed");
  }

  @Test
  void pidsLimitContainsAForkBomb() {
    if (!cgroupsOrFailClosed(ResourceLimits.builder().pidsMax(16).build())) {
      return;
    }
    ExecResult r = Sandboxes.sh("n=0; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30;"
        + " do (sleep 2 &) 2>/dev/null && n=$((n+1)); done; echo $n")
        .limits(ResourceLimits.builder().pidsMax(16).timeout(java.time.Duration.ofSeconds(20)).build()).run();
    int started = Integer.parseInt(r.stdoutText().trim());
    // sh counts too (BoxKit's monitor and init do not: they are added on top): at most 15 sleeps
    assertTrue(started > 0 && started <= 15, "started " + started + " of 30 under pidsMax 16");
    assertFalse(r.timedOut());
  }

  @Test
  void pidsMaxCountsTheProgramsProcessesOnly() {
    if (!cgroupsOrFailClosed(ResourceLimits.builder().pidsMax(2).build())) {
      return;
    }
    String forkOnce = "/bin/true & wait $! && echo forked";
    ExecResult two = Sandboxes.sh(forkOnce).limits(ResourceLimits.builder().pidsMax(2).build()).run();
    assertEquals("forked\n", two.stdoutText(), "sh and one child fit in pidsMax(2): " + two.stderrText());
    ExecResult one = Sandboxes.sh(forkOnce).limits(ResourceLimits.builder().pidsMax(1).build()).run();
    assertEquals("", one.stdoutText(), "pidsMax(1) leaves no room for a child");
    assertTrue(one.stderrText().contains("fork") || one.stderrText().contains("Resource"), one.stderrText());
  }

  @Test
  void aMissingWorkingDirectoryIsCreatedWhereTheRootIsWritable() throws java.io.IOException {
    Sandboxes.require();
    ExecResult tmp = Sandboxes.sh("pwd").mount(dev.boxkit.sandbox.Mount.tmpfs("/mnt", 1 << 20))
        .workingDir("/mnt/a/b").run();
    assertEquals("/mnt/a/b\n", tmp.stdoutText(), tmp.stderrText());
    dev.boxkit.sandbox.SandboxSetupException e = org.junit.jupiter.api.Assertions.assertThrows(
        dev.boxkit.sandbox.SandboxSetupException.class, () -> Sandboxes.sh("pwd").workingDir("/no-such-dir").run());
    assertEquals("chdir", e.step());
    assertTrue(e.getMessage().contains("missing and cannot be created") && e.getMessage().contains("EROFS"),
        e.getMessage());
  }

  @Test
  void timeoutKillsASandboxWithACgroupAndRemovesIt() throws IOException {
    ResourceLimits limits = ResourceLimits.builder().pidsMax(64).timeout(java.time.Duration.ofMillis(300)).build();
    if (!cgroupsOrFailClosed(limits)) {
      return;
    }
    long before = boxkitCgroups();
    ExecResult r = Sandboxes.sh("sleep 30 & sleep 30").limits(limits).run();
    assertTrue(r.timedOut(), r.toString());
    assertEquals(before, boxkitCgroups(), "the sandbox's cgroup was not removed");
  }

  @Test
  void withoutLimitsNoCgroupIsMadeAndPeakIsUnknown() {
    ExecResult r = Sandboxes.run("true");
    assertTrue(r.peakMemoryBytes().isEmpty());
    assertFalse(r.oomKilled());
  }

  @Test
  void openFilesAndCoreRlimitsApply() {
    ExecResult r = Sandboxes.sh("ulimit -n; ulimit -c")
        .limits(ResourceLimits.builder().openFiles(64).build()).run();
    assertEquals("64\n0\n", r.stdoutText());
  }
}
