package dev.boxkit.oci.registry;

import dev.boxkit.oci.OciException;
import java.util.List;

/**
 * A registry answered with an error, or could not be reached. Carries the HTTP status (0 when no
 * response arrived), the error codes of the body (distribution-spec "Error Codes") and the
 * reference or blob the request was about.
 *
 * <p>Subtypes: {@link RegistryAuthException} (401, 403), {@link RegistryNotFoundException} (404,
 * {@code MANIFEST_UNKNOWN}, {@code BLOB_UNKNOWN}, {@code NAME_UNKNOWN}).
 */
public class RegistryException extends OciException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final transient List<RegistryError> errors;
  private final String subject;

  /**
   * @param subject what the request was about, e.g. {@code 127.0.0.1:5000/app:1} or a digest
   * @param message what failed
   * @param status the HTTP status, 0 when no response arrived
   * @param errors the error body's entries; may be empty
   * @param cause the underlying failure; may be null
   */
  public RegistryException(String subject, String message, int status, List<RegistryError> errors,
      Throwable cause) {
    super(subject + ": " + message + (status > 0 ? " (HTTP " + status + ")" : "")
        + (errors.isEmpty() ? "" : " " + errors), cause);
    this.subject = subject;
    this.status = status;
    this.errors = List.copyOf(errors);
  }

  /** @return the HTTP status, or 0 when no response arrived (connection failure, timeout) */
  public int status() {
    return status;
  }

  /** @return the entries of the registry's error body; empty when it had none */
  public List<RegistryError> errors() {
    return errors == null ? List.of() : errors;
  }

  /** @return the reference, repository or digest the request was about */
  public String subject() {
    return subject;
  }

  /** @return true when the error body has an entry with {@code code} */
  public boolean hasCode(String code) {
    return errors().stream().anyMatch(e -> e.code().equals(code));
  }

  /**
   * @return true when trying again later may succeed: no response, 408, 429 or 5xx (except 501),
   *     or a {@code TOOMANYREQUESTS} error
   */
  public boolean isTemporary() {
    return isTemporaryStatus(status) || status == 0 || hasCode(RegistryError.TOOMANYREQUESTS);
  }

  static boolean isTemporaryStatus(int status) {
    return status == 408 || status == 429 || (status >= 500 && status != 501 && status < 600);
  }
}
