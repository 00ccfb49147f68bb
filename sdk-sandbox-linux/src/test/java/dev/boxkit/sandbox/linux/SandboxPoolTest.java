package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.SandboxPool;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSetupException;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import dev.boxkit.testing.ExternalTools;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Warm pools ({@link Sandbox#pool}): each run gets a sandbox set up ahead and used once; the pool
 * refills in the background and leaves no process, thread or fd behind when closed.
 */
class SandboxPoolTest {
  @TempDir Path tmp;

  private static final String PATH = "/usr/bin:/bin:/usr/sbin:/sbin";

  private static SandboxSpec sh(String script) {
    return Sandboxes.sh(script).build();
  }

  private static SandboxSpec run(SandboxPool pool, String script) {
    return pool.spec().toBuilder().command("/bin/sh", "-c", script).build();
  }

  @Test
  void runsGiveTheirOwnOutputAndExitCode() {
    try (SandboxPool pool = Sandbox.pool(sh("true"), 2)) {
      ExecResult a = pool.run(run(pool, "echo one; echo err >&2; exit 3"));
      ExecResult b = pool.run("/bin/echo", "two");
      assertEquals(3, a.exitCode(), a.stderrText());
      assertEquals("one\n", a.stdoutText());
      assertEquals("err\n", a.stderrText());
      assertEquals(0, b.exitCode(), b.stderrText());
      assertEquals("two\n", b.stdoutText());
      assertEquals(2, pool.size());
    }
  }

  @Test
  void envAdditionsAndStdinArePerRun() {
    try (SandboxPool pool = Sandbox.pool(sh("true").toBuilder().env("FIXED", "f").build(), 1)) {
      ExecResult r = pool.run(pool.spec().toBuilder().env("EXTRA", "e")
          .command("/bin/sh", "-c", "echo $FIXED $EXTRA $PATH; cat; echo read-eof").build());
      assertEquals("f e " + PATH + "\nread-eof\n", r.stdoutText(), r.stderrText());
      ExecResult plain = pool.run(run(pool, "echo ${EXTRA:-unset}"));
      assertEquals("unset\n", plain.stdoutText(), "an addition is for its run only");
    }
  }

  @Test
  void eachSandboxIsUsedOnce() {
    SandboxSpec spec = sh("true").toBuilder().mount(Mount.tmpfs("/mnt", 1 << 20)).build();
    try (SandboxPool pool = Sandbox.pool(spec, 1)) {
      ExecResult first = pool.run(run(pool, "echo secret > /mnt/left; echo $$; ls -A /mnt"));
      ExecResult second = pool.run(run(pool, "echo $$; ls -A /mnt"));
      assertEquals("2\nleft\n", first.stdoutText(), first.stderrText());
      // Its own pid namespace again (the program is pid 2, under init), and no file of run 1.
      assertEquals("2\n", second.stdoutText(), "the file run 1 wrote is absent in run 2");
    }
  }

  @Test
  void refillsAfterEveryRun() {
    try (SandboxPool pool = Sandbox.pool(sh("true"), 1)) {
      for (int i = 0; i < 6; i++) {
        ExecResult r = pool.run("/bin/echo", "run" + i);
        assertEquals("run" + i + "\n", r.stdoutText(), r.stderrText());
      }
    }
  }

  @Test
  void aLongRunHoldsBackTheRefillOfItsSlotOnlyBriefly() throws Exception {
    ExecutorService threads = Executors.newSingleThreadExecutor();
    try (SandboxPool pool = Sandbox.pool(sh("true"), 1)) {
      pool.run("/bin/true"); // the first sandbox was taken and its slot refilled
      Future<ExecResult> longRun = threads.submit(() -> pool.run(run(pool, "sleep 5; echo long")));
      // The refill of its slot starts REFILL_DELAY_MS after it began, not when it ends.
      ExecResult next = pool.run("/bin/echo", "next");
      assertEquals("next\n", next.stdoutText(), next.stderrText());
      assertTrue(!longRun.isDone(), "the second run waited for the first to end");
      assertEquals("long\n", longRun.get().stdoutText());
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void concurrentRunsFromSeveralThreads() throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try (SandboxPool pool = Sandbox.pool(sh("true"), 2)) {
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        String word = "w" + i;
        results.add(threads.submit(() -> pool.run("/bin/echo", word).stdoutText()));
      }
      for (int i = 0; i < 16; i++) {
        assertEquals("w" + i + "\n", results.get(i).get());
      }
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void startHandsOverTheStreams() throws IOException {
    try (SandboxPool pool = Sandbox.pool(sh("true"), 1);
        SandboxProcess p = pool.start(pool.spec().toBuilder().stdin(Stdio.pipe()).command("/bin/cat").build())) {
      p.stdin().write("through\n".getBytes(StandardCharsets.UTF_8));
      p.stdin().close();
      assertEquals("through\n", new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8));
      assertEquals(0, p.waitFor().exitCode());
    }
  }

  @Test
  void timeoutAndMissingProgramArePerRun() {
    try (SandboxPool pool = Sandbox.pool(sh("true"), 1)) {
      ExecResult slow = pool.run(pool.spec().toBuilder().command("/bin/sleep", "30")
          .limits(ResourceLimits.builder().timeout(Duration.ofMillis(300)).build()).build());
      assertTrue(slow.timedOut(), slow.toString());
      SandboxSetupException e = assertThrows(SandboxSetupException.class, () -> pool.run("/no/such/program"));
      assertEquals("exec", e.step());
      assertEquals(2, e.errno());
      assertEquals("ok\n", pool.run("/bin/echo", "ok").stdoutText(), "the pool goes on");
    }
  }

  @Test
  void aFailedSetUpIsThrownByTheRunThatTakesIt() {
    // The host root is read-only: the mount point cannot be created.
    SandboxSpec spec = sh("true").toBuilder().mount(Mount.tmpfs("/no-such-dir", 4096)).build();
    try (SandboxPool pool = Sandbox.pool(spec, 1)) {
      for (int i = 0; i < 2; i++) {
        SandboxSetupException e = assertThrows(SandboxSetupException.class, () -> pool.run("/bin/true"));
        assertEquals("mount-tmpfs", e.step(), e.getMessage());
        assertEquals(Optional.of("/no-such-dir"), e.path());
      }
    }
  }

  @Test
  void fieldsFixedByThePoolAreRefusedByName() {
    try (SandboxPool pool = Sandbox.pool(sh("true"), 1)) {
      SandboxSpec.Builder b = pool.spec().toBuilder();
      assertEquals("hostname", refused(pool, pool.spec().toBuilder().hostname("other")));
      assertEquals("mounts", refused(pool, pool.spec().toBuilder().mount(Mount.tmpfs("/x", 4096))));
      assertEquals("limits.memoryBytes", refused(pool, pool.spec().toBuilder()
          .limits(ResourceLimits.builder().memoryBytes(1 << 26).build())));
      assertEquals("workingDir", refused(pool, pool.spec().toBuilder().workingDir("/tmp")));
      assertEquals("uid", refused(pool, pool.spec().toBuilder().user(5, 0)));
      assertEquals("stdin", refused(pool, b.stdin(Stdio.file(tmp.resolve("in")))));
      assertEquals(List.of("argv", "env", "stdin", "limits.timeout"), SandboxPool.PER_RUN_FIELDS);
      assertEquals(0, pool.run("/bin/true").exitCode(), "nothing refused was run");
    }
  }

  @Test
  void aRefusedRunLeavesThePoolAtItsSize() throws Exception {
    Sandboxes.run("true");
    waitFor(() -> children().isEmpty(), "the warm-up's helper reaped");
    Set<Long> before = children();
    try (SandboxPool pool = Sandbox.pool(sh("true"), 1)) {
      SandboxSpec other = pool.spec().toBuilder().hostname("other").build();
      for (int i = 0; i < 3; i++) {
        assertThrows(InvalidSandboxSpecException.class, () -> pool.start(other));
        assertThrows(InvalidSandboxSpecException.class, () -> pool.run(other));
      }
      waitFor(() -> added(before, children()).size() >= 1, "the pool's sandbox waiting");
      // A refusal that gave back a slot it never took would let the pool set up one more each.
      long end = System.nanoTime() + 1_000_000_000L;
      while (System.nanoTime() < end) {
        assertEquals(1, added(before, children()).size(), "one sandbox waiting, as the pool's size says");
        Thread.sleep(20);
      }
      assertEquals("ok\n", pool.run("/bin/echo", "ok").stdoutText());
    }
  }

  private static String refused(SandboxPool pool, SandboxSpec.Builder run) {
    SandboxSpec spec = run.build();
    return assertThrows(InvalidSandboxSpecException.class, () -> pool.run(spec)).field();
  }

  @Test
  void aPoolOfNoSandboxesAndWhatCannotBePooledAreRefused() {
    Sandboxes.require();
    assertEquals("size", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandbox.pool(sh("true"), 0)).field());
    assertEquals("size", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandbox.pool(sh("true"), -1)).field());
    assertEquals("ports", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandbox.pool(sh("true").toBuilder().publish(8080).build(), 1)).field());
    assertEquals("stdout", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandbox.pool(sh("true").toBuilder().stdout(Stdio.file(tmp.resolve("out"))).build(), 1)).field());
  }

  @Test
  void closeKillsWaitingSandboxesAndLeavesNoProcessThreadOrFd() throws Exception {
    Sandboxes.run("true"); // loads the helper and JNA before the baseline
    // A cold run returns at its exit record and its helper is reaped just after: not part of
    // the baseline, or the count below would wait for one child too many.
    waitFor(() -> children().isEmpty(), "the warm-up's helper reaped");
    Set<Long> children = children();
    Set<String> threads = boxkitThreads();
    Set<String> fds = pipeFds();
    SandboxPool pool = Sandbox.pool(sh("true"), 3);
    try {
      assertEquals("x\n", pool.run("/bin/echo", "x").stdoutText());
      waitFor(() -> added(children, children()).size() >= 3, "three sandboxes waiting");
      assertTrue(boxkitThreads().containsAll(List.of("boxkit-pool-refill", "boxkit-pool-reaper")));
    } finally {
      pool.close(); // also when an assertion failed: no sandbox of this test outlives it
    }
    pool.close(); // idempotent
    // Only what the pool made is compared: something of an earlier test may end meanwhile.
    assertEquals(Set.of(), added(children, children()), "every waiting sandbox killed and reaped");
    assertEquals(Set.of(), added(threads, boxkitThreads()), "the refill and reaper threads ended");
    assertEquals(Set.of(), added(fds, pipeFds()), "every pipe closed");
    assertThrows(SandboxException.class, () -> pool.run("/bin/true"));
  }

  /** Checks printed as "name=value" lines, compared by the test. */
  public static final class Main {
    public static void main(String[] args) {
      try (SandboxPool pool = Sandbox.pool(Sandbox.builder().command("/bin/true")
          .env("PATH", PATH).user(Long.parseLong(args[0]), 0).build(), 2)) {
        for (int i = 0; i < 3; i++) {
          ExecResult r = pool.run(pool.spec().toBuilder().command("/bin/sh", "-c", "echo " + i + " $(id -u)").build());
          System.out.println("run=" + r.exitCode() + "|" + r.stdoutText().strip() + "|" + r.stderrText().strip());
        }
      }
      System.out.println("refill-threads=" + Thread.getAllStackTraces().keySet().stream()
          .filter(t -> t.getName().equals("boxkit-pool-refill")).count());
    }
  }

  @Test
  void worksWithoutRoot() throws Exception {
    Sandboxes.require();
    // Without root every other test here already takes the rootless path.
    Assumptions.assumeTrue(LibC.INSTANCE.geteuid() == 0, "only root can switch to an unprivileged user");
    Path runuser = ExternalTools.require("runuser", "util-linux");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    List<String> cp = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path p = Path.of(entry);
      if (Files.isRegularFile(p)) { // jars in a private Maven repository: copy them somewhere readable
        Path copy = tmp.resolve(cp.size() + "-" + p.getFileName());
        Files.copy(p, copy, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
        p = copy;
      }
      cp.add(p.toString());
    }
    Process child = new ProcessBuilder(runuser.toString(), "-u", "nobody", "--",
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", String.join(":", cp),
        Main.class.getName(), "1234").directory(tmp.toFile()).redirectErrorStream(true).start();
    String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, child.waitFor(), out);
    for (int i = 0; i < 3; i++) {
      assertTrue(out.contains("run=0|" + i + " 1234|"), out);
    }
    assertTrue(out.contains("refill-threads=0"), out);
  }

  private static <T> Set<T> added(Set<T> before, Set<T> after) {
    Set<T> added = new TreeSet<>(after);
    added.removeAll(before);
    return added;
  }

  private static Set<Long> children() {
    return ProcessHandle.current().children().map(ProcessHandle::pid).collect(Collectors.toCollection(TreeSet::new));
  }

  private static Set<String> boxkitThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
        .filter(n -> n.startsWith("boxkit-")).collect(Collectors.toCollection(TreeSet::new));
  }

  /** This JVM's fds that are pipes, as "fd -> pipe:[inode]". */
  private static Set<String> pipeFds() throws IOException {
    Set<String> out = new TreeSet<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : fds.toList()) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("pipe:")) {
            out.add(fd.getFileName() + " -> " + target);
          }
        } catch (IOException e) {
          // closed while listing (the listing's own fd)
        }
      }
    }
    return out;
  }

  private static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    for (int i = 0; i < 600 && !condition.getAsBoolean(); i++) {
      Thread.sleep(50);
    }
    assertTrue(condition.getAsBoolean(), what + " within 30 s");
  }
}
