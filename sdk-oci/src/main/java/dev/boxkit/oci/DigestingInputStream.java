package dev.boxkit.oci;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Passes content through while digesting and counting every byte read, skipped bytes included.
 * Tar readers stop at the end-of-archive marker, before the end of the stream: {@link #drain()}
 * reads the rest so that the digest covers every byte. Mark/reset is unsupported (a reset would
 * digest bytes twice).
 *
 * <p>Not thread-safe (as any stream).
 */
public class DigestingInputStream extends FilterInputStream {
  private final MessageDigest md;
  private long count;
  private boolean hashing = true;

  /**
   * @param in the content; closed by {@link #close()}
   * @param md the digest to update, e.g. {@code Digest.newMessageDigest("sha256")}
   */
  public DigestingInputStream(InputStream in, MessageDigest md) {
    super(in);
    this.md = md;
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b < 0) {
      onEnd();
    } else {
      if (hashing) {
        md.update((byte) b);
      }
      count++;
      onBytes(count);
    }
    return b;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    int n = in.read(buf, off, len);
    if (n < 0) {
      onEnd();
    } else if (n > 0) {
      if (hashing) {
        md.update(buf, off, n);
      }
      count += n;
      onBytes(count);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    byte[] buf = new byte[(int) Math.min(8192, Math.max(n, 1))];
    long done = 0;
    while (done < n) {
      int r = read(buf, 0, (int) Math.min(buf.length, n - done));
      if (r < 0) {
        break;
      }
      done += r;
    }
    return done;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  @Override
  public synchronized void mark(int readlimit) {
    // unsupported: see the class comment
  }

  @Override
  public synchronized void reset() throws IOException {
    throw new IOException("mark/reset not supported");
  }

  /**
   * Reads to the end of the stream so that the digest covers all of it.
   *
   * @throws IOException if reading fails
   */
  public void drain() throws IOException {
    byte[] buf = new byte[64 * 1024];
    while (read(buf, 0, buf.length) >= 0) {
      // digesting
    }
  }

  /** Stops digesting (bytes are still counted), when another stream digests the same bytes. */
  public void stopHashing() {
    hashing = false;
  }

  /** @return bytes read (or skipped) so far */
  public long count() {
    return count;
  }

  /**
   * Finishes the hash; call once, after the last read.
   *
   * @param algorithm the algorithm of the {@link MessageDigest} given to the constructor
   * @return the digest of everything read
   */
  public Digest finish(String algorithm) {
    return Digest.fromHash(algorithm, md.digest());
  }

  /** Called after each successful read with the running byte count; default does nothing. */
  protected void onBytes(long countSoFar) {
    // hook
  }

  /** Called each time a read reports the end of the stream; default does nothing. */
  protected void onEnd() {
    // hook
  }
}
