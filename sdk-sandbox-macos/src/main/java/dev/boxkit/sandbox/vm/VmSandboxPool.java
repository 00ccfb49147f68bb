package dev.boxkit.sandbox.vm;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.SandboxPool;
import dev.boxkit.sandbox.spi.PoolReaper;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.spi.PoolRuns;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pool of VMs booted ahead, each up to its guest agent waiting for a spec on the control
 * channel: the kernel has booted, the modules are loaded, and the pool's spec was sent ahead
 * ({@link ControlProtocol#PREPARE}) so the agent has set up the root and mounts and started the
 * program's init in a pid namespace, waiting for the run's spec. A run sends its
 * whole plan (argv, env, stdin; the fixed fields equal the pool's, as {@link PoolRuns} checks)
 * over that channel and relays the program's streams as a cold run does. It returns as the exit
 * status arrives; the VM is then killed on the pool's reaper thread and never used again.
 *
 * <p>One daemon thread refills, one boot at a time: it holds one permit of {@code size} per VM
 * waiting, booting or running {@link #run} and gets one back each time such a run ends or
 * {@link #start} hands its VM over. A boot that failed takes its
 * slot as the failure, which the run that takes it throws, so a spec that can never boot fails
 * each run instead of spinning.
 */
final class VmSandboxPool implements SandboxPool {
  private static final Logger LOG = LoggerFactory.getLogger(VmSandboxPool.class);

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

  /** What a run takes from the queue. */
  private sealed interface Slot permits Member, Failed, Closed {}

  /** A VM waiting for its plan. */
  private record Member(VmSession session) implements Slot {}

  /** A boot that failed. */
  private record Failed(RuntimeException cause) implements Slot {}

  /** The pool closed: whoever takes this puts it back and fails. */
  private record Closed() implements Slot {}

  private final SandboxSpec spec;
  private final int size;
  private final Members members;
  private final Semaphore slots;
  private final LinkedBlockingQueue<Slot> ready = new LinkedBlockingQueue<>();
  private final Thread refiller;
  /** Kills the VMs of finished runs off the runs' threads. */
  private final PoolReaper reaper = new PoolReaper("boxkit-vm-pool-reaper", "a pooled VM");
  private final Object closeLock = new Object();
  private volatile boolean closed;
  /** The session the refill thread is booting, killed by {@link #close()}; null between boots. */
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
    this.slots = new Semaphore(size);
    this.refiller = new Thread(this::refill, "boxkit-vm-pool-refill");
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
      VmSession session = null;
      try {
        session = members.create();
        booting = session;
        if (closed) { // close() may have looked for a booting session before it was set
          session.close();
          return;
        }
        members.boot(session);
        slot = new Member(session);
      } catch (RuntimeException e) {
        if (session != null) {
          session.close();
        }
        if (closed) {
          return; // killed by close()
        }
        LOG.debug("pooled VM boot failed: {}", e.toString());
        slot = new Failed(e);
      } finally {
        booting = null;
      }
      ready.add(slot);
    }
  }

  private VmSession take() {
    Slot s;
    try {
      s = ready.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("interrupted while waiting for a pooled VM", e);
    }
    if (s instanceof Closed) {
      ready.add(s);
      throw new SandboxException("the sandbox pool is closed");
    }
    if (s instanceof Failed f) {
      slots.release();
      throw f.cause();
    }
    return ((Member) s).session();
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
    if (closed) {
      throw new SandboxException("the sandbox pool is closed");
    }
    return take();
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
    session.closeOn(reaper); // the result returns as the exit status arrives, QEMU is killed after
    try {
      return members.run(session, run, remaining(run, requested), requested);
    } finally {
      // Only now does the refill thread boot the next VM: a TCG boot takes a core for seconds,
      // which would slow this run on a machine with few cores.
      slots.release();
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
      slots.release(); // the program may run for long: the next VM boots meanwhile
    }
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
    VmSession b = booting;
    if (b != null) {
      b.kill(); // its boot fails at once; the refill thread closes it
    }
    boolean interrupted = false;
    while (refiller.isAlive()) {
      try {
        refiller.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    interrupted |= reaper.close(); // runs still going close their own session from now on
    Slot s;
    while ((s = ready.poll()) != null) {
      if (s instanceof Member m) {
        m.session().close();
      }
    }
    ready.add(new Closed());
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
