package dev.boxkit.sandbox.spi;

import dev.boxkit.sandbox.SandboxException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machinery both backends' warm pools share: members (sandboxes set up ahead, booted VMs)
 * made ready by one daemon refill thread, handed out one per run and never reused, and ended
 * after their runs on one reaper thread ({@link #reaper()}).
 *
 * <p>The refill thread holds one permit of {@code size} per member waiting or being prepared, and
 * gets one back each time the backend calls {@link #release()} (when a run took its member, or
 * when it ended: the backend chooses, so that preparing the next member need not compete with a
 * run on a machine with few cores). A member whose preparation failed takes its slot as the
 * failure, which the run that takes it throws, so a spec that can never start fails each run
 * instead of spinning.
 *
 * @param <M> what a member is, e.g. a sandbox waiting for its program
 */
public final class WarmPool<M> {
  private static final Logger LOG = LoggerFactory.getLogger(WarmPool.class);

  /**
   * How a backend makes and ends its members.
   *
   * @param <M> what a member is
   */
  public interface Members<M> {
    /**
     * Makes one member ready, on the refill thread.
     *
     * @param closed true once the pool is closing
     * @return the member, or null when the pool closed meanwhile (nothing is left over)
     * @throws RuntimeException when the member cannot be made ready: the run that takes its
     *     slot throws it
     */
    M prepare(BooleanSupplier closed);

    /** Ends a member that no run will take. */
    void discard(M member);

    /** Called once as the pool closes, before it waits for the refill thread (e.g. to stop a boot). */
    default void closing() {}
  }

  /** What a run takes from the queue. */
  private sealed interface Slot<M> permits Member, Failed, Closed {}

  private record Member<M>(M member) implements Slot<M> {}

  private record Failed<M>(RuntimeException cause) implements Slot<M> {}

  /** The pool closed: whoever takes this puts it back and fails. */
  private record Closed<M>() implements Slot<M> {}

  private final int size;
  private final String what;
  private final Members<M> members;
  private final Semaphore slots;
  private final LinkedBlockingQueue<Slot<M>> ready = new LinkedBlockingQueue<>();
  private final Thread refiller;
  private final PoolReaper reaper;
  private final Object closeLock = new Object();
  private volatile boolean closed;

  /**
   * Starts the refill thread, which begins preparing {@code size} members.
   *
   * @param size how many members to keep ready, at least 1
   * @param threadPrefix names the threads {@code <prefix>-refill} and {@code <prefix>-reaper}
   * @param what one member, for messages, e.g. {@code "a pooled VM"}
   * @param members makes and ends the members
   */
  public WarmPool(int size, String threadPrefix, String what, Members<M> members) {
    this.size = size;
    this.what = what;
    this.members = members;
    this.slots = new Semaphore(size);
    this.reaper = new PoolReaper(threadPrefix + "-reaper", what);
    this.refiller = new Thread(this::refill, threadPrefix + "-refill");
    refiller.setDaemon(true);
    refiller.start();
  }

  private void refill() {
    while (true) {
      slots.acquireUninterruptibly();
      if (closed) {
        return;
      }
      Slot<M> slot;
      try {
        M m = members.prepare(() -> closed);
        if (m == null) {
          return; // closed meanwhile
        }
        slot = new Member<>(m);
      } catch (RuntimeException e) {
        if (closed) {
          return; // stopped by closing()
        }
        LOG.debug("set-up of {} failed: {}", what, e.toString());
        slot = new Failed<>(e);
      }
      ready.add(slot);
    }
  }

  /**
   * Takes a ready member, waiting for one. The caller gives the slot back with {@link #release()}.
   *
   * @throws SandboxException when the pool is closed, or the caller is interrupted
   * @throws RuntimeException the failure of a member whose preparation failed (its slot is given
   *     back)
   */
  public M take() {
    if (closed) {
      throw new SandboxException("the sandbox pool is closed");
    }
    Slot<M> s;
    try {
      s = ready.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("interrupted while waiting for " + what, e);
    }
    if (s instanceof Closed) {
      ready.add(s);
      throw new SandboxException("the sandbox pool is closed");
    }
    if (s instanceof Failed<M> f) {
      slots.release();
      throw f.cause();
    }
    return ((Member<M>) s).member();
  }

  /** Gives a taken member's slot back: the refill thread prepares the next member. */
  public void release() {
    slots.release();
  }

  /** @return the thread that ends used members off the runs' threads; joined by {@link #close()} */
  public Executor reaper() {
    return reaper;
  }

  /**
   * Stops refilling, ends the members nobody took and joins both threads; runs still going end
   * their own members. Idempotent; an interrupt meanwhile is kept for the caller.
   */
  public void close() {
    synchronized (closeLock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    slots.release(size + 1); // wakes the refill thread, which sees closed
    members.closing();
    boolean interrupted = false;
    while (refiller.isAlive()) {
      try {
        refiller.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    interrupted |= reaper.close();
    Slot<M> s;
    while ((s = ready.poll()) != null) {
      if (s instanceof Member<M> m) {
        members.discard(m.member());
      }
    }
    ready.add(new Closed<>());
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
