package dev.boxkit.junit5;

import dev.boxkit.sandbox.SandboxException;

/**
 * A {@link SandboxService} exited, or was not ready within its timeout. The service has been
 * stopped; the message holds its spec and the tail of its stdout and stderr.
 */
public class ServiceNotReadyException extends SandboxException {
  private static final long serialVersionUID = 1L;

  /** @param message why, with the service's output tail */
  public ServiceNotReadyException(String message) {
    super(message);
  }
}
