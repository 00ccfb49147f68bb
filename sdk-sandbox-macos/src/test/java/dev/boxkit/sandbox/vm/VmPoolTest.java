package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.SandboxPool;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSetupException;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Warm VM pools ({@link VmSandboxProvider#pool}): real QEMU guests booted ahead, each used for one
 * run and killed after. TCG boots take seconds, so the pools here are small and runs few.
 */
class VmPoolTest {
  @TempDir static Path tmp;
  private static VmSandboxProvider provider;
  private static SandboxSpec spec;

  @BeforeAll
  static void setUp() throws Exception {
    provider = TestVms.qemuProvider();
    Path root = TestVms.rootWith(Files.createDirectories(tmp.resolve("root")),
        List.of("/bin/sh", "/bin/cat", "/bin/ls", "/bin/sleep"));
    spec = SandboxSpec.builder().root(Rootfs.directory(root)).mount(Mount.tmpfs("/tmp", 1 << 20))
        .env("FIXED", "f").command("/bin/true").build();
  }

  private static SandboxSpec sh(SandboxPool pool, String script) {
    return pool.spec().toBuilder().command("/bin/sh", "-c", script).build();
  }

  @Test
  void runsGetTheirOwnOutputExitCodeEnvAndStdin() throws IOException {
    try (SandboxPool pool = provider.pool(spec, 1)) {
      ExecResult a = pool.run(pool.spec().toBuilder().env("EXTRA", "e").stdin(Stdio.pipe())
          .command("/bin/sh", "-c", "echo $FIXED $EXTRA; cat; echo read-eof; echo err >&2; exit 3").build());
      assertEquals("f e\nread-eof\n", a.stdoutText(), a.stderrText());
      assertEquals("err\n", a.stderrText());
      assertEquals(3, a.exitCode());
      ExecResult discarded = pool.run(pool.spec().toBuilder().stdin(Stdio.discard())
          .command("/bin/sh", "-c", "cat; echo discarded").build());
      assertEquals("discarded\n", discarded.stdoutText(), discarded.stderrText());
      try (SandboxProcess p = pool.start(pool.spec().toBuilder().stdin(Stdio.pipe())
          .command("/bin/sh", "-c", "echo ${EXTRA:-unset}; cat").build())) {
        p.stdin().write("through\n".getBytes(StandardCharsets.UTF_8));
        p.stdin().close();
        assertEquals("unset\nthrough\n", new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8),
            "an env addition is for its run only; stdin is the run's");
        assertEquals(0, p.waitFor().exitCode());
      }
    }
  }

  @Test
  void aFileWrittenInOneRunIsAbsentInTheNextAndThePoolRefills() {
    try (SandboxPool pool = provider.pool(spec, 1)) {
      ExecResult first = pool.run(sh(pool, "echo secret > /tmp/left; ls -A /tmp"));
      assertEquals("left\n", first.stdoutText(), first.stderrText());
      for (int i = 0; i < 2; i++) { // each run takes a VM the refill thread booted after the last
        ExecResult next = pool.run(sh(pool, "ls -A /tmp; echo run" + i));
        assertEquals("run" + i + "\n", next.stdoutText(), "the file run 1 wrote is absent: " + next.stderrText());
      }
    }
  }

  @Test
  void aWritableShareHoldsWhatTheRunWroteWhenItReturnsAndAFailedExecIsNamed() throws IOException {
    Path shared = Files.createDirectories(tmp.resolve("shared"));
    SandboxSpec withShare = spec.toBuilder().mount(Mount.bind(shared, "/data").readWrite()).build();
    try (SandboxPool pool = provider.pool(withShare, 1)) {
      // The status comes only after the guest synced the share: the file is there, whole.
      ExecResult w = pool.run(sh(pool, "i=0; while [ $i -lt 200 ]; do echo line$i; i=$((i+1)); done > /data/out"));
      assertEquals(0, w.exitCode(), w.stderrText());
      List<String> lines = Files.readAllLines(shared.resolve("out"));
      assertEquals(200, lines.size());
      assertEquals("line199", lines.get(199));
      // A pooled VM's program is set up ahead; an exec that fails still names the program.
      SandboxSetupException e = assertThrows(SandboxSetupException.class,
          () -> pool.run(pool.spec().toBuilder().command("/bin/no-such-program").build()));
      assertEquals("exec", e.step());
      assertEquals("/bin/no-such-program", e.path().orElseThrow());
    }
  }

  @Test
  void theTimeoutCountsFromTheRunsRequest() {
    try (SandboxPool pool = provider.pool(spec, 1)) {
      ExecResult slow = pool.run(pool.spec().toBuilder().command("/bin/sleep", "600")
          .limits(ResourceLimits.builder().timeout(Duration.ofSeconds(2)).build()).build());
      assertTrue(slow.timedOut(), slow.toString());
      assertEquals(9, slow.signal().orElse(0), slow.toString());
    }
  }

  @Test
  void concurrentRunsFromTwoThreads() throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try (SandboxPool pool = provider.pool(spec, 2)) {
      List<Future<String>> results = Stream.of("w0", "w1", "w2")
          .map(w -> threads.submit(() -> pool.run(sh(pool, "echo " + w)).stdoutText())).toList();
      for (int i = 0; i < results.size(); i++) {
        assertEquals("w" + i + "\n", results.get(i).get());
      }
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void fieldsFixedByThePoolAreRefusedByName() throws Exception {
    try (SandboxPool pool = provider.pool(spec, 1)) {
      assertEquals("mounts", refused(pool, pool.spec().toBuilder().mount(Mount.tmpfs("/x", 4096))));
      assertEquals("limits.memoryBytes", refused(pool, pool.spec().toBuilder()
          .limits(ResourceLimits.builder().memoryBytes(256L << 20).build())));
      assertEquals("hostname", refused(pool, pool.spec().toBuilder().hostname("other")));
      assertEquals("stdin", refused(pool, pool.spec().toBuilder().stdin(Stdio.file(tmp.resolve("in")))));
    }
    assertEquals("size", assertThrows(InvalidSandboxSpecException.class, () -> provider.pool(spec, 0)).field());
    assertEquals("ports", assertThrows(InvalidSandboxSpecException.class,
        () -> provider.pool(spec.toBuilder().publish(8080).build(), 1)).field());
  }

  private static String refused(SandboxPool pool, SandboxSpec.Builder run) {
    SandboxSpec s = run.build();
    return assertThrows(InvalidSandboxSpecException.class, () -> pool.run(s)).field();
  }

  @Test
  void closeKillsWaitingAndBootingVmsAndLeavesNoProcessThreadOrFd() throws Exception {
    Set<Long> children = children();
    Set<String> threads = boxkitThreads();
    Set<String> fds = pipeAndSocketFds();
    SandboxPool pool = provider.pool(spec, 2);
    assertEquals("x\n", pool.run(sh(pool, "echo x")).stdoutText());
    // One VM waits, the other boots (or waits); the run's own VM may not be killed yet.
    waitFor(() -> hypervisors(children).size() >= 2, "two pooled VMs started");
    assertTrue(boxkitThreads().contains("boxkit-vm-pool-refill"));
    pool.close();
    pool.close(); // idempotent
    assertEquals(Set.of(), hypervisors(children), "every pooled VM killed and reaped");
    assertEquals(Set.of(), added(children, children()), "no helper process left");
    assertEquals(Set.of(), added(threads, boxkitThreads()), "the refill thread ended");
    waitFor(() -> added(fds, pipeAndSocketFds()).isEmpty(), "every pipe and socket closed");
    assertThrows(SandboxException.class, () -> pool.run("/bin/true"));
  }

  private static <T> Set<T> added(Set<T> before, Set<T> after) {
    Set<T> added = new TreeSet<>(after);
    added.removeAll(before);
    return added;
  }

  private static Set<Long> children() {
    return ProcessHandle.current().children().map(ProcessHandle::pid).collect(Collectors.toCollection(TreeSet::new));
  }

  /** The JVM's live child processes not in {@code before} whose command is a QEMU system emulator. */
  private static Set<Long> hypervisors(Set<Long> before) {
    return ProcessHandle.current().children().filter(ProcessHandle::isAlive)
        .filter(h -> !before.contains(h.pid()))
        .filter(h -> h.info().command().map(c -> c.contains("qemu-system")).orElse(false))
        .map(ProcessHandle::pid).collect(Collectors.toCollection(TreeSet::new));
  }

  private static Set<String> boxkitThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
        .filter(n -> n.startsWith("boxkit-")).collect(Collectors.toCollection(TreeSet::new));
  }

  /** This JVM's fds that are pipes or sockets, as "fd -> pipe:[inode]". */
  private static Set<String> pipeAndSocketFds() throws IOException {
    Set<String> out = new TreeSet<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : fds.toList()) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("pipe:") || target.startsWith("socket:")) {
            out.add(fd.getFileName() + " -> " + target);
          }
        } catch (IOException e) {
          // closed while listing (the listing's own fd)
        }
      }
    }
    return out;
  }

  private interface Check {
    boolean holds() throws Exception;
  }

  private static void waitFor(Check condition, String what) throws Exception {
    for (int i = 0; i < 600; i++) {
      if (condition.holds()) {
        return;
      }
      Thread.sleep(50);
    }
    assertTrue(condition.holds(), what + " within 30 s");
  }
}
