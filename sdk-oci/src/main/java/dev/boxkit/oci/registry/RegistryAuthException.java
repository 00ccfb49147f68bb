package dev.boxkit.oci.registry;

import java.util.List;

/**
 * The registry refused the credentials or the access: HTTP 401 (no or bad credentials) or 403
 * (authenticated but not allowed). The message names the registry and repository, never a secret.
 */
public class RegistryAuthException extends RegistryException {
  private static final long serialVersionUID = 1L;

  /** See {@link RegistryException#RegistryException}. */
  public RegistryAuthException(String subject, String message, int status, List<RegistryError> errors) {
    super(subject, message, status, errors, null);
  }
}
