package dev.boxkit.oci;

/** Content read from a blob store, layout or registry does not match its expected digest or size. */
public class DigestMismatchException extends OciException {
  private static final long serialVersionUID = 1L;

  private final Digest expected;
  private final String actual;

  /**
   * @param what the content that was checked, e.g. {@code "blob in /tmp/layout"}
   * @param expected the digest it should have
   * @param actual what was found (a digest or a size, as text)
   */
  public DigestMismatchException(String what, Digest expected, String actual) {
    super(what + ": expected " + expected + " but content is " + actual);
    this.expected = expected;
    this.actual = actual;
  }

  /** @return the digest the content should have */
  public Digest expected() {
    return expected;
  }

  /** @return what was found, as text */
  public String actual() {
    return actual;
  }
}
