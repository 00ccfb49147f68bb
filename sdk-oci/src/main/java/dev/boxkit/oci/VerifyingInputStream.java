package dev.boxkit.oci;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Passes content through while checking it against a descriptor: throws
 * {@link DigestMismatchException} as soon as more than {@code size} bytes arrive, and at end of
 * stream when the size or digest differ. Content is only trustworthy once the stream has been
 * read to its end; closing it earlier checks nothing.
 *
 * <p>Not thread-safe (as any stream).
 */
public final class VerifyingInputStream extends FilterInputStream {
  private final Digest expected;
  private final long expectedSize;
  private final String what;
  private final MessageDigest md;
  private long count;
  private boolean verified;

  /**
   * @param in the content; closed by {@link #close()}
   * @param expected the descriptor whose digest and size the content must have
   * @param what names the content in errors, e.g. {@code "blob sha256:... in /tmp/layout"}
   */
  public VerifyingInputStream(InputStream in, Descriptor expected, String what) {
    super(in);
    this.expected = expected.digest();
    this.expectedSize = expected.size();
    this.what = what;
    this.md = expected.digest().newMessageDigest();
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b < 0) {
      atEnd();
    } else {
      md.update((byte) b);
      counted(1);
    }
    return b;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    int n = in.read(buf, off, len);
    if (n < 0) {
      atEnd();
    } else {
      md.update(buf, off, n);
      counted(n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // Skipped bytes must still be hashed.
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
  public synchronized void mark(int readlimit) {}

  @Override
  public synchronized void reset() throws IOException {
    throw new IOException("mark/reset not supported");
  }

  /** @return true once the whole content was read and matched */
  public boolean verified() {
    return verified;
  }

  private void counted(int n) {
    count += n;
    if (count > expectedSize) {
      throw new DigestMismatchException(what, expected,
          "longer than the expected " + expectedSize + " bytes");
    }
  }

  private void atEnd() {
    if (verified) {
      return;
    }
    if (count != expectedSize) {
      throw new DigestMismatchException(what, expected,
          count + " bytes instead of " + expectedSize);
    }
    Digest actual = Digest.fromHash(expected.algorithm(), md.digest());
    if (!actual.equals(expected)) {
      throw new DigestMismatchException(what, expected, actual.toString());
    }
    verified = true;
  }
}
