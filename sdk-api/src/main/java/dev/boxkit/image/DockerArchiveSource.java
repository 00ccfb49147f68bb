package dev.boxkit.image;

import dev.boxkit.oci.InvalidInputException;
import java.nio.file.Path;

/**
 * An image read from a {@code docker save} tarball (the format {@link DockerArchiveTarget}
 * writes and {@code docker load} reads). Reading it imports its blobs, as stored, into the blob
 * store (the builder's {@link ImageBuilder#cacheDir} or the one under {@link
 * BoxKitDirs#cacheRoot()}), where later reads of the same layers find them.
 *
 * @param file the tarball; it must hold exactly one image
 */
public record DockerArchiveSource(Path file) implements ImageSource {
  /** @throws InvalidInputException naming {@code file} when null */
  public DockerArchiveSource {
    if (file == null) {
      throw new InvalidInputException("file", null, "must not be null");
    }
  }

  /** @return the image in the tarball at {@code file} */
  public static DockerArchiveSource of(Path file) {
    return new DockerArchiveSource(file);
  }

  @Override
  public String toString() {
    return "docker-archive:" + file;
  }
}
