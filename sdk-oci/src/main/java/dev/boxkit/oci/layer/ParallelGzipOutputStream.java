package dev.boxkit.oci.layer;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * One gzip member (RFC 1952) whose deflate data (RFC 1951) is made block by block on an
 * executor, as pigz does: the input is cut into blocks of a fixed size; each block is deflated by
 * its own raw {@link Deflater}, primed with the last 32 KiB of the block before it as a preset
 * dictionary (so matches reach back across the cut and the ratio stays near single-stream
 * gzip's), and ended with a sync flush (an empty stored block, so the next block starts on a byte
 * boundary); the last block ends with the final block instead. Joined in order they are one valid
 * deflate stream. The CRC-32 and length of the trailer are computed here, over the input in order.
 *
 * <p>The bytes depend only on the input, the level and the block size: block boundaries are
 * byte counts, a block's output depends on its own bytes and the 32 KiB before it, and results
 * are written in input order. The number of threads and their timing change nothing.
 *
 * <p>Memory is bounded: at most {@code maxInFlight} blocks are being compressed or waiting to be
 * written; the writer blocks on the oldest before cutting another. Compressed blocks are written
 * to {@code out} by the writing thread. Not thread-safe (one writer), like any stream.
 */
final class ParallelGzipOutputStream extends OutputStream {
  /** Block size: pigz's default (128 KiB), a balance of parallelism and ratio. */
  static final int DEFAULT_BLOCK_BYTES = 128 * 1024;
  /** Deflate's window: the most a match can reach back, so the most a dictionary can help. */
  static final int DICTIONARY_BYTES = 32 * 1024;

  private final OutputStream out;
  private final int level;
  private final int blockBytes;
  private final Executor executor;
  private final int maxInFlight;
  private final ArrayDeque<FutureTask<byte[]>> inFlight = new ArrayDeque<>();
  /** Deflaters idle between blocks, reused (reset) rather than allocated per block. */
  private final ArrayDeque<Deflater> idle = new ArrayDeque<>();
  private final CRC32 crc = new CRC32();
  private long length;
  private byte[] block;
  private int filled;
  /** The previous block, whose tail primes the next; null before the first. */
  private byte[] previous;
  private boolean closed;

  /**
   * @param out receives the gzip member; closed by {@link #close()}
   * @param level deflate level 0..9
   * @param blockBytes input bytes per block, at least {@link #DICTIONARY_BYTES}
   * @param executor runs the blocks; the caller owns it (shuts it down)
   * @param maxInFlight at most this many blocks are compressed or queued at a time, at least 1
   */
  ParallelGzipOutputStream(OutputStream out, int level, int blockBytes, Executor executor,
      int maxInFlight) throws IOException {
    if (level < 0 || level > 9 || blockBytes < DICTIONARY_BYTES || maxInFlight < 1) {
      throw new IllegalArgumentException("level " + level + ", block " + blockBytes + ", in flight " + maxInFlight);
    }
    this.out = out;
    this.level = level;
    this.blockBytes = blockBytes;
    this.executor = executor;
    this.maxInFlight = maxInFlight;
    this.block = new byte[blockBytes];
    out.write(header(level));
  }

  /** The fixed 10-byte header: no name, comment or extra field, mtime 0, OS 255 ("unknown"). */
  static byte[] header(int level) {
    // XFL (RFC 1952 2.3.1): 2 = slowest algorithm (level 9), 4 = fastest (level 1), as zlib sets it.
    byte xfl = (byte) (level == Deflater.BEST_COMPRESSION ? 2 : level == Deflater.BEST_SPEED ? 4 : 0);
    return new byte[] {0x1f, (byte) 0x8b, Deflater.DEFLATED, 0, 0, 0, 0, 0, xfl, (byte) 0xff};
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
    crc.update(b, off, len);
    length += len;
    while (len > 0) {
      if (filled == blockBytes) {
        // Only now, with more input, is the full block known not to be the last one.
        submit(false);
      }
      int n = Math.min(len, blockBytes - filled);
      System.arraycopy(b, off, block, filled, n);
      filled += n;
      off += n;
      len -= n;
    }
  }

  private void submit(boolean last) throws IOException {
    byte[] input = filled == block.length ? block : Arrays.copyOf(block, filled);
    byte[] dictionary = previous;
    FutureTask<byte[]> task = new FutureTask<>(() -> deflate(input, dictionary, last));
    while (inFlight.size() >= maxInFlight) {
      writeOldest();
    }
    inFlight.add(task);
    executor.execute(task);
    previous = input;
    block = new byte[blockBytes]; // the submitted array is read by its task and the next one
    filled = 0;
  }

  private byte[] deflate(byte[] input, byte[] dictionary, boolean last) {
    Deflater d = takeDeflater();
    try {
      if (dictionary != null) {
        d.setDictionary(dictionary, dictionary.length - DICTIONARY_BYTES, DICTIONARY_BYTES);
      }
      d.setInput(input);
      byte[] buf = new byte[input.length + input.length / 1000 + 64];
      int n = 0;
      if (last) {
        d.finish();
        while (!d.finished()) {
          if (n == buf.length) {
            buf = Arrays.copyOf(buf, buf.length * 2);
          }
          n += d.deflate(buf, n, buf.length - n);
        }
      } else {
        // SYNC_FLUSH is complete once the deflater leaves room in the buffer (Deflater#deflate).
        while (true) {
          if (n == buf.length) {
            buf = Arrays.copyOf(buf, buf.length * 2);
          }
          int got = d.deflate(buf, n, buf.length - n, Deflater.SYNC_FLUSH);
          n += got;
          if (n < buf.length && d.needsInput()) {
            break;
          }
        }
      }
      return Arrays.copyOf(buf, n);
    } finally {
      d.reset();
      giveBack(d);
    }
  }

  private Deflater takeDeflater() {
    synchronized (idle) {
      Deflater d = idle.poll();
      if (d != null) {
        return d;
      }
    }
    return new Deflater(level, true); // raw deflate: the gzip framing is written here
  }

  private void giveBack(Deflater d) {
    synchronized (idle) {
      if (!closed) {
        idle.push(d);
        return;
      }
    }
    d.end();
  }

  private void writeOldest() throws IOException {
    FutureTask<byte[]> task = inFlight.poll();
    try {
      out.write(task.get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while compressing");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException r) {
        throw r;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new IOException("compressing a block failed: " + c, c);
    } catch (CancellationException e) {
      throw new IOException("compression was cancelled", e);
    }
  }

  @Override
  public void flush() throws IOException {
    // Blocks are cut by size only, so a flush cannot end one early without changing the bytes.
    out.flush();
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    try {
      submit(true);
      while (!inFlight.isEmpty()) {
        writeOldest();
      }
      long c = crc.getValue();
      long n = length & 0xffffffffL; // ISIZE: the input length modulo 2^32
      out.write(new byte[] {(byte) c, (byte) (c >>> 8), (byte) (c >>> 16), (byte) (c >>> 24),
          (byte) n, (byte) (n >>> 8), (byte) (n >>> 16), (byte) (n >>> 24)});
      out.close();
    } finally {
      for (FutureTask<byte[]> t : inFlight) {
        t.cancel(false);
      }
      inFlight.clear();
      synchronized (idle) {
        closed = true;
        idle.forEach(Deflater::end);
        idle.clear();
      }
    }
  }
}
