package dev.boxkit.sandbox.linux;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.SandboxPool;
import dev.boxkit.sandbox.spi.WarmPool;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import dev.boxkit.sandbox.spi.PoolRuns;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * A pool of Linux sandboxes whose helper has done every step but the exec: namespaces, id maps,
 * mounts, pivot_root, the program's cwd, ids, capabilities and seccomp filter; the payload waits
 * in op AWAIT on the plan fd. A run writes its program there in one write and supervises the
 * sandbox as a cold one; the sandbox is never used again.
 *
 * <p>Refilling, failures and closing are {@link WarmPool}'s. A {@link #start}ed run gives its
 * slot back as soon as it takes its sandbox, so the next one is set up while it runs; a {@link
 * #run} when it ends, or {@link #REFILL_DELAY_MS} after it began, whichever comes first.
 */
final class LinuxSandboxPool implements SandboxPool {
  /** How long a run may hold back its slot's refill (see {@link #run}). */
  static final long REFILL_DELAY_MS = 10;

  private final SandboxSpec spec;
  private final int size;
  /** Launches sandboxes ahead; reaps the helpers of finished runs (see {@link LinuxSandboxProcess#supervise}). */
  private final WarmPool<LinuxSandboxProcess> members;

  /**
   * Starts the refill thread.
   *
   * @param spec the pool's spec, already checked
   * @param size how many sandboxes to keep ready
   * @param launcher launches one pooled sandbox (plan ending in AWAIT)
   */
  LinuxSandboxPool(SandboxSpec spec, int size, Function<SandboxSpec, LinuxSandboxProcess> launcher) {
    this.spec = spec;
    this.size = size;
    this.members = new WarmPool<>(size, "boxkit-pool", "a pooled sandbox", new WarmPool.Members<>() {
      @Override
      public LinuxSandboxProcess prepare(BooleanSupplier closed) {
        LinuxSandboxProcess p = launcher.apply(spec);
        if (p.awaitReady(closed)) {
          return p;
        }
        if (closed.getAsBoolean()) {
          p.discard();
          return null;
        }
        throw p.setupFailure();
      }

      @Override
      public void discard(LinuxSandboxProcess p) {
        p.discard();
      }
    });
  }

  @Override
  public SandboxSpec spec() {
    return spec;
  }

  @Override
  public int size() {
    return size;
  }

  /** The run's environment: the run's own, plus what the provider added at launch (devices, the egress proxy). */
  private Map<String, String> runEnv(LinuxSandboxProcess p, SandboxSpec run) {
    Map<String, String> env = new LinkedHashMap<>(run.env());
    p.launchedSpec().env().forEach((k, v) -> {
      if (!spec.env().containsKey(k)) {
        env.putIfAbsent(k, v);
      }
    });
    return env;
  }

  /**
   * Hands a member its program. The caller gives the member's slot back ({@code
   * members.release()}) once this returned; when it throws, no slot is held.
   *
   * @param closeStdin whether the program's stdin is closed first (it reads end of file)
   */
  private LinuxSandboxProcess assign(SandboxSpec run, boolean closeStdin) {
    PoolRuns.check(spec, run);
    LinuxSandboxProcess p = members.take(); // when it throws, it gave the slot back itself
    Map<String, String> env = runEnv(p, run);
    // The request goes out before anything else is made, so the program starts on a core of its
    // own while this thread builds the run's spec (with cold caches, ~0.1 ms here).
    long started = p.request(run.argv(), env, closeStdin);
    SandboxSpec s;
    try {
      s = p.launchedSpec().withRunFields(run.argv(), env, run.stdin(), run.limits());
    } catch (RuntimeException e) {
      // Not expected: every field comes from a spec already checked (the run's, the launched one).
      members.release();
      p.discard();
      throw e;
    }
    return p.assigned(s, started);
  }

  @Override
  public ExecResult run(SandboxSpec run) {
    LinuxSandboxProcess p = assign(run, true); // run() has nothing to send: the program reads end of file
    // The next sandbox is set up once this run ended, or REFILL_DELAY_MS after it began if it
    // runs longer: a set-up beside a short run takes the cores its exec needs (on 2 vCPUs a
    // /bin/true run took 1.8 ms p50 with the refill beside it, 1.1 ms without), while a long
    // run holds its slot back only that long.
    AtomicBoolean released = new AtomicBoolean();
    Runnable release = () -> {
      if (released.compareAndSet(false, true)) {
        members.release();
      }
    };
    p.whenStillRunning(TimeUnit.MILLISECONDS.toNanos(REFILL_DELAY_MS), release);
    // When the end is handed to the reaper thread, that thread gives the slot back first: the
    // run's thread then wakes one thread, not two, before it returns.
    AtomicBoolean handedOver = new AtomicBoolean();
    Executor detach = end -> {
      members.reaper().execute(() -> {
        release.run();
        end.run();
      });
      handedOver.set(true);
    };
    try {
      return p.supervise(capture(spec, spec.stdout()), capture(spec, spec.stderr()), detach);
    } finally {
      if (!handedOver.get()) {
        release.run();
      }
    }
  }

  private static LinuxSandboxProcess.Capture capture(SandboxSpec spec, Stdio stdio) {
    return stdio instanceof Stdio.Pipe ? new LinuxSandboxProcess.Capture(spec.captureLimitBytes()) : null;
  }

  @Override
  public SandboxProcess start(SandboxSpec run) {
    LinuxSandboxProcess p = assign(run, run.stdin() instanceof Stdio.Discard);
    members.release(); // the next one is set up while this run goes on
    return p.startWaiter();
  }

  @Override
  public void close() {
    members.close(); // runs still going reap their own helper from now on
  }
}
