package dev.boxkit.oci.registry;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.layout.OciLayout;
import java.util.Objects;

/**
 * Whole-image transfers, like {@code skopeo copy}: {@code pull} (registry to layout),
 * {@code push} (layout to registry) and {@code copy} (registry to registry). Blobs move first
 * (several at once, bounded by {@link RegistryClient.Builder#parallelism}), each skipped when the
 * destination has it and mounted when it is in another repository of the same registry; then
 * each manifest, then the index, then the tag, so that the destination never names content it
 * lacks. Manifests and indexes are copied byte for byte, so digests are kept.
 */
public final class RegistryCopy {
  private final RegistryClient client;

  private RegistryCopy(RegistryClient client) {
    this.client = client;
  }

  /** @return copies that use {@code client} (its auth, retries, parallelism and progress listener) */
  public static RegistryCopy using(RegistryClient client) {
    return new RegistryCopy(Objects.requireNonNull(client, "client"));
  }

  /**
   * Copies an image or index from any source to any sink, as {@code skopeo copy} does between
   * transports: blobs first (in parallel, bounded by {@link RegistryClient.Builder#parallelism},
   * skipped when the sink has them, mounted when both are repositories of one registry), then each
   * manifest, then the root, which the sink names last. Manifests are copied byte for byte, so
   * digests are kept. Both ends are closed when the copy returns or fails.
   *
   * @param from e.g. {@link ContentSource#dockerArchive}, {@link ContentSource#layout}, {@link
   *     ContentSource#registry}
   * @param to e.g. {@link ContentSink#registry}, {@link ContentSink#layout}, {@link
   *     ContentSink#dockerArchive}
   * @param platform picks one manifest when the source is an index, or null to copy the index
   *     with every manifest
   * @return the descriptor of the root the sink now names
   * @throws RegistryException when a registry refuses or fails (after retries)
   * @throws dev.boxkit.oci.DigestMismatchException when content read does not match its digest
   * @throws dev.boxkit.oci.OciException when the index has no manifest for {@code platform}, or
   *     a sink cannot hold what it is given (an index into a docker archive)
   */
  public Descriptor copy(ContentSource from, ContentSink to, Platform platform) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    return new ImageCopier(client.parallelism()).copy(from, to, platform,
        "copying " + from + " to " + to);
  }

  /**
   * Copies an image between registries (or repositories of one registry).
   *
   * @param source a tag or digest reference
   * @param target where to put it: its tag (or digest when it has no tag) names the result
   * @param platform picks one manifest when the source is an index, or null to copy the index
   *     with every manifest
   * @return the descriptor of the manifest or index the target now names
   * @throws RegistryException when a registry refuses or fails (after retries)
   * @throws dev.boxkit.oci.DigestMismatchException when content read does not match its digest
   * @throws dev.boxkit.oci.OciException when the index has no manifest for {@code platform}
   */
  public Descriptor copy(ImageReference source, ImageReference target, Platform platform) {
    return new ImageCopier(client.parallelism()).copy(new RegistryContent(client, source),
        new RegistryContent(client, target), platform, "copying " + source + " to " + target);
  }

  /**
   * Pulls an image from a registry into an OCI image layout. Blobs the layout has are skipped;
   * each blob is verified while it streams and appears in the layout only once complete; the tag
   * is set last, so a failed pull leaves the layout as it was, but for complete verified blobs.
   *
   * @param source a tag or digest reference
   * @param target the layout ({@link OciLayout#create})
   * @param tag the reference name to give the image in the layout's {@code index.json}
   * @param platform picks one manifest when the source is an index, or null to pull the index
   *     with every manifest
   * @return the descriptor the tag now names
   * @throws RegistryException when the registry refuses or fails (after retries)
   * @throws dev.boxkit.oci.DigestMismatchException when content does not match its digest
   * @throws dev.boxkit.oci.OciException when the index has no manifest for {@code platform}
   */
  public Descriptor pull(ImageReference source, OciLayout target, String tag, Platform platform) {
    return new ImageCopier(client.parallelism()).copy(new RegistryContent(client, source),
        new LayoutContent(target, tag, client.progress()), platform,
        "pulling " + source + " into " + target.dir());
  }

  /**
   * Pushes the image or index that {@code tag} names in a layout to a registry: blobs (skipped
   * when the registry has them), then manifests, then the index, then the target's tag.
   *
   * @param source the layout
   * @param tag the reference name in its {@code index.json}
   * @param target where to put it: its tag (or digest when it has no tag) names the result
   * @return the descriptor the target now names
   * @throws dev.boxkit.oci.layout.TagNotFoundException when the layout has no such tag
   * @throws dev.boxkit.oci.layout.BlobNotFoundException when the layout lacks a blob the image
   *     needs (e.g. a platform that was not pulled)
   * @throws RegistryException when the registry refuses or fails (after retries)
   */
  public Descriptor push(OciLayout source, String tag, ImageReference target) {
    return new ImageCopier(client.parallelism()).copy(
        new LayoutContent(source, tag, client.progress()), new RegistryContent(client, target), null,
        "pushing " + tag + " from " + source.dir() + " to " + target);
  }

  /**
   * Pushes a manifest or index stored in a layout to a registry, as {@link #push(OciLayout,
   * String, ImageReference)} does, without naming it by a tag in the layout: nothing is written
   * to the layout.
   *
   * @param source the layout holding {@code root} and every blob it references
   * @param root the manifest or index to push (media type, digest and size)
   * @param target where to put it: its tag (or digest when it has no tag) names the result
   * @return the descriptor the target now names
   * @throws dev.boxkit.oci.layout.BlobNotFoundException when the layout lacks {@code root} or a
   *     blob it references
   * @throws RegistryException when the registry refuses or fails (after retries)
   */
  public Descriptor push(OciLayout source, Descriptor root, ImageReference target) {
    Objects.requireNonNull(root, "root");
    return new ImageCopier(client.parallelism()).copy(
        LayoutContent.ofRoot(source, root, client.progress()), new RegistryContent(client, target),
        null, "pushing " + root.digest() + " from " + source.dir() + " to " + target);
  }
}
