package dev.boxkit.image;

import dev.boxkit.oci.InvalidInputException;
import java.nio.file.Path;

/**
 * An image read from an OCI image layout (image-spec {@code image-layout.md}) by its
 * {@code org.opencontainers.image.ref.name} tag. When the tag names an index, the manifest for
 * the build's platform is chosen from it.
 *
 * @param dir the layout directory (holding {@code oci-layout} and {@code index.json})
 * @param tag the tag, e.g. {@code "base:1"} or {@code "latest"}
 */
public record OciLayoutSource(Path dir, String tag) implements ImageSource {
  /** @throws InvalidInputException naming {@code dir} or {@code tag} when null or empty */
  public OciLayoutSource {
    if (dir == null) {
      throw new InvalidInputException("dir", null, "must not be null");
    }
    if (tag == null || tag.isEmpty()) {
      throw new InvalidInputException("tag", tag, "must not be empty");
    }
  }

  /** @return the image tagged {@code tag} in the layout at {@code dir} */
  public static OciLayoutSource of(Path dir, String tag) {
    return new OciLayoutSource(dir, tag);
  }

  @Override
  public String toString() {
    return "oci:" + dir + ":" + tag;
  }
}
