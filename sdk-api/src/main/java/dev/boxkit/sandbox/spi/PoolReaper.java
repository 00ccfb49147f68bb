package dev.boxkit.sandbox.spi;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread on which a warm pool ends its used sandboxes (reaps a helper, kills a VM), so a
 * run can return before that teardown: tasks run in order; one that throws is logged and the
 * next runs; {@link #close()} runs what was handed over, then ends the thread and joins it.
 * Owned by {@link WarmPool}.
 */
final class PoolReaper implements Executor {
  private static final Logger LOG = LoggerFactory.getLogger(PoolReaper.class);
  private static final Runnable STOP = () -> {};

  private final LinkedBlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
  private final Thread thread;
  private final String what;
  private boolean closed;

  /**
   * Starts the thread (a daemon).
   *
   * @param threadName the thread's name, e.g. {@code "boxkit-pool-reaper"}
   * @param what what a task ends, for the log line of a failed one, e.g. {@code "a pooled VM"}
   */
  PoolReaper(String threadName, String what) {
    this.what = what;
    this.thread = new Thread(this::loop, threadName);
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    while (true) {
      Runnable r;
      try {
        r = tasks.take();
      } catch (InterruptedException e) {
        continue; // nobody interrupts it; close() sends STOP
      }
      if (r == STOP) {
        return;
      }
      try {
        r.run();
      } catch (RuntimeException e) {
        LOG.warn("ending {}: {}", what, e.toString());
      }
    }
  }

  /** @throws RejectedExecutionException once {@link #close()} was called */
  @Override
  public synchronized void execute(Runnable r) {
    if (closed) {
      throw new RejectedExecutionException("the sandbox pool is closed");
    }
    tasks.add(r);
  }

  /**
   * Runs what was handed over, then ends the thread; waits for it even when interrupted.
   *
   * @return whether the caller was interrupted meanwhile (its flag is for the caller to restore)
   */
  boolean close() {
    synchronized (this) {
      closed = true;
      tasks.add(STOP);
    }
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    return interrupted;
  }
}
