package dev.boxkit.sandbox;

/**
 * No sandbox backend can run on this host. The message says what the host lacks (for example
 * user namespaces disabled by {@code kernel.unprivileged_userns_clone=0}, {@code
 * user.max_user_namespaces=0} or AppArmor's {@code kernel.apparmor_restrict_unprivileged_userns=1})
 * and how to enable it.
 */
public class SandboxUnavailableException extends SandboxException {
  private static final long serialVersionUID = 1L;

  /** @param message what the host lacks and how to fix it */
  public SandboxUnavailableException(String message) {
    super(message);
  }
}
