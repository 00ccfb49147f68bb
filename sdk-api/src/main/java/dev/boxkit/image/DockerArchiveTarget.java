package dev.boxkit.image;

import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.InvalidInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A tarball that {@code docker load} and skopeo's {@code docker-archive:} transport read
 * ({@code manifest.json} + {@code repositories} + config + layers). The file is written to a
 * temporary sibling and renamed, so an existing file is replaced only by a complete archive.
 *
 * @param file the archive to write
 * @param repoTags the {@code RepoTags} to record, as parsed references (e.g. {@code app:1.0} →
 *     {@code docker.io/library/app:1.0}); may be empty
 */
public record DockerArchiveTarget(Path file, List<ImageReference> repoTags) implements ImageTarget {
  /** @throws InvalidInputException naming {@code file} or {@code repoTags} when null */
  public DockerArchiveTarget {
    if (file == null) {
      throw new InvalidInputException("file", null, "must not be null");
    }
    if (repoTags == null || repoTags.stream().anyMatch(java.util.Objects::isNull)) {
      throw new InvalidInputException("repoTags", String.valueOf(repoTags), "must not be or contain null");
    }
    repoTags = List.copyOf(repoTags);
  }

  /**
   * @param file the archive to write
   * @param repoTags references such as {@code "app:1.0"} or {@code "registry.example/app:1"}
   * @throws InvalidInputException (field {@code reference}) for a malformed reference, or one
   *     with a digest instead of a tag
   */
  public static DockerArchiveTarget of(Path file, String... repoTags) {
    List<ImageReference> refs = new ArrayList<>();
    for (String t : repoTags) {
      ImageReference ref = ImageReference.parse(t);
      if (ref.tag() == null || ref.digest() != null) {
        throw new InvalidInputException("reference", t, "a docker archive records name:tag, not a digest");
      }
      refs.add(ref);
    }
    return new DockerArchiveTarget(file, refs);
  }

  @Override
  public String toString() {
    return "docker-archive:" + file;
  }
}
