package dev.boxkit.sandbox.cdi;

import dev.boxkit.sandbox.InvalidSandboxSpecException;

/**
 * A CDI spec file (or the built-in NVIDIA discovery's spec) is not valid, or names something
 * BoxKit cannot apply. {@link #field()} names the offending field of the CDI document as a path
 * from its top, e.g. {@code "devices[1].name"} or {@code
 * "devices[0].containerEdits.hooks[0]"}; {@link #origin()} says which file.
 */
public class InvalidCdiSpecException extends InvalidSandboxSpecException {
  private static final long serialVersionUID = 1L;

  private final String origin;

  /**
   * @param origin the spec file's path, or a description of where the spec came from
   * @param field the offending field of the CDI document
   * @param reason why it is refused, quoting the value
   */
  public InvalidCdiSpecException(String origin, String field, String reason) {
    super(field, "CDI spec " + origin + ": " + reason);
    this.origin = origin;
  }

  /** @return the spec file's path, or where the spec came from */
  public String origin() {
    return origin;
  }
}
