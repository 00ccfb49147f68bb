package dev.boxkit.cli;

import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.InvalidInputException;
import java.nio.file.Path;

/**
 * Where {@code boxkit build --from} starts, written as skopeo writes image locations
 * ({@code containers-transports(5)}): {@code scratch}, {@code oci:DIR:TAG} or
 * {@code docker-archive:FILE} or {@code docker://HOST[:PORT]/REPO[:TAG|@DIGEST]}. The path ends at the first {@code :} after the transport, so a
 * tag may itself hold a colon ({@code oci:/images:app:1} is tag {@code app:1}).
 */
sealed interface SourceRef permits SourceRef.Scratch, SourceRef.OciLayout, SourceRef.DockerArchive,
    SourceRef.Registry {

  /** The empty image. */
  record Scratch() implements SourceRef {
    @Override
    public String toString() {
      return "scratch";
    }
  }

  /**
   * An image tagged in an OCI image layout.
   *
   * @param dir the layout directory
   * @param tag its {@code org.opencontainers.image.ref.name}, not empty
   */
  record OciLayout(Path dir, String tag) implements SourceRef {
    @Override
    public String toString() {
      return "oci:" + dir + ":" + tag;
    }
  }

  /**
   * A {@code docker save} tarball.
   *
   * @param file the archive
   */
  record DockerArchive(Path file) implements SourceRef {
    @Override
    public String toString() {
      return "docker-archive:" + file;
    }
  }

  /**
   * An image in a registry.
   *
   * @param reference the image, e.g. {@code 127.0.0.1:5000/app:1}
   */
  record Registry(ImageReference reference) implements SourceRef {
    @Override
    public String toString() {
      return "docker://" + reference;
    }
  }

  /**
   * Parses a source location.
   *
   * @param flag the option being parsed, named in errors (e.g. {@code --from})
   * @param text the location
   * @throws InvalidInputException naming {@code flag} for an unknown transport, a missing path or
   *     tag, or a malformed registry reference
   */
  static SourceRef parse(String flag, String text) {
    if (text == null || text.isEmpty()) {
      throw new InvalidInputException(flag, text, "expected scratch, oci:DIR:TAG or docker-archive:FILE");
    }
    if (text.equals("scratch")) {
      return new Scratch();
    }
    Transport t = Transport.split(flag, text);
    return switch (t.name()) {
      case "oci" -> {
        String[] dirAndTag = t.pathAndRest(flag, text, "oci:DIR:TAG");
        yield new OciLayout(Path.of(dirAndTag[0]), dirAndTag[1]);
      }
      case "docker-archive" -> new DockerArchive(Path.of(t.requirePath(flag, text)));
      case "docker" -> new Registry(t.registryReference(flag, text));
      default -> throw t.unsupported(flag, text, "scratch, oci:DIR:TAG, docker-archive:FILE or docker://REF");
    };
  }
}
