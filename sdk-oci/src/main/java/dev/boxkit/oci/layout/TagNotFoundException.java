package dev.boxkit.oci.layout;

import dev.boxkit.oci.OciException;
import java.nio.file.Path;
import java.util.List;

/** No manifest in an image layout's {@code index.json} carries the requested reference name. */
public class TagNotFoundException extends OciException {
  private static final long serialVersionUID = 1L;

  private final String tag;
  private final transient Path layout;
  private final List<String> available;

  /**
   * @param tag the tag asked for
   * @param layout the layout directory
   * @param available the tags the layout has, sorted
   */
  public TagNotFoundException(String tag, Path layout, List<String> available) {
    super("tag \"" + tag + "\" not found in OCI layout " + layout + "; "
        + (available.isEmpty() ? "it has no tags" : "available: " + String.join(", ", available)));
    this.tag = tag;
    this.layout = layout;
    this.available = List.copyOf(available);
  }

  /** @return the tag asked for */
  public String tag() {
    return tag;
  }

  /** @return the layout directory */
  public Path layout() {
    return layout;
  }

  /** @return the tags the layout has, sorted */
  public List<String> available() {
    return available;
  }
}
