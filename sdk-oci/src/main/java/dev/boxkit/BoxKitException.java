package dev.boxkit;

/**
 * Root of every exception BoxKit throws: {@code catch (BoxKitException e)} catches what images,
 * registries and sandboxes report, and nothing else. Unchecked so that fluent code stays fluent;
 * the two families below it carry the offending input: {@link dev.boxkit.oci.OciException}
 * (images, layouts, registries, unpacking) and {@code dev.boxkit.sandbox.SandboxException}
 * (sandboxes).
 */
public abstract class BoxKitException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** @param message what failed, naming the offending input */
  protected BoxKitException(String message) {
    super(message);
  }

  /**
   * @param message what failed, naming the offending input
   * @param cause the underlying failure, may be null
   */
  protected BoxKitException(String message, Throwable cause) {
    super(message, cause);
  }
}
