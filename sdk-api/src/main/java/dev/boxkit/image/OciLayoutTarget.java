package dev.boxkit.image;

import dev.boxkit.oci.InvalidInputException;
import java.nio.file.Path;
import java.util.List;

/**
 * An OCI image layout directory (image-spec {@code image-layout.md}) to write an image into. The
 * directory is created if absent; an existing layout keeps its other blobs and tags, and a tag
 * that already exists is moved to the new image.
 *
 * @param dir the layout directory
 * @param tags {@code org.opencontainers.image.ref.name} values to give the image; may be empty
 *     (then the image's blobs are written but no tag points at it)
 */
public record OciLayoutTarget(Path dir, List<String> tags) implements ImageTarget {
  /** @throws InvalidInputException naming {@code dir} or {@code tags} when null */
  public OciLayoutTarget {
    if (dir == null) {
      throw new InvalidInputException("dir", null, "must not be null");
    }
    if (tags == null || tags.stream().anyMatch(java.util.Objects::isNull)) {
      throw new InvalidInputException("tags", String.valueOf(tags), "must not be or contain null");
    }
    tags = List.copyOf(tags);
  }

  /** @return a target writing into {@code dir} and tagging the image with {@code tags} */
  public static OciLayoutTarget of(Path dir, String... tags) {
    return new OciLayoutTarget(dir, tags == null ? null : java.util.Arrays.asList(tags));
  }

  @Override
  public String toString() {
    return "oci:" + dir + (tags.isEmpty() ? "" : ":" + String.join(",", tags));
  }
}
