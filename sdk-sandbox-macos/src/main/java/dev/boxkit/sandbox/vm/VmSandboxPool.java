package dev.boxkit.sandbox.vm;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.SandboxPool;
import dev.boxkit.sandbox.spi.WarmPool;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.spi.PoolRuns;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * A pool of VMs booted ahead, each up to its guest agent waiting for a spec on the control
 * channel: the kernel has booted, the modules are loaded, and the pool's spec was sent ahead
 * ({@link ControlProtocol#PREPARE}) so the agent has set up the root and mounts and started the
 * program's init in a pid namespace, waiting for the run's spec. A run sends its
 * whole plan (argv, env, stdin; the fixed fields equal the pool's, as {@link PoolRuns} checks)
 * over that channel and relays the program's streams as a cold run does. It returns as the exit
 * status arrives; the VM is then killed on the pool's reaper thread and never used again.
 *
 * <p>Refilling (one boot at a time), failures and closing are {@link WarmPool}'s: {@link #run}
 * gives its slot back only when it ends, so a boot does not compete with it for a core, and
 * {@link #start} as soon as it hands its VM over.
 */
final class VmSandboxPool implements SandboxPool {
  /** How the pool makes, boots and uses its VMs (the provider's side). */
  interface Members {
    /** @return a session for the pool's spec, not booted, with its own network */
    VmSession create();

    /** Boots {@code session} up to the agent waiting; throws (session not closed) when it cannot. */
    void boot(VmSession session);

    /** Runs {@code run} in the booted {@code session}, closing it; the timeout counts from now. */
    ExecResult run(VmSession session, SandboxSpec run, Duration timeout, long start);

    /** Starts {@code run} in the booted {@code session}; the timeout counts from now. */
    SandboxProcess start(VmSession session, SandboxSpec run, Duration timeout);
  }

  private final SandboxSpec spec;
  private final int size;
  private final Members members;
  /** Boots VMs ahead; kills the VMs of finished runs off the runs' threads. */
  private final WarmPool<VmSession> pool;
  /** The session the refill thread is booting, killed as the pool closes; null between boots. */
  private volatile VmSession booting;

  /**
   * Starts the refill thread.
   *
   * @param spec the pool's spec, already checked
   * @param size how many VMs to keep ready, at least 1
   * @param members makes, boots and runs the pool's VMs
   */
  VmSandboxPool(SandboxSpec spec, int size, Members members) {
    this.spec = spec;
    this.size = size;
    this.members = members;
    this.pool = new WarmPool<>(size, "boxkit-vm-pool", "a pooled VM", new WarmPool.Members<>() {
      @Override
      public VmSession prepare(BooleanSupplier closed) {
        VmSession session = members.create();
        booting = session;
        try {
          if (closed.getAsBoolean()) { // closing() may have looked for a booting session before it was set
            session.close();
            return null;
          }
          members.boot(session);
          return session;
        } catch (RuntimeException e) {
          session.close();
          throw e;
        } finally {
          booting = null;
        }
      }

      @Override
      public void discard(VmSession session) {
        session.close();
      }

      @Override
      public void closing() {
        VmSession b = booting;
        if (b != null) {
          b.kill(); // its boot fails at once; the refill thread closes it
        }
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

  /** @return {@code run}'s timeout less the time since {@code requested}, at least 1 ms; zero when none */
  private static Duration remaining(SandboxSpec run, long requested) {
    Duration timeout = run.limits().timeout();
    if (timeout.isZero()) {
      return timeout;
    }
    Duration left = timeout.minusNanos(System.nanoTime() - requested);
    return left.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : left;
  }

  private VmSession assign(SandboxSpec run) {
    PoolRuns.check(spec, run);
    return pool.take();
  }

  /**
   * {@inheritDoc}
   *
   * <p>The timeout counts from this call, the wait for a booted VM included.
   */
  @Override
  public ExecResult run(SandboxSpec run) {
    long requested = System.nanoTime();
    VmSession session = assign(run);
    session.closeOn(pool.reaper()); // the result returns as the exit status arrives, QEMU is killed after
    try {
      return members.run(session, run, remaining(run, requested), requested);
    } finally {
      // Only now does the refill thread boot the next VM: a TCG boot takes a core for seconds,
      // which would slow this run on a machine with few cores.
      pool.release();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>The timeout counts from this call, the wait for a booted VM included.
   */
  @Override
  public SandboxProcess start(SandboxSpec run) {
    long requested = System.nanoTime();
    VmSession session = assign(run);
    try {
      return members.start(session, run, remaining(run, requested));
    } finally {
      pool.release(); // the program may run for long: the next VM boots meanwhile
    }
  }

  @Override
  public void close() {
    pool.close(); // runs still going close their own session from now on
  }
}
