package dev.boxkit.oci.layer;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Hands fixed-size chunks to one worker thread that writes them to {@code downstream}, so that
 * compressing a layer (worker) overlaps with reading files, building tar and hashing it (caller),
 * as {@code tar | gzip} overlaps in two processes. At most {@value #QUEUED_CHUNKS} chunks of
 * {@value #CHUNK_BYTES} bytes wait, and written chunks are reused, so memory stays small and flat. Chunk boundaries depend only on the
 * byte count, never on timing, so the compressed output is the same as without the thread.
 * Closing waits for the worker, closes {@code downstream} and rethrows the worker's failure.
 */
final class PipelinedOutputStream extends OutputStream {
  static final int CHUNK_BYTES = 64 * 1024;
  static final int QUEUED_CHUNKS = 8;
  private static final byte[] END = new byte[0];

  private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUED_CHUNKS);
  /** Chunks the worker has written, for reuse: the pipeline allocates nothing per chunk. */
  private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(QUEUED_CHUNKS + 2);
  private final Thread worker;
  private volatile Throwable failure;
  private byte[] chunk = new byte[CHUNK_BYTES];
  private int filled;
  private boolean closed;

  PipelinedOutputStream(OutputStream downstream, String threadName) {
    worker = new Thread(() -> drain(downstream), threadName);
    worker.setDaemon(true);
    worker.start();
  }

  private void drain(OutputStream downstream) {
    try (downstream) {
      for (byte[] b; (b = queue.take()) != END; ) {
        downstream.write(b);
        if (b.length == CHUNK_BYTES) {
          free.offer(b);
        }
      }
    } catch (Throwable t) {
      failure = t;
      queue.clear(); // unblock a producer waiting for room
    }
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
    while (len > 0) {
      int n = Math.min(len, CHUNK_BYTES - filled);
      System.arraycopy(b, off, chunk, filled, n);
      filled += n;
      off += n;
      len -= n;
      if (filled == CHUNK_BYTES) {
        hand(chunk);
        byte[] reused = free.poll();
        chunk = reused != null ? reused : new byte[CHUNK_BYTES];
        filled = 0;
      }
    }
  }

  private void hand(byte[] b) throws IOException {
    try {
      while (!queue.offer(b, 50, TimeUnit.MILLISECONDS)) {
        checkWorker();
      }
      checkWorker();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while compressing");
    }
  }

  private void checkWorker() throws IOException {
    Throwable t = failure;
    if (t instanceof IOException io) {
      throw new IOException(io.getMessage(), io);
    }
    if (t instanceof RuntimeException r) {
      throw r;
    }
    if (t != null) {
      throw new IOException("compression failed: " + t, t);
    }
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (filled > 0) {
        hand(Arrays.copyOf(chunk, filled));
      }
      hand(END);
      worker.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while compressing");
    } catch (IOException e) {
      if (failure == null) {
        worker.interrupt(); // could not hand over the end: stop the worker
      }
      throw e;
    }
    checkWorker();
  }
}
