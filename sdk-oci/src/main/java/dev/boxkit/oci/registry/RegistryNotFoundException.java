package dev.boxkit.oci.registry;

import java.util.List;

/**
 * The manifest, blob or repository does not exist in the registry: HTTP 404 or the error codes
 * {@code MANIFEST_UNKNOWN}, {@code BLOB_UNKNOWN}, {@code NAME_UNKNOWN}.
 */
public class RegistryNotFoundException extends RegistryException {
  private static final long serialVersionUID = 1L;

  /** See {@link RegistryException#RegistryException}. */
  public RegistryNotFoundException(String subject, String message, int status,
      List<RegistryError> errors) {
    super(subject, message, status, errors, null);
  }
}
