package dev.boxkit.oci;

/**
 * Root of every exception BoxKit's OCI layer throws (images, layouts, registries, unpacking),
 * below {@link dev.boxkit.BoxKitException}; subtypes carry the offending input.
 */
public class OciException extends dev.boxkit.BoxKitException {
  private static final long serialVersionUID = 1L;

  /** @param message what failed, naming the offending input */
  public OciException(String message) {
    super(message);
  }

  /**
   * @param message what failed, naming the offending input
   * @param cause the underlying failure, may be null
   */
  public OciException(String message, Throwable cause) {
    super(message, cause);
  }
}
