package dev.boxkit.oci;

/**
 * A value given to BoxKit is malformed: a digest, reference, platform, path or field. The message
 * names the field and quotes the value; {@link #field()} and {@link #value()} carry them.
 */
public class InvalidInputException extends OciException {
  private static final long serialVersionUID = 1L;

  private final String field;
  private final String value;

  /**
   * @param field the name of the offending field or parameter, e.g. {@code "digest"}
   * @param value the offending value as given (may be null)
   * @param reason why it is rejected
   */
  public InvalidInputException(String field, String value, String reason) {
    super("invalid " + field + " " + (value == null ? "null" : "\"" + value + "\"") + ": " + reason);
    this.field = field;
    this.value = value;
  }

  /** @return the name of the offending field or parameter */
  public String field() {
    return field;
  }

  /** @return the offending value as given, or null when null was given */
  public String value() {
    return value;
  }
}
