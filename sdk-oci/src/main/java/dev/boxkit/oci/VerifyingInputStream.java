package dev.boxkit.oci;

import java.io.InputStream;

/**
 * Passes content through while checking it against a descriptor: throws
 * {@link DigestMismatchException} as soon as more than {@code size} bytes arrive, and at end of
 * stream when the size or digest differ. Content is only trustworthy once the stream has been
 * read to its end; closing it earlier checks nothing.
 *
 * <p>Not thread-safe (as any stream).
 */
public final class VerifyingInputStream extends DigestingInputStream {
  private final Digest expected;
  private final long expectedSize;
  private final String what;
  private boolean verified;

  /**
   * @param in the content; closed by {@link #close()}
   * @param expected the descriptor whose digest and size the content must have
   * @param what names the content in errors, e.g. {@code "blob sha256:... in /tmp/layout"}
   */
  public VerifyingInputStream(InputStream in, Descriptor expected, String what) {
    super(in, expected.digest().newMessageDigest());
    this.expected = expected.digest();
    this.expectedSize = expected.size();
    this.what = what;
  }

  /** @return true once the whole content was read and matched */
  public boolean verified() {
    return verified;
  }

  @Override
  protected void onBytes(long countSoFar) {
    if (countSoFar > expectedSize) {
      throw new DigestMismatchException(what, expected,
          "longer than the expected " + expectedSize + " bytes");
    }
  }

  @Override
  protected void onEnd() {
    if (verified) {
      return;
    }
    if (count() != expectedSize) {
      throw new DigestMismatchException(what, expected,
          count() + " bytes instead of " + expectedSize);
    }
    Digest actual = finish(expected.algorithm());
    if (!actual.equals(expected)) {
      throw new DigestMismatchException(what, expected, actual.toString());
    }
    verified = true;
  }
}
