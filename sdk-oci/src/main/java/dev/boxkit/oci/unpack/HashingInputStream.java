package dev.boxkit.oci.unpack;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Digests every byte that passes, including skipped ones ({@code DigestInputStream} lets
 * {@code skip} bypass the digest, and tar readers skip unread entry content).
 */
final class HashingInputStream extends FilterInputStream {
  private final MessageDigest md;
  private boolean hashing = true;

  HashingInputStream(InputStream in, MessageDigest md) {
    super(in);
    this.md = md;
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b >= 0 && hashing) {
      md.update((byte) b);
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0 && hashing) {
      md.update(b, off, n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    byte[] buf = new byte[8192];
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
    // unsupported: a reset would digest bytes twice
  }

  @Override
  public synchronized void reset() throws IOException {
    throw new IOException("mark/reset not supported");
  }

  /** Reads to EOF so that the digest covers the whole stream. */
  void drain() throws IOException {
    byte[] buf = new byte[64 * 1024];
    while (read(buf, 0, buf.length) >= 0) {
      // digesting
    }
  }

  /** Stops digesting (when another stream already digests the same bytes). */
  void stopHashing() {
    hashing = false;
  }

  MessageDigest digest() {
    return md;
  }
}
