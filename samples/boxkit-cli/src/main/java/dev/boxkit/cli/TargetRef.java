package dev.boxkit.cli;

import dev.boxkit.image.DockerArchiveTarget;
import dev.boxkit.image.ImageTarget;
import dev.boxkit.image.OciLayoutTarget;
import dev.boxkit.image.RegistryImage;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.registry.RegistryClient;
import java.nio.file.Path;

/**
 * Where {@code boxkit build --output} writes, written as skopeo writes image locations
 * ({@code containers-transports(5)}): {@code oci:DIR:TAG}, {@code docker-archive:FILE[:NAME:TAG]}
 * or {@code docker://HOST[:PORT]/REPO:TAG}.
 */
sealed interface TargetRef permits TargetRef.OciLayout, TargetRef.DockerArchive, TargetRef.Registry {

  /**
   * @param client talks to the registry of a {@link Registry} target; unused otherwise
   * @return the library's target for this location
   */
  ImageTarget toTarget(RegistryClient client);

  /**
   * An OCI image layout, created if absent; other images in it are kept.
   *
   * @param dir the layout directory
   * @param tag the tag to give the image, not empty
   */
  record OciLayout(Path dir, String tag) implements TargetRef {
    @Override
    public ImageTarget toTarget(RegistryClient client) {
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
    public ImageTarget toTarget(RegistryClient client) {
      return reference == null ? DockerArchiveTarget.of(file) : DockerArchiveTarget.of(file, reference);
    }

    @Override
    public String toString() {
      return "docker-archive:" + file + (reference == null ? "" : ":" + reference);
    }
  }

  /**
   * An image in a registry, pushed with its tag.
   *
   * @param reference the image, with a tag
   */
  record Registry(ImageReference reference) implements TargetRef {
    @Override
    public ImageTarget toTarget(RegistryClient client) {
      return new RegistryImage(reference, client);
    }

    @Override
    public String toString() {
      return "docker://" + reference;
    }
  }

  /**
   * Parses a target location.
   *
   * @param flag the option being parsed, named in errors (e.g. {@code --output})
   * @param text the location
   * @throws InvalidInputException naming {@code flag} for an unknown transport, a missing path or
   *     tag, or a reference that is malformed or has a digest
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
      case "docker" -> {
        ImageReference ref = t.registryReference(flag, text);
        if (ref.digest() != null) {
          throw new InvalidInputException(flag, text, "push to a tag, not a digest");
        }
        yield new Registry(ref);
      }
      default -> throw t.unsupported(flag, text, "oci:DIR:TAG, docker-archive:FILE:NAME:TAG or docker://REF");
    };
  }
}
