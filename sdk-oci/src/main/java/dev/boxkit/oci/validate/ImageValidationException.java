package dev.boxkit.oci.validate;

import dev.boxkit.oci.OciException;
import java.util.List;

/** An image or layout breaks the image-spec; {@link #problems()} lists every problem found. */
public class ImageValidationException extends OciException {
  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  /**
   * @param what the image or layout checked
   * @param problems what is wrong, one sentence each, naming the blob
   */
  public ImageValidationException(String what, List<String> problems) {
    super(what + " is not a valid OCI image: " + problems.size() + " problem(s):\n  "
        + String.join("\n  ", problems));
    this.problems = List.copyOf(problems);
  }

  /** @return the problems, in the order found */
  public List<String> problems() {
    return problems;
  }
}
