package dev.boxkit.cli;

import dev.boxkit.image.DockerArchiveTarget;
import dev.boxkit.image.ImageTarget;
import dev.boxkit.image.OciLayoutTarget;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.InvalidInputException;
import java.nio.file.Path;

/**
 * Where {@code boxkit build --output} writes, written as skopeo writes image locations
 * ({@code containers-transports(5)}): {@code oci:DIR:TAG} or {@code docker-archive:FILE[:NAME:TAG]}.
 */
sealed interface TargetRef permits TargetRef.OciLayout, TargetRef.DockerArchive {

  /** @return the library's target for this location */
  ImageTarget toTarget();

  /**
   * An OCI image layout, created if absent; other images in it are kept.
   *
   * @param dir the layout directory
   * @param tag the tag to give the image, not empty
   */
  record OciLayout(Path dir, String tag) implements TargetRef {
    @Override
    public ImageTarget toTarget() {
      return OciLayoutTarget.of(dir, tag);
    }

    @Override
    public String toString() {
      return "oci:" + dir + ":" + tag;
    }
  }

  /**
   * A {@code docker load} tarball, replaced whole.
   *
   * @param file the archive
   * @param reference the {@code NAME:TAG} recorded in it as given (a valid tagged reference),
   *     or null for none
   */
  record DockerArchive(Path file, String reference) implements TargetRef {
    @Override
    public ImageTarget toTarget() {
      return reference == null ? DockerArchiveTarget.of(file) : DockerArchiveTarget.of(file, reference);
    }

    @Override
    public String toString() {
      return "docker-archive:" + file + (reference == null ? "" : ":" + reference);
    }
  }

  /**
   * Parses a target location.
   *
   * @param flag the option being parsed, named in errors (e.g. {@code --output})
   * @param text the location
   * @throws InvalidInputException naming {@code flag} for an unknown transport, a missing path or
   *     tag, a reference with a digest, or a registry reference (not supported yet)
   */
  static TargetRef parse(String flag, String text) {
    if (text == null || text.isEmpty()) {
      throw new InvalidInputException(flag, text, "expected oci:DIR:TAG or docker-archive:FILE:NAME:TAG");
    }
    Transport t = Transport.split(flag, text);
    return switch (t.name()) {
      case "oci" -> {
        String[] dirAndTag = t.pathAndRest(flag, text, "oci:DIR:TAG");
        yield new OciLayout(Path.of(dirAndTag[0]), dirAndTag[1]);
      }
      case "docker-archive" -> {
        int colon = t.rest().indexOf(':');
        if (colon < 0) {
          yield new DockerArchive(Path.of(t.requirePath(flag, text)), null);
        }
        String[] fileAndRef = t.pathAndRest(flag, text, "docker-archive:FILE:NAME:TAG");
        ImageReference ref;
        try {
          ref = ImageReference.parse(fileAndRef[1]);
        } catch (InvalidInputException e) {
          throw new InvalidInputException(flag, text, e.getMessage());
        }
        if (ref.digest() != null || ref.tag() == null) {
          throw new InvalidInputException(flag, text, "a docker archive records NAME:TAG, not a digest");
        }
        yield new DockerArchive(Path.of(fileAndRef[0]), fileAndRef[1]);
      }
      default -> throw t.unsupported(flag, text, "oci:DIR:TAG or docker-archive:FILE:NAME:TAG");
    };
  }
}
