package dev.boxkit.cli;

import dev.boxkit.image.Image;
import dev.boxkit.image.ImageSource;
import dev.boxkit.image.OciLayoutSource;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.Platform;

/**
 * A {@link SourceRef} made usable by the library for the length of one command: an OCI layout
 * as it is, a docker archive imported into a temporary layout (removed on close).
 */
final class OpenedSource implements AutoCloseable {
  private final ImageSource source;
  private final DockerArchiveImport imported;

  private OpenedSource(ImageSource source, DockerArchiveImport imported) {
    this.source = source;
    this.imported = imported;
  }

  /**
   * @throws dev.boxkit.oci.OciException when a docker archive cannot be read
   */
  static OpenedSource open(SourceRef ref) {
    if (ref instanceof SourceRef.OciLayout o) {
      return new OpenedSource(OciLayoutSource.of(o.dir(), o.tag()), null);
    }
    if (ref instanceof SourceRef.DockerArchive d) {
      DockerArchiveImport imported = DockerArchiveImport.open(d.file());
      return new OpenedSource(imported.source(), imported);
    }
    return new OpenedSource(Image.scratch(), null);
  }

  /** @return the base for {@code Image.builder().from(...)} */
  ImageSource source() {
    return source;
  }

  /**
   * @param platform wanted from an index, or null for the host's
   * @return the image
   * @throws InvalidInputException for {@code scratch}, which has nothing to run or show
   * @throws dev.boxkit.oci.OciException when the image cannot be read
   */
  Image load(Platform platform) {
    if (source instanceof OciLayoutSource o) {
      return Image.load(o, platform);
    }
    throw new InvalidInputException("image", "scratch", "the empty image has no manifest or files");
  }

  /**
   * @return the OCI layout holding the image's blobs (for {@code unpack}, which needs blob files)
   * @throws InvalidInputException for {@code scratch}
   */
  java.nio.file.Path layoutDir() {
    if (source instanceof OciLayoutSource o) {
      return o.dir();
    }
    throw new InvalidInputException("image", "scratch", "the empty image has no manifest or files");
  }

  @Override
  public void close() {
    if (imported != null) {
      imported.close();
    }
  }
}
