package dev.boxkit.sandbox.linux;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSetupException;
import dev.boxkit.sandbox.SandboxSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sandbox seen from the JVM: the helper's pid, the plan pipe (held open as the lifeline the
 * monitor watches), the status pipe and the stdio pipes. {@link #supervise} drives it to its end
 * with one poll loop (status, and captured stdout/stderr for {@code run}), enforcing the
 * wall-clock timeout, then reaps the helper. The helper is only signalled while not yet reaped, so
 * a recycled pid is never hit.
 */
final class LinuxSandboxProcess implements SandboxProcess {
  private static final Logger LOG = LoggerFactory.getLogger(LinuxSandboxProcess.class);

  private final SandboxSpec spec;
  private final Plan plan;
  private final Spawner.Spawned spawned;
  private final SandboxResources resources;
  private final long startNanos;
  private final Object lock = new Object();
  private boolean reaped;
  /** kill() was called: a helper that then exits without an exit record ended by SIGKILL. */
  private volatile boolean killed;
  private final CompletableFuture<ExecResult> exit = new CompletableFuture<>();
  /** Host ports by sandbox port, complete once every published port listens or the run ended. */
  private final CompletableFuture<Map<Integer, Integer>> ports = new CompletableFuture<>();
  /** The pid a REPORT_CHILD op reported, or 0 when the run ended without one. */
  private final CompletableFuture<Integer> childPid = new CompletableFuture<>();
  /** True once init reported its root finished (op READY); false when the run ended first. */
  private final CompletableFuture<Boolean> ready = new CompletableFuture<>();
  /** What {@link #exec} needs to run another program in this sandbox; null where it cannot. */
  private volatile ExecContext execContext;

  /** The helper, filter and ids an exec into this sandbox runs with. */
  record ExecContext(HelperBinary helper, byte[] seccomp, long hostUid, long hostGid) {}

  /**
   * Status bytes read before {@link #supervise} (a pooled sandbox's, up to its AWAIT); set by
   * {@link #awaitReady} on the thread that then hands this object on.
   */
  private byte[] earlyStatus;

  /** See {@link #whenStillRunning}; null when nothing is due. Used by the supervising thread only. */
  private Runnable stillRunning;

  private long stillRunningAt;

  private LinuxSandboxProcess(SandboxSpec spec, Plan plan, Spawner.Spawned spawned,
      SandboxResources resources, long startNanos, byte[] earlyStatus) {
    this.spec = spec;
    this.plan = plan;
    this.spawned = spawned;
    this.resources = resources;
    this.startNanos = startNanos;
    this.earlyStatus = earlyStatus;
  }

  /** Spawns the helper, lets {@code resources} adopt it, then sends the plan. */
  static LinuxSandboxProcess launch(HelperBinary helper, SandboxSpec spec, Plan plan,
      SandboxResources resources) {
    return launch(helper, spec, plan, resources, false);
  }

  /**
   * As {@link #launch(HelperBinary, SandboxSpec, Plan, SandboxResources)}.
   *
   * @param pooled whether the plan ends in AWAIT: the plan fd then stays open for the request
   */
  static LinuxSandboxProcess launch(HelperBinary helper, SandboxSpec spec, Plan plan,
      SandboxResources resources, boolean pooled) {
    long start = System.nanoTime();
    Spawner.Spawned s = Spawner.spawn(helper, spec);
    LinuxSandboxProcess p = new LinuxSandboxProcess(spec, plan, s, resources, start, new byte[0]);
    try {
      resources.adopt(s.pid());
    } catch (RuntimeException e) {
      p.kill();
      p.supervise(null, null);
      throw e;
    }
    try {
      // With dieWithParent the write end stays open: its closing, JVM death included, is what
      // the monitor watches for.
      s.planWrite().outputStream().write(plan.bytes());
    } catch (IOException e) {
      LOG.debug("sandbox helper {} stopped reading its plan: {}", s.pid(), e.toString());
    } finally {
      if (!spec.dieWithParent() && !pooled) {
        s.planWrite().close();
      }
    }
    LOG.info("sandbox {} started: {} ({} ops, {} ms)", s.pid(), pooled ? "a pool's, waiting for its program"
        : spec.argv().get(0), plan.ops().size(), (System.nanoTime() - start) / 1_000_000);
    return p;
  }

  /**
   * A pooled sandbox: reads its status until its payload waits for a program (the READY record
   * op AWAIT writes), the sandbox ends (a failed step), or {@code stop} says to give up.
   *
   * @param stop polled about every 100 ms while waiting
   * @return whether it waits for its program; when not, {@link #setupFailure} says why (what was
   *     read is kept for it)
   */
  boolean awaitReady(java.util.function.BooleanSupplier stop) {
    ByteArrayOutputStream seen = new ByteArrayOutputStream(64);
    Memory pollfd = new Memory(8);
    Memory buf = new Memory(4096);
    while (!stop.getAsBoolean()) {
      pollfd.setInt(0, spawned.status().get());
      pollfd.setShort(4, LibC.POLLIN);
      pollfd.setShort(6, (short) 0);
      int r = DirectLibC.poll(pollfd, 1, 100);
      if (r <= 0) {
        continue; // a timeout, or EINTR
      }
      long got = spawned.status().read(buf, buf.size());
      if (got <= 0) {
        break; // ended before it waited: supervise() tells why
      }
      seen.write(buf.getByteArray(0, (int) got), 0, (int) got);
      if (StatusRecord.parse(seen.toByteArray()).stream().anyMatch(x -> x instanceof StatusRecord.Ready)) {
        earlyStatus = seen.toByteArray();
        return true;
      }
    }
    earlyStatus = seen.toByteArray();
    return false;
  }

  /**
   * Hands a waiting pooled sandbox its program: one write of the whole request on the plan fd.
   * The program may start from that write on; {@link #assigned} then makes the object that
   * supervises it.
   *
   * @param argv the run's program and arguments, already checked
   * @param env the run's whole environment, already checked
   * @param closeStdin close the program's stdin first (it reads end of file)
   * @return {@link System#nanoTime()} just before the write: the run's start
   */
  long request(List<String> argv, Map<String, String> env, boolean closeStdin) {
    byte[] request = RunRequest.encode(argv, env);
    if (closeStdin) {
      closeStdin();
    }
    long started = System.nanoTime();
    long done = 0;
    while (done < request.length) {
      // Below PIPE_BUF (the common case) one write does it; a longer one goes in the pipe's chunks.
      byte[] rest = done == 0 ? request : Arrays.copyOfRange(request, (int) done, request.length);
      long w = DirectLibC.write(spawned.planWrite().get(), rest, rest.length);
      if (w < 0) {
        int errno = Native.getLastError();
        if (errno == LibC.EINTR) {
          continue;
        }
        // The sandbox is gone: supervise() reports how it ended.
        LOG.debug("pooled sandbox {} did not take its request: {}", spawned.pid(), Errno.name(errno));
        break;
      }
      done += w;
    }
    return started;
  }

  /**
   * The run of a pooled sandbox that took its {@link #request}. This object must not be used
   * afterwards.
   *
   * @param run the launched spec with the run's argv, env, stdin and timeout
   * @param started what {@link #request} returned: the run is timed, and its timeout counted, from it
   * @return the object that supervises the run
   */
  LinuxSandboxProcess assigned(SandboxSpec run, long started) {
    LinuxSandboxProcess p = new LinuxSandboxProcess(run, plan, spawned, resources, started, earlyStatus);
    if (!run.dieWithParent()) {
      spawned.planWrite().close(); // as launch() does: nothing is watched through it
    }
    return p;
  }

  /**
   * Makes {@link #supervise} run {@code action} once, on its thread, when the run is still going
   * {@code afterNanos} after its start (no timer thread to wake per run).
   */
  void whenStillRunning(long afterNanos, Runnable action) {
    stillRunningAt = startNanos + afterNanos;
    stillRunning = action;
  }

  /** Kills a sandbox nobody will run, reaps it and releases its resources and fds. */
  void discard() {
    kill();
    try {
      supervise(null, null);
    } catch (RuntimeException e) {
      LOG.debug("discarded sandbox {}: {}", spawned.pid(), e.getMessage());
    }
    for (Fd fd : new Fd[] {spawned.stdin(), spawned.stdout(), spawned.stderr()}) {
      if (fd != null) {
        fd.close();
      }
    }
  }

  /**
   * Why a pooled sandbox never waited for its program: drives it to its end and returns the
   * failure its helper reported.
   */
  RuntimeException setupFailure() {
    try {
      supervise(null, null);
      return new SandboxException("pooled sandbox " + spawned.pid() + " ended before it waited for a program");
    } catch (RuntimeException e) {
      return e;
    } finally {
      for (Fd fd : new Fd[] {spawned.stdin(), spawned.stdout(), spawned.stderr()}) {
        if (fd != null) {
          fd.close();
        }
      }
    }
  }

  /** @return the spec this sandbox was launched with (users resolved, devices and proxy added) */
  SandboxSpec launchedSpec() {
    return spec;
  }

  /** Starts the background waiter used by {@link dev.boxkit.sandbox.Sandbox#start}. */
  LinuxSandboxProcess startWaiter() {
    Thread t = new Thread(() -> {
      try {
        exit.complete(supervise(null, null));
      } catch (Throwable e) {
        exit.completeExceptionally(e);
      }
    }, "boxkit-sandbox-" + spawned.pid());
    t.setDaemon(true);
    t.start();
    return this;
  }

  /** Caps what is kept of one output stream; the rest is read and dropped. */
  static final class Capture {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final long limit;

    Capture(long limit) {
      this.limit = limit;
    }

    void add(Memory buf, int n) {
      int keep = (int) Math.min(n, limit - bytes.size());
      if (keep > 0) {
        bytes.write(buf.getByteArray(0, keep), 0, keep);
      }
    }

    byte[] bytes() {
      return bytes.toByteArray();
    }
  }

  /**
   * Runs the poll loop until the status pipe (and the captured pipes) reach end of file, reaps
   * the helper and turns what it reported into a result.
   *
   * @throws SandboxSetupException when the helper reported a failed step
   */
  ExecResult supervise(Capture out, Capture err) {
    return supervise(out, err, null);
  }

  /**
   * As {@link #supervise(Capture, Capture)}; with {@code detach}, a sandbox that holds no
   * resources ({@link SandboxResources#NONE}: nothing to measure, keep or remove after it) and
   * whose stdout and stderr are pipes or discarded (no output still being copied) is done as
   * soon as init reported the program's end and the captured streams reached end of
   * file (every process of the sandbox is gone or being killed by then): reaping the helper,
   * which waits for the kernel to tear the namespaces down, goes to {@code detach}.
   *
   * @param detach runs the rest of the end; null to wait for it here
   */
  ExecResult supervise(Capture out, Capture err, java.util.concurrent.Executor detach) {
    if (resources != SandboxResources.NONE || !unproxied(spec.stdout()) || !unproxied(spec.stderr())) {
      detach = null; // something to measure or release, or output the monitor still copies
    }
    boolean exited = false;
    Duration timeout = spec.limits().timeout();
    long deadline = timeout.isZero() ? Long.MAX_VALUE : startNanos + timeout.toNanos();
    Capture status = new Capture(1 << 20);
    status.bytes.write(earlyStatus, 0, earlyStatus.length);
    // Parsed once per read of the status pipe; every use below reads this list.
    List<StatusRecord> records = StatusRecord.parse(status.bytes());
    Fd[] fds = {spawned.status(), out != null ? spawned.stdout() : null, err != null ? spawned.stderr() : null};
    Capture[] sinks = {status, out, err};
    boolean[] open = {true, fds[1] != null, fds[2] != null};
    Memory pollfds = new Memory(8L * fds.length);
    Memory buf = new Memory(65536);
    int[] slot = new int[fds.length];
    boolean timedOut = false;
    while (open[0] || open[1] || open[2]) {
      if (exited && !open[1] && !open[2]) {
        break;
      }
      int n = 0;
      for (int i = 0; i < fds.length; i++) {
        if (open[i]) {
          pollfds.setInt(8L * n, fds[i].get());
          pollfds.setShort(8L * n + 4, LibC.POLLIN);
          pollfds.setShort(8L * n + 6, (short) 0);
          slot[n++] = i;
        }
      }
      long wake = timedOut ? Long.MAX_VALUE : deadline;
      if (stillRunning != null) {
        wake = Math.min(wake, stillRunningAt);
      }
      int waitMs = -1;
      if (wake != Long.MAX_VALUE) {
        waitMs = (int) Math.min(Integer.MAX_VALUE, Math.max(0, (wake - System.nanoTime() + 999_999) / 1_000_000));
      }
      int r = DirectLibC.poll(pollfds, n, waitMs);
      if (stillRunning != null && System.nanoTime() - stillRunningAt >= 0) {
        Runnable due = stillRunning;
        stillRunning = null;
        due.run();
        if (r == 0) {
          continue;
        }
      }
      if (r < 0) {
        int errno = Native.getLastError();
        if (errno == LibC.EINTR) {
          continue;
        }
        kill();
        throw new SandboxException("poll on sandbox pipes: " + Errno.name(errno));
      }
      if (r == 0) {
        timedOut = true;
        LOG.debug("sandbox {} exceeded its timeout {}; killing it", spawned.pid(), timeout);
        kill();
        continue;
      }
      for (int k = 0; k < n; k++) {
        if (pollfds.getShort(8L * k + 6) == 0) {
          continue;
        }
        int i = slot[k];
        long got = fds[i].read(buf, buf.size());
        if (got > 0) {
          sinks[i].add(buf, (int) got);
          if (i == 0) {
            records = StatusRecord.parse(status.bytes());
            if (!(ports.isDone() && childPid.isDone() && ready.isDone())) {
              notePorts(records, false);
            }
            exited = detach != null && records.stream().anyMatch(x -> x instanceof StatusRecord.Exit);
          }
        } else if (got == 0 || got != -LibC.EAGAIN) {
          open[i] = false;
        }
      }
    }
    notePorts(records, true);
    if (open[0]) {
      return detached(records, out, err, timedOut, detach);
    }
    int wstatus = reap();
    spawned.planWrite().close();
    spawned.status().close();
    if (out != null) {
      spawned.stdout().close();
    }
    if (err != null) {
      spawned.stderr().close();
    }
    Duration wall = Duration.ofNanos(System.nanoTime() - startNanos);
    SandboxResources.Usage usage = resources.finish();
    ExecResult r;
    try {
      r = result(records, wstatus, wall, usage, timedOut, out, err);
    } catch (SandboxException e) {
      LOG.info("sandbox {} failed after {} ms: {}", spawned.pid(), wall.toMillis(), e.getMessage());
      throw e;
    }
    LOG.info("sandbox {} ended: exit {}{} after {} ms", spawned.pid(), r.exitCode(),
        r.timedOut() ? " (timed out)" : r.oomKilled() ? " (out of memory)" : "", wall.toMillis());
    return r;
  }

  /** @return whether the program writes this stream itself (the monitor copies nothing) */
  private static boolean unproxied(dev.boxkit.sandbox.Stdio stdio) {
    return stdio instanceof dev.boxkit.sandbox.Stdio.Pipe || stdio instanceof dev.boxkit.sandbox.Stdio.Discard;
  }

  /** The end of {@link #supervise} once the program's end is known: the rest goes to {@code detach}. */
  private ExecResult detached(List<StatusRecord> records, Capture out, Capture err, boolean timedOut,
      java.util.concurrent.Executor detach) {
    Duration wall = Duration.ofNanos(System.nanoTime() - startNanos);
    if (out != null) {
      spawned.stdout().close();
    }
    if (err != null) {
      spawned.stderr().close();
    }
    try {
      detach.execute(this::finishDetached);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      finishDetached();
    }
    ExecResult r;
    try {
      // The exit record is there, so the helper's wait status is not needed.
      r = result(records, 0, wall, new SandboxResources.Usage(OptionalLong.empty(), false),
          timedOut, out, err);
    } catch (SandboxException e) {
      LOG.info("sandbox {} failed after {} ms: {}", spawned.pid(), wall.toMillis(), e.getMessage());
      throw e;
    }
    LOG.info("sandbox {} ended: exit {}{} after {} ms", spawned.pid(), r.exitCode(),
        r.timedOut() ? " (timed out)" : "", wall.toMillis());
    return r;
  }

  /** Reaps the helper (once the kernel tore the namespaces down) and closes what is left. */
  private void finishDetached() {
    try {
      reap();
    } catch (RuntimeException e) {
      LOG.debug("reaping sandbox {}: {}", spawned.pid(), e.toString());
    } finally {
      spawned.planWrite().close();
      spawned.status().close();
      resources.finish();
    }
  }

  /** Completes {@link #ports} once every published port reported, or with what came at the end. */
  private void notePorts(List<StatusRecord> records, boolean ended) {
    Map<Integer, Integer> seen = new java.util.HashMap<>();
    for (StatusRecord r : records) {
      if (r instanceof StatusRecord.Port p) {
        seen.put(p.sandboxPort(), p.hostPort());
      } else if (r instanceof StatusRecord.Child c) {
        childPid.complete(c.pid());
      } else if (r instanceof StatusRecord.Ready) {
        ready.complete(true);
      }
    }
    if (ended) {
      childPid.complete(0);
      ready.complete(false);
    }
    if (ended || seen.size() == spec.ports().size()) {
      ports.complete(Map.copyOf(seen));
    }
  }

  /** Enables {@link #exec} with what the provider launched this sandbox with. */
  LinuxSandboxProcess execContext(ExecContext context) {
    this.execContext = context;
    return this;
  }

  /**
   * Runs {@code argv} inside this running sandbox, as {@code docker exec} does: the same root,
   * mounts, network, pids and ids, the spec's env, working directory, uid and gid, the same
   * seccomp filter and no capabilities; its processes count against the sandbox's cgroup. Output
   * is captured (up to the spec's capture limit); stdin is empty.
   *
   * @throws SandboxException when the sandbox is not running (or never reported its init)
   * @throws SandboxSetupException naming the step that failed, e.g. {@code exec} for a missing
   *     program
   */
  @Override
  public ExecResult exec(String... argv) {
    ExecContext ctx = execContext;
    if (ctx == null) {
      throw new SandboxException("this sandbox cannot run other programs (exec)");
    }
    if (ctx.hostUid() != 0) {
      // Entering the namespaces needs ptrace access to the sandbox's init, which is not dumpable
      // on purpose (its program must not reach it): only the host's root has that access.
      throw new SandboxException("exec into a running sandbox needs a JVM running as root for now;"
          + " without root, start a new sandbox on the same root and mounts instead");
    }
    if (exit.isDone() || childPid.getNow(-1) == 0) {
      throw new SandboxException("sandbox " + spawned.pid() + " is not running: nothing to exec into");
    }
    // Init reports its pid right after clone; joining its mount namespace before it pivoted
    // would see a half-built root.
    if (!ready.join()) {
      throw new SandboxException("sandbox " + spawned.pid() + " ended before its root was ready: nothing to exec into");
    }
    int init = childPid();
    SandboxSpec s = spec.toBuilder().argv(java.util.List.of(argv)).stdin(dev.boxkit.sandbox.Stdio.discard())
        .stdout(dev.boxkit.sandbox.Stdio.pipe()).stderr(dev.boxkit.sandbox.Stdio.pipe()).ports(java.util.List.of())
        .build();
    Plan p = PlanCompiler.execPlan(s, ctx.hostUid(), ctx.hostGid(), Optional.ofNullable(ctx.seccomp()), init,
        fd -> false);
    SandboxResources joined = new SandboxResources() {
      @Override
      public void adopt(int pid) {
        resources.adopt(pid); // the sandbox's cgroup: an exec'd program shares its limits
      }

      @Override
      public void killAll() {}

      @Override
      public Usage finish() {
        return new Usage(OptionalLong.empty(), false);
      }
    };
    LinuxSandboxProcess child = launch(ctx.helper(), s, p, joined);
    return child.supervise(new Capture(s.captureLimitBytes()), new Capture(s.captureLimitBytes()));
  }

  /**
   * @return the pid a REPORT_CHILD op reported (host pid namespace)
   * @throws SandboxException when the run ended without reporting one
   */
  int childPid() {
    int pid = childPid.join();
    if (pid == 0) {
      try {
        exit.get(10, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof SandboxException se) {
          throw se;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (java.util.concurrent.TimeoutException e) {
        // fall through
      }
      throw new SandboxException("sandbox helper " + spawned.pid() + " ended before it was ready");
    }
    return pid;
  }

  @Override
  public int mappedPort(int sandboxPort) {
    if (spec.ports().stream().noneMatch(p -> p.sandboxPort() == sandboxPort)) {
      throw new dev.boxkit.sandbox.InvalidSandboxSpecException("ports",
          "sandbox port " + sandboxPort + " was not published; published: " + spec.ports());
    }
    Integer host = ports.join().get(sandboxPort);
    if (host == null) {
      try {
        exit.get(10, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof SandboxException se) {
          throw se; // the setup failure, e.g. the host port in use
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (java.util.concurrent.TimeoutException e) {
        // fall through to the general message
      }
      throw new SandboxException("sandbox port " + sandboxPort + " was never published: the"
          + " sandbox ended before its host side listened");
    }
    return host;
  }

  private ExecResult result(List<StatusRecord> records, int wstatus, Duration wall,
      SandboxResources.Usage usage, boolean timedOut, Capture out, Capture err) {
    byte[] o = out != null ? out.bytes() : new byte[0];
    byte[] e = err != null ? err.bytes() : new byte[0];
    OptionalLong peak = usage.peakMemoryBytes();
    for (StatusRecord rec : records) {
      if (rec instanceof StatusRecord.Failure f && !timedOut) {
        String hint = f.step().equals(Op.EXEC.step) && f.errno() == 2 // ENOENT
            ? ": " + ExecFailureHint.forMissingProgram(spec) : "";
        throw new SandboxSetupException(f.step(), f.path().isEmpty() ? null : f.path(), f.errno(),
            Errno.name(f.errno()), plan.describe(f.opIndex()) + " (" + f.message() + ")" + hint);
      }
    }
    for (StatusRecord rec : records) {
      if (rec instanceof StatusRecord.Exit x) {
        return new ExecResult(x.code(), x.signal() == 0 ? OptionalInt.empty() : OptionalInt.of(x.signal()),
            o, e, wall, peak, usage.oomKilled(), timedOut, usage.egressDenied());
      }
    }
    int termSig = wstatus & 0x7f;
    if (termSig != 0) {
      // The sandbox was killed as a whole (timeout, kill(), OOM of the monitor's cgroup).
      return new ExecResult(128 + termSig, OptionalInt.of(termSig), o, e, wall, peak, usage.oomKilled(),
          timedOut, usage.egressDenied());
    }
    if (usage.oomKilled() || timedOut || killed) {
      return new ExecResult(128 + LibC.SIGKILL, OptionalInt.of(LibC.SIGKILL), o, e, wall, peak,
          usage.oomKilled(), timedOut, usage.egressDenied());
    }
    throw new SandboxException("sandbox helper " + spawned.pid() + " exited with status "
        + ((wstatus >> 8) & 0xff) + " without reporting how the program ended");
  }

  private int reap() {
    IntByReference st = new IntByReference();
    synchronized (lock) {
      while (LibC.INSTANCE.waitpid(spawned.pid(), st, 0) < 0) {
        int errno = Native.getLastError();
        if (errno != LibC.EINTR) {
          reaped = true;
          throw new SandboxException("waitpid of sandbox helper " + spawned.pid() + ": " + Errno.name(errno));
        }
      }
      reaped = true;
    }
    return st.getValue();
  }

  @Override
  public long pid() {
    return spawned.pid();
  }

  @Override
  public OutputStream stdin() {
    return pipe(spawned.stdin(), "stdin").outputStream();
  }

  void closeStdin() {
    spawned.stdin().close();
  }

  @Override
  public InputStream stdout() {
    return pipe(spawned.stdout(), "stdout").inputStream();
  }

  @Override
  public InputStream stderr() {
    return pipe(spawned.stderr(), "stderr").inputStream();
  }

  private static Fd pipe(Fd fd, String name) {
    if (fd == null) {
      throw new IllegalStateException(name + " is not Stdio.pipe()");
    }
    return fd;
  }

  @Override
  public ExecResult waitFor() {
    try {
      return exit.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("interrupted while waiting for sandbox " + spawned.pid(), e);
    } catch (ExecutionException e) {
      throw unwrap(e);
    }
  }

  @Override
  public Optional<ExecResult> waitFor(Duration timeout) {
    try {
      return Optional.of(exit.get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS));
    } catch (TimeoutException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("interrupted while waiting for sandbox " + spawned.pid(), e);
    } catch (ExecutionException e) {
      throw unwrap(e);
    }
  }

  private static RuntimeException unwrap(ExecutionException e) {
    return e.getCause() instanceof RuntimeException r ? r : new SandboxException("sandbox failed", e.getCause());
  }

  @Override
  public CompletableFuture<ExecResult> onExit() {
    return exit.copy();
  }

  @Override
  public void signal(int signal) {
    if (signal <= 0 || signal >= 65) {
      throw new IllegalArgumentException("signal " + signal + " is outside 1..64");
    }
    synchronized (lock) {
      if (!reaped) {
        LibC.INSTANCE.kill(spawned.pid(), signal);
      }
    }
  }

  @Override
  public void kill() {
    synchronized (lock) {
      killed = true;
      if (!reaped && spec.dieWithParent()) {
        // The monitor sees its lifeline hang up, SIGKILLs init and exits only once init is
        // reaped, which the kernel allows only after every process of the pid namespace is gone:
        // nothing of the sandbox still runs when its resources (an overlay's upper layer) are
        // released.
        spawned.planWrite().close();
      } else if (!reaped) {
        // The monitor's death takes init (PDEATHSIG) and with it the whole pid namespace.
        LibC.INSTANCE.kill(spawned.pid(), LibC.SIGKILL);
      }
    }
    resources.killAll();
  }

  @Override
  public void close() {
    kill();
    try {
      exit.join();
    } catch (RuntimeException e) {
      LOG.debug("sandbox {} ended with {}", spawned.pid(), e.toString());
    }
    for (Fd fd : new Fd[] {spawned.stdin(), spawned.stdout(), spawned.stderr()}) {
      if (fd != null) {
        fd.close();
      }
    }
  }
}
