package dev.boxkit.oci.registry;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.layout.OciLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Where an image copy ({@link RegistryCopy#copy(ContentSource, ContentSink,
 * dev.boxkit.oci.Platform)}) writes to: a registry repository, a tag of an OCI image layout, or
 * a {@code docker save} tarball. A copy puts every blob, then every child manifest, then the
 * root, so a sink never names content it lacks. One sink serves one copy and is closed by it.
 *
 * @see ContentSource
 */
public interface ContentSink extends AutoCloseable {
  /**
   * Stores the blob read from {@code from} unless the sink has it already (then {@code EXISTED},
   * reported as skipped). Called from several threads at once.
   */
  RegistryClient.PushResult putBlob(Descriptor d, ContentSource from);

  /** Stores a child manifest (by digest). */
  void putManifest(RegistryManifest m);

  /** Stores the root manifest or index and names it as the sink says (its tag or file). */
  void putRoot(RegistryManifest m);

  /** Releases temporary files; never throws. */
  @Override
  default void close() {}

  /**
   * @param client the client (auth, retries, progress, parallelism) to write with
   * @param reference where to put the image: its tag (or digest when it has none) names it
   * @return the sink
   */
  static ContentSink registry(RegistryClient client, ImageReference reference) {
    return new RegistryContent(Objects.requireNonNull(client, "client"),
        Objects.requireNonNull(reference, "reference"));
  }

  /**
   * @param layout the layout ({@link OciLayout#create})
   * @param tag the tag the root gets in its {@code index.json}, set last
   * @return the sink
   */
  static ContentSink layout(OciLayout layout, String tag) {
    return new LayoutContent(Objects.requireNonNull(layout, "layout"),
        Objects.requireNonNull(tag, "tag"), BlobProgress.Listener.none());
  }

  /**
   * A {@code docker save} tarball (see {@link dev.boxkit.oci.tarball.DockerArchive#write}),
   * written atomically once the root arrives; blobs gather in a temporary layout removed on
   * close. The root must be one image manifest (pick a platform from an index).
   *
   * @param target the tarball to write
   * @param repoTags the references {@code docker load} tags the image with; may be empty
   * @return the sink
   */
  static ContentSink dockerArchive(Path target, List<ImageReference> repoTags) {
    return DockerArchiveContent.sink(Objects.requireNonNull(target, "target"),
        List.copyOf(repoTags));
  }
}
