package dev.boxkit.sandbox;

/**
 * Root of every exception the sandbox API throws, below {@link dev.boxkit.BoxKitException};
 * subtypes carry the data that explains the failure.
 */
public class SandboxException extends dev.boxkit.BoxKitException {
  private static final long serialVersionUID = 1L;

  /** @param message what failed */
  public SandboxException(String message) {
    super(message);
  }

  /**
   * @param message what failed
   * @param cause the underlying failure, may be null
   */
  public SandboxException(String message, Throwable cause) {
    super(message, cause);
  }
}
