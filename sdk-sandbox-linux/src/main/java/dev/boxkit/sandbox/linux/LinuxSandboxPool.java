package dev.boxkit.sandbox.linux;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.SandboxPool;
import dev.boxkit.sandbox.spi.PoolReaper;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import dev.boxkit.sandbox.spi.PoolRuns;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pool of Linux sandboxes whose helper has done every step but the exec: namespaces, id maps,
 * mounts, pivot_root, the program's cwd, ids, capabilities and seccomp filter; the payload waits
 * in op AWAIT on the plan fd. A run writes its program there in one write and supervises the
 * sandbox as a cold one; the sandbox is never used again.
 *
 * <p>One daemon thread refills: it holds one permit of {@code size} per sandbox waiting or being
 * set up and gets one back each time a run takes a sandbox. A sandbox whose set-up failed takes
 * its slot as the failure, which the run that takes it throws, so a spec that can never start
 * fails each run instead of spinning.
 */
final class LinuxSandboxPool implements SandboxPool {
  private static final Logger LOG = LoggerFactory.getLogger(LinuxSandboxPool.class);

  /** What a run takes from the queue. */
  private sealed interface Slot permits Member, Failed, Closed {}

  /** A sandbox waiting for its program. */
  private record Member(LinuxSandboxProcess process) implements Slot {}

  /** A set-up that failed. */
  private record Failed(RuntimeException cause) implements Slot {}

  /** The pool closed: whoever takes this puts it back and fails. */
  private record Closed() implements Slot {}

  private final SandboxSpec spec;
  private final int size;
  private final Function<SandboxSpec, LinuxSandboxProcess> launcher;
  private final Semaphore slots;
  private final LinkedBlockingQueue<Slot> ready = new LinkedBlockingQueue<>();
  private final Thread refiller;
  /** Reaps the helpers of finished runs (see {@link LinuxSandboxProcess#supervise}). */
  private final PoolReaper reaper = new PoolReaper("boxkit-pool-reaper", "a pooled sandbox");
  private final Object closeLock = new Object();
  private volatile boolean closed;

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
    this.launcher = launcher;
    this.slots = new Semaphore(size);
    this.refiller = new Thread(this::refill, "boxkit-pool-refill");
    refiller.setDaemon(true);
    refiller.start();
  }

  @Override
  public SandboxSpec spec() {
    return spec;
  }

  @Override
  public int size() {
    return size;
  }

  private void refill() {
    while (true) {
      slots.acquireUninterruptibly();
      if (closed) {
        return;
      }
      Slot slot;
      try {
        LinuxSandboxProcess p = launcher.apply(spec);
        if (p.awaitReady(() -> closed)) {
          slot = new Member(p);
        } else if (closed) {
          p.discard();
          return;
        } else {
          slot = new Failed(p.setupFailure());
        }
      } catch (RuntimeException e) {
        slot = new Failed(e);
      }
      if (slot instanceof Failed f) {
        LOG.debug("pooled sandbox set-up failed: {}", f.cause().toString());
      }
      ready.add(slot);
    }
  }

  private Member take() {
    while (true) {
      Slot s;
      try {
        s = ready.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SandboxException("interrupted while waiting for a pooled sandbox", e);
      }
      if (s instanceof Closed) {
        ready.add(s);
        throw new SandboxException("the sandbox pool is closed");
      }
      if (s instanceof Failed f) {
        slots.release();
        throw f.cause();
      }
      return (Member) s;
    }
  }

  /** The sandbox's launched spec with the run's per-run fields. */
  private SandboxSpec runSpec(LinuxSandboxProcess p, SandboxSpec run) {
    SandboxSpec launched = p.launchedSpec();
    // Variables the provider added at launch (devices, the egress proxy) stay unless the run sets them.
    Map<String, String> env = new LinkedHashMap<>(run.env());
    launched.env().forEach((k, v) -> {
      if (!spec.env().containsKey(k)) {
        env.putIfAbsent(k, v);
      }
    });
    return launched.toBuilder().argv(run.argv()).env(env).stdin(run.stdin()).limits(run.limits()).build();
  }

  private LinuxSandboxProcess assign(SandboxSpec run) {
    PoolRuns.check(spec, run);
    if (closed) {
      throw new SandboxException("the sandbox pool is closed");
    }
    Member m = take();
    try {
      SandboxSpec s;
      try {
        s = runSpec(m.process(), run);
      } catch (RuntimeException e) {
        m.process().discard();
        throw e;
      }
      return m.process().assign(s);
    } finally {
      // The refill thread sets up the next one while this one runs; only now, so that its
      // start does not delay the request on a machine with few cores.
      slots.release();
    }
  }

  @Override
  public ExecResult run(SandboxSpec run) {
    LinuxSandboxProcess p = assign(run);
    p.closeStdin(); // run() has nothing to send: the program reads end of file
    return p.supervise(capture(spec, spec.stdout()), capture(spec, spec.stderr()), reaper);
  }

  private static LinuxSandboxProcess.Capture capture(SandboxSpec spec, Stdio stdio) {
    return stdio instanceof Stdio.Pipe ? new LinuxSandboxProcess.Capture(spec.captureLimitBytes()) : null;
  }

  @Override
  public SandboxProcess start(SandboxSpec run) {
    LinuxSandboxProcess p = assign(run);
    if (run.stdin() instanceof Stdio.Discard) {
      p.closeStdin();
    }
    return p.startWaiter();
  }

  @Override
  public void close() {
    synchronized (closeLock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    slots.release(size + 1); // wakes the refill thread, which sees closed
    boolean interrupted = false;
    while (refiller.isAlive()) {
      try {
        refiller.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    interrupted |= reaper.close(); // runs still going reap their own helper from now on
    Slot s;
    while ((s = ready.poll()) != null) {
      if (s instanceof Member m) {
        m.process().discard();
      }
    }
    ready.add(new Closed());
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
