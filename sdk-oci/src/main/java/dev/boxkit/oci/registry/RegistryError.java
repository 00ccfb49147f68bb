package dev.boxkit.oci.registry;

/**
 * One entry of a registry's error body, distribution-spec "Error Codes":
 * {@code {"errors":[{"code":"BLOB_UNKNOWN","message":"...","detail":...}]}}.
 *
 * @param code the error code, e.g. {@code MANIFEST_UNKNOWN}; never null, may be empty
 * @param message the human-readable message; never null, may be empty
 * @param detail the {@code detail} member as JSON text, or null when absent
 */
public record RegistryError(String code, String message, String detail) {
  /** Blob unknown to registry. */
  public static final String BLOB_UNKNOWN = "BLOB_UNKNOWN";
  /** Blob upload invalid. */
  public static final String BLOB_UPLOAD_INVALID = "BLOB_UPLOAD_INVALID";
  /** Blob upload unknown to registry. */
  public static final String BLOB_UPLOAD_UNKNOWN = "BLOB_UPLOAD_UNKNOWN";
  /** Provided digest did not match uploaded content. */
  public static final String DIGEST_INVALID = "DIGEST_INVALID";
  /** Manifest unknown to registry. */
  public static final String MANIFEST_UNKNOWN = "MANIFEST_UNKNOWN";
  /** Repository name not known to registry. */
  public static final String NAME_UNKNOWN = "NAME_UNKNOWN";
  /** Authentication required. */
  public static final String UNAUTHORIZED = "UNAUTHORIZED";
  /** Requested access to the resource is denied. */
  public static final String DENIED = "DENIED";
  /** Too many requests. */
  public static final String TOOMANYREQUESTS = "TOOMANYREQUESTS";

  /** Replaces nulls by empty strings. */
  public RegistryError {
    code = code == null ? "" : code;
    message = message == null ? "" : message;
  }

  @Override
  public String toString() {
    return message.isEmpty() ? code : code + ": " + message;
  }
}
