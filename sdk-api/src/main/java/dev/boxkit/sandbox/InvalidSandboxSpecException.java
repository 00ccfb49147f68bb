package dev.boxkit.sandbox;

/**
 * A {@link SandboxSpec} (or one of its parts) was given a value it cannot honour. Thrown at once
 * by builders and compact constructors, never later at run time. {@link #field()} names the
 * offending field, e.g. {@code "mounts[2].destination"}.
 */
public class InvalidSandboxSpecException extends SandboxException {
  private static final long serialVersionUID = 1L;

  private final String field;

  /**
   * @param field the offending field
   * @param reason why its value is rejected, quoting the value
   */
  public InvalidSandboxSpecException(String field, String reason) {
    super("invalid sandbox spec field " + field + ": " + reason);
    this.field = field;
  }

  /** @return the offending field's name */
  public String field() {
    return field;
  }
}
