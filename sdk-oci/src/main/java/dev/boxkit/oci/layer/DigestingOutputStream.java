package dev.boxkit.oci.layer;

import dev.boxkit.oci.Digest;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;

/** Hashes and counts what passes through on its way to {@code out}. */
final class DigestingOutputStream extends FilterOutputStream {
  private final MessageDigest md = Digest.newMessageDigest(Digest.SHA256);
  private long count;

  DigestingOutputStream(OutputStream out) {
    super(out);
  }

  @Override
  public void write(int b) throws IOException {
    out.write(b);
    md.update((byte) b);
    count++;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    md.update(b, off, len);
    count += len;
  }

  long count() {
    return count;
  }

  /** Finishes the hash; call once, after the last write. */
  Digest digest() {
    return Digest.fromHash(Digest.SHA256, md.digest());
  }
}
