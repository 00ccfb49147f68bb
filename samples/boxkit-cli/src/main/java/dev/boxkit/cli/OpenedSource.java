package dev.boxkit.cli;

import dev.boxkit.image.DockerArchiveSource;
import dev.boxkit.image.Image;
import dev.boxkit.image.ImageSource;
import dev.boxkit.image.OciLayoutSource;
import dev.boxkit.image.RegistryImage;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.layout.OciLayout;
import dev.boxkit.oci.registry.RegistryClient;
import dev.boxkit.oci.registry.RegistryCopy;
import java.nio.file.Path;

/**
 * A {@link SourceRef} made usable by the library for the length of one command: an OCI layout
 * as it is; a docker archive as the library's {@link DockerArchiveSource} (imported into the blob
 * store when read); a registry image as the library's {@link RegistryImage} for builds, or pulled
 * into the blob store (blobs already there are skipped) for everything that needs the image's
 * files.
 */
final class OpenedSource implements AutoCloseable {
  private final SourceRef ref;
  private final ImageSource source;
  private final Path store;
  private Path layoutDir;

  private OpenedSource(SourceRef ref, ImageSource source, Path store) {
    this.ref = ref;
    this.source = source;
    this.store = store;
    this.layoutDir = source instanceof OciLayoutSource o ? o.dir() : null;
  }

  /**
   * @param ref the location
   * @param client talks to the registry of a {@link SourceRef.Registry}
   * @param store the blob store registry images are pulled into
   */
  static OpenedSource open(SourceRef ref, RegistryClient client, Path store) {
    if (ref instanceof SourceRef.OciLayout o) {
      return new OpenedSource(ref, OciLayoutSource.of(o.dir(), o.tag()), store);
    }
    if (ref instanceof SourceRef.DockerArchive d) {
      return new OpenedSource(ref, DockerArchiveSource.of(d.file()), store);
    }
    if (ref instanceof SourceRef.Registry r) {
      return new OpenedSource(ref, new RegistryImage(r.reference(), client), store);
    }
    return new OpenedSource(ref, Image.scratch(), store);
  }

  /** @return the base for {@code Image.builder().from(...)} */
  ImageSource source() {
    return source;
  }

  /**
   * @param platform wanted from an index, or null for the host's
   * @return the image, pulled first when it is in a registry
   * @throws InvalidInputException for {@code scratch}, which has nothing to run or show
   * @throws dev.boxkit.oci.OciException when the image cannot be read or pulled
   */
  Image load(Platform platform) {
    if (source instanceof OciLayoutSource o) {
      return Image.load(o, platform);
    }
    if (source instanceof DockerArchiveSource a) {
      layoutDir = store;
      return Image.load(a, platform, store);
    }
    if (source instanceof RegistryImage r) {
      Platform wanted = platform != null ? platform : Platform.host();
      // The same tag naming scheme as ImageBuilder's pulls, so both share what is pulled.
      String tag = "boxkit-base-" + Digest.sha256(r.reference() + " " + wanted).hex();
      OciLayout layout = OciLayout.create(store);
      RegistryCopy.using(r.client()).pull(r.reference(), layout, tag, wanted);
      layoutDir = store;
      return Image.load(OciLayoutSource.of(store, tag), wanted);
    }
    throw new InvalidInputException("image", ref.toString(), "the empty image has no manifest or files");
  }

  /**
   * @return the OCI layout holding the blobs of the image {@link #load} returned
   * @throws IllegalStateException before {@link #load} for a registry image
   */
  Path layoutDir() {
    if (layoutDir == null) {
      throw new IllegalStateException("load the image first");
    }
    return layoutDir;
  }

  @Override
  public void close() {
    // Nothing is temporary: imported and pulled blobs stay in the store for the next command.
  }
}
