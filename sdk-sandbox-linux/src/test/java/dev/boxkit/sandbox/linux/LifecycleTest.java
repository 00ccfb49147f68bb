package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSetupException;
import dev.boxkit.sandbox.Stdio;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** start/wait/signal/kill/close, timeouts, JVM death, and what is left behind afterwards. */
class LifecycleTest {
  @TempDir Path tmp;

  /** Host pids whose command line contains {@code marker}. */
  static List<Long> hostProcessesWith(String marker) {
    List<Long> found = new ArrayList<>();
    try (var dirs = Files.list(Path.of("/proc"))) {
      for (Path p : dirs.toList()) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
          if (cmd.contains(marker)) {
            found.add(Long.parseLong(name));
          }
        } catch (IOException gone) {
          // exited meanwhile
        }
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return found;
  }

  static void awaitGone(String marker) throws InterruptedException {
    for (int i = 0; i < 100 && !hostProcessesWith(marker).isEmpty(); i++) {
      Thread.sleep(50);
    }
    assertEquals(List.of(), hostProcessesWith(marker), "sandbox processes survived");
  }

  static String marker() {
    return "1000." + Math.abs(UUID.randomUUID().getMostSignificantBits() % 1_000_000_000L);
  }

  @Test
  void timeoutKillsTheWholeSandbox() throws InterruptedException {
    String m = marker();
    ExecResult r = Sandboxes.sh("sleep " + m + " & sleep " + m)
        .limits(ResourceLimits.builder().timeout(Duration.ofMillis(300)).build()).run();
    assertTrue(r.timedOut());
    assertEquals(9, r.signal().orElse(-1));
    awaitGone(m);
  }

  @Test
  void startWaitAndStreams() throws IOException {
    try (SandboxProcess p = Sandboxes.sh("read line; echo \"got $line\"; echo err >&2; exit 3")
        .stdin(Stdio.pipe()).start()) {
      try (OutputStream in = p.stdin()) {
        in.write("hello\n".getBytes(StandardCharsets.UTF_8));
      }
      assertEquals("got hello\n", new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8));
      assertEquals("err\n", new String(p.stderr().readAllBytes(), StandardCharsets.UTF_8));
      assertEquals(3, p.waitFor().exitCode());
      assertEquals(3, p.onExit().join().exitCode());
    }
  }

  @Test
  void signalsAreForwardedToTheProgram() throws IOException {
    try (SandboxProcess p = Sandboxes.sh("trap 'echo got-term; exit 42' TERM; echo ready; while :; do sleep 0.02; done").start()) {
      BufferedReader out = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.UTF_8));
      assertEquals("ready", out.readLine());
      p.signal(15);
      assertEquals("got-term", out.readLine());
      assertEquals(42, p.waitFor().exitCode());
    }
  }

  @Test
  @SuppressWarnings("try") // the resource is held open, not used
  void killAndCloseEndEveryProcessOfTheSandbox() throws InterruptedException, IOException {
    String m = marker();
    SandboxProcess p = Sandboxes.sh("sleep " + m + " & sleep " + m + " & echo ready; wait").start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.UTF_8));
    assertEquals("ready", out.readLine());
    assertEquals(Optional.empty(), p.waitFor(Duration.ofMillis(100)));
    assertFalse(hostProcessesWith(m).isEmpty(), "control: the sleeps run");
    p.kill();
    ExecResult r = p.waitFor();
    assertEquals(9, r.signal().orElse(-1));
    awaitGone(m);
    p.close();
    p.close(); // idempotent

    String m2 = marker();
    try (SandboxProcess q = Sandboxes.sh("sleep " + m2 + " & sleep " + m2).start()) {
      for (int i = 0; i < 100 && hostProcessesWith(m2).size() < 2; i++) {
        Thread.sleep(20);
      }
    }
    awaitGone(m2);
  }

  @Test
  void setupFailureSurfacesThroughWaitFor() {
    Sandboxes.require();
    try (SandboxProcess p = dev.boxkit.sandbox.Sandbox.builder().command("/no/such").start()) {
      SandboxSetupException e = assertThrows(SandboxSetupException.class, p::waitFor);
      assertEquals("exec", e.step());
    }
  }

  @Test
  void survivesTheExitOfTheThreadThatStartedIt() throws Exception {
    String m = marker();
    AtomicReference<SandboxProcess> started = new AtomicReference<>();
    Thread t = new Thread(() -> started.set(Sandboxes.sh("sleep " + m).start()));
    t.start();
    t.join();
    try (SandboxProcess p = started.get()) {
      Thread.sleep(300);
      assertEquals(Optional.empty(), p.waitFor(Duration.ZERO), "the sandbox died with its starting thread");
      assertFalse(hostProcessesWith(m).isEmpty());
    }
    awaitGone(m);
  }

  /** Run by {@link #dieWithParentKillsTheSandboxWhenTheJvmIsKilled} in a child JVM. */
  public static final class ChildJvm {
    public static void main(String[] args) throws Exception {
      SandboxProcess p = Sandboxes.sh("sleep " + args[0]).start();
      System.out.println("started " + p.pid());
      System.out.flush();
      Thread.sleep(60_000);
    }
  }

  @Test
  void dieWithParentKillsTheSandboxWhenTheJvmIsKilled() throws Exception {
    Sandboxes.require();
    String m = marker();
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), ChildJvm.class.getName(), m)
        .redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      while (line != null && !line.startsWith("started")) {
        line = out.readLine(); // log lines of the child JVM come first
      }
      assertTrue(line != null && line.startsWith("started"), String.valueOf(line));
      for (int i = 0; i < 100 && hostProcessesWith(m).isEmpty(); i++) {
        Thread.sleep(20);
      }
      assertFalse(hostProcessesWith(m).isEmpty(), "control: the sandbox runs");
      child.destroyForcibly(); // SIGKILL: no shutdown hook runs
      child.waitFor();
      awaitGone(m);
    } finally {
      child.destroyForcibly();
    }
  }

  @Test
  void aThousandSandboxesLeaveNoFdZombieMountOrCgroupBehind() throws Exception {
    Sandboxes.require();
    boolean cgroups = dev.boxkit.sandbox.linux.cgroup.Cgroups.detect().isPresent();
    // Warm-up, one run of each kind: what is opened once per JVM and kept (the helper memfd,
    // libraries, /dev/urandom behind the cgroup names' UUIDs) is not a leak per run.
    Sandboxes.run("true");
    if (cgroups) {
      Sandboxes.sh("true").limits(ResourceLimits.builder().pidsMax(64).build()).run();
    }
    eventually(() -> ProcessHandle.current().children().count() == 0, "the warm-up's helper reaped");
    java.util.Map<String, String> fdsBefore = openFds();
    long cgroupsBefore = boxkitCgroups();
    String mountsBefore = Files.readString(Path.of("/proc/self/mountinfo"));
    for (int i = 0; i < 1000; i++) {
      var spec = Sandboxes.sh("exit " + (i % 7));
      if (cgroups && i % 50 == 0) {
        spec.limits(ResourceLimits.builder().pidsMax(64).build()); // every 50th gets its own cgroup
      }
      assertEquals(i % 7, spec.run().exitCode());
    }
    // The last helpers may still be reaped off the runs' thread (see the test below).
    eventually(() -> ProcessHandle.current().children().count() == 0, "helpers left unreaped");
    // Only fds opened since count: one an earlier test left to a late cleaner may close meanwhile.
    for (int i = 0; i < 200 && !opened(fdsBefore).isEmpty(); i++) {
      Thread.sleep(50);
    }
    assertEquals(java.util.Map.of(), opened(fdsBefore), "file descriptors leaked (after 10 s)");
    assertEquals(mountsBefore, Files.readString(Path.of("/proc/self/mountinfo")), "mounts leaked");
    assertEquals(cgroupsBefore, boxkitCgroups(), "cgroups leaked");
  }

  @Test
  void aRunThatCanWriteHostTreesReturnsOnlyOnceItsHelperIsReaped() throws Exception {
    Sandboxes.require();
    // Nothing to measure, release or write outside: the run returns at the program's exit
    // record and its helper is reaped soon after, on the reaper thread.
    assertEquals(0, Sandboxes.run("true").exitCode());
    eventually(() -> ProcessHandle.current().children().count() == 0, "the helper was never reaped");
    // A writable bind: no process of the sandbox may still be ending (a write in flight) when
    // run returns, so its helper is reaped before.
    Path w = Files.createDirectories(tmp.resolve("w"));
    if (LibC.INSTANCE.geteuid() == 0) {
      Files.setAttribute(w, "unix:uid", 1000); // a root JVM binds no root-owned tree writable
      Files.setAttribute(w, "unix:gid", 1000);
    }
    for (int i = 0; i < 20; i++) {
      ExecResult r = Sandboxes.sh("echo x > /tmp/w/f").mount(dev.boxkit.sandbox.Mount.bind(w, "/tmp/w").readWrite()).run();
      assertEquals(0, r.exitCode(), r.stderrText());
      assertEquals(0, ProcessHandle.current().children().count(), "helper still there after run " + i);
    }
  }

  private interface Check {
    boolean holds() throws Exception;
  }

  private static void eventually(Check check, String what) throws Exception {
    for (int i = 0; i < 200 && !check.holds(); i++) {
      Thread.sleep(50);
    }
    assertTrue(check.holds(), what + " (after 10 s)");
  }

  private static long boxkitCgroups() throws IOException {
    long n = 0;
    for (Path root : List.of(Path.of("/sys/fs/cgroup"))) {
      try (var s = Files.walk(root, 5)) {
        n += s.filter(p -> p.getFileName() != null && p.getFileName().toString().startsWith("boxkit-")).count();
      } catch (java.io.UncheckedIOException e) {
        // a cgroup removed while walking
      }
    }
    return n;
  }

  @Test
  void concurrentSandboxesAllFinishWithTheirOwnExitCodes() throws Exception {
    Sandboxes.require();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        int code = i % 256;
        results.add(pool.submit(() -> Sandboxes.run("echo " + code + "; exit " + code).exitCode()));
      }
      for (int i = 0; i < results.size(); i++) {
        assertEquals(i % 256, results.get(i).get());
      }
    } finally {
      pool.shutdownNow();
    }
    eventually(() -> ProcessHandle.current().children().count() == 0, "helpers left unreaped");
  }

  /** @return the fds open now that were not open, or pointed elsewhere, in {@code before} */
  private static java.util.Map<String, String> opened(java.util.Map<String, String> before) throws IOException {
    java.util.Map<String, String> now = openFds();
    now.entrySet().removeIf(e -> e.getValue().equals(before.get(e.getKey())));
    return now;
  }

  /** This JVM's open fds, number to target, read through /proc/self/fd. */
  private static java.util.Map<String, String> openFds() throws IOException {
    java.util.Map<String, String> fds = new java.util.TreeMap<>();
    try (var s = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : s.toList()) {
        try {
          fds.put(fd.getFileName().toString(), Files.readSymbolicLink(fd).toString());
        } catch (IOException closed) {
          // the directory stream's own fd, closed by now
        }
      }
    }
    return fds;
  }
}
