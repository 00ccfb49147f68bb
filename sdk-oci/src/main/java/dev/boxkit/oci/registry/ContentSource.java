package dev.boxkit.oci.registry;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.layout.OciLayout;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where an image copy ({@link RegistryCopy#copy(ContentSource, ContentSink,
 * dev.boxkit.oci.Platform)}) reads from, by digest: a registry repository, a tag or manifest of
 * an OCI image layout, or a {@code docker save} tarball. Every read is verified against its
 * descriptor, here or by the sink. One source serves one copy and is closed by it.
 *
 * @see ContentSink
 */
public interface ContentSource extends AutoCloseable {
  /** @return the manifest or index the source names, verified */
  RegistryManifest root();

  /** @return the manifest or index {@code d} (by digest), verified against it */
  RegistryManifest manifest(Descriptor d);

  /** @return the blob's content, readable more than once; verified by the sink's registry or here */
  BlobSource blob(Descriptor d);

  /** Writes the blob to {@code target} verified, atomically; nothing is left on failure. */
  void blobTo(Descriptor d, Path target);

  /**
   * @return the registry repository the content is in, so that a sink on the same registry can
   *     mount blobs instead of uploading them; null for a local source
   */
  ImageReference repository();

  /** Releases temporary files; never throws. */
  @Override
  default void close() {}

  /**
   * @param client the client (auth, retries, progress) to read with
   * @param reference a tag or digest reference
   * @return the image or index {@code reference} names in its registry
   */
  static ContentSource registry(RegistryClient client, ImageReference reference) {
    return new RegistryContent(Objects.requireNonNull(client, "client"),
        Objects.requireNonNull(reference, "reference"));
  }

  /**
   * @param layout the layout
   * @param tag a tag of its {@code index.json}
   * @return the image or index {@code tag} names
   */
  static ContentSource layout(OciLayout layout, String tag) {
    return new LayoutContent(Objects.requireNonNull(layout, "layout"),
        Objects.requireNonNull(tag, "tag"), BlobProgress.Listener.none());
  }

  /**
   * @param layout the layout holding {@code root} and every blob it references
   * @param root a manifest or index stored in {@code layout}, untagged or not
   * @return that manifest or index
   */
  static ContentSource layout(OciLayout layout, Descriptor root) {
    return LayoutContent.ofRoot(Objects.requireNonNull(layout, "layout"),
        Objects.requireNonNull(root, "root"), BlobProgress.Listener.none());
  }

  /**
   * Reads a {@code docker save} tarball holding one image (see {@link
   * dev.boxkit.oci.tarball.DockerArchive#read}) into a temporary layout, removed on close.
   *
   * @param archive the tarball
   * @return the image
   * @throws dev.boxkit.oci.OciException naming the archive when it is not a one-image docker
   *     archive or cannot be read
   */
  static ContentSource dockerArchive(Path archive) {
    return DockerArchiveContent.source(Objects.requireNonNull(archive, "archive"));
  }
}
