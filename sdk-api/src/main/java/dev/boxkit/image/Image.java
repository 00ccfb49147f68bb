package dev.boxkit.image;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.ImageConfig;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.OciException;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.layout.BlobNotFoundException;
import dev.boxkit.oci.layout.OciLayout;
import dev.boxkit.oci.unpack.CachedRootfs;
import dev.boxkit.oci.layer.Compression;
import dev.boxkit.oci.unpack.LayerSource;
import dev.boxkit.oci.unpack.RootfsCache;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A built or loaded OCI image: its manifest, its configuration, and access to its blobs. Immutable.
 * Made by {@link #builder()}; written with {@link #writeTo(ImageTarget)}; usable as the base of
 * another build.
 *
 * <p>Terms (image-spec {@code manifest.md}, {@code config.md}): the image's {@link #digest()} is
 * the digest of its manifest; a layer's descriptor digest is that of its compressed blob, its
 * diffID (in {@link ImageConfig#diffIds()}) that of the uncompressed tar.
 */
public final class Image implements ImageSource {
  private final Descriptor descriptor;
  private final ImageManifest manifest;
  private final ImageConfig config;
  private final List<OciLayout> blobStores;

  Image(Descriptor descriptor, ImageManifest manifest, ImageConfig config, List<OciLayout> blobStores) {
    this.descriptor = descriptor;
    this.manifest = manifest;
    this.config = config;
    this.blobStores = List.copyOf(blobStores);
  }

  /** @return a new builder, starting from {@link #scratch()} */
  public static ImageBuilder builder() {
    return new ImageBuilder();
  }

  /** @return the empty base image: no layers */
  public static ImageSource scratch() {
    return ImageSource.Scratch.INSTANCE;
  }

  /**
   * Reads an image from an OCI layout (choosing {@code platform} when the tag names an index).
   *
   * @param source the layout and tag
   * @param platform the platform wanted from an index; null to accept a single manifest of any
   *     platform, or the host platform from an index
   * @throws dev.boxkit.oci.layout.TagNotFoundException when the tag does not exist
   * @throws OciException when the layout is malformed or has no manifest for the platform
   */
  public static Image load(OciLayoutSource source, Platform platform) {
    return BaseImages.load(source, platform);
  }

  /**
   * Pulls an image from a registry into the blob store under {@link BoxKitDirs#cacheRoot()}
   * (blobs it already has are skipped) and reads it from there.
   *
   * @param source the registry reference and client
   * @param platform the platform wanted when the reference names an index; null for the host's
   * @throws dev.boxkit.oci.registry.RegistryException when the registry refuses or fails
   * @throws dev.boxkit.oci.DigestMismatchException when content does not match its digest
   */
  public static Image load(RegistryImage source, Platform platform) {
    return BaseImages.pull(source, platform != null ? platform : Platform.host(),
        BoxKitDirs.cacheRoot().resolve("store"));
  }

  /**
   * Reads the image in a {@code docker save} tarball: its blobs are imported, as stored, into the
   * blob store under {@link BoxKitDirs#cacheRoot()} (blobs it already has are kept), and the
   * image is read from there.
   *
   * @param source the tarball
   * @param platform the platform the image must be for; null to accept any
   * @throws dev.boxkit.oci.DigestMismatchException when an uncompressed layer does not match its
   *     diffID
   * @throws OciException naming the tarball when it is unreadable or not a one-image docker
   *     archive, or when the image is for another platform than {@code platform}
   */
  public static Image load(DockerArchiveSource source, Platform platform) {
    return load(source, platform, BoxKitDirs.cacheRoot().resolve("store"));
  }

  /**
   * As {@link #load(DockerArchiveSource, Platform)}, importing into the blob store at {@code
   * storeDir} instead (an OCI image layout, created when absent, as {@link
   * ImageBuilder#cacheDir} names one).
   *
   * @throws InvalidInputException naming {@code storeDir} when it is null
   */
  public static Image load(DockerArchiveSource source, Platform platform, Path storeDir) {
    if (storeDir == null) {
      throw new InvalidInputException("storeDir", null, "must not be null");
    }
    return BaseImages.importArchive(source, platform, storeDir);
  }

  /** @return the manifest's digest, which identifies the image */
  public Digest digest() {
    return descriptor.digest();
  }

  /** @return the descriptor of the manifest (media type, digest, size in bytes) */
  public Descriptor descriptor() {
    return descriptor;
  }

  /** @return the image manifest */
  public ImageManifest manifest() {
    return manifest;
  }

  /** @return the image configuration */
  public ImageConfig config() {
    return config;
  }

  /** @return the platform the configuration declares */
  public Platform platform() {
    return config.platform();
  }

  /** @return the layer descriptors, base layer first */
  public List<Descriptor> layers() {
    return manifest.layers();
  }

  /**
   * Opens a blob of this image (a layer, the config or the manifest), verifying its digest and
   * size while it is read.
   *
   * @param blob one of this image's descriptors
   * @return a stream the caller closes; throws {@link dev.boxkit.oci.DigestMismatchException}
   *     at end of stream if the content does not match
   * @throws BlobNotFoundException when no store holds the blob
   */
  public InputStream openBlob(Descriptor blob) {
    Objects.requireNonNull(blob, "blob");
    return store(blob.digest()).openBlob(blob);
  }

  /**
   * Writes the image to {@code target}: blobs first, then the manifest, then the tags, so a
   * reader never sees a tag pointing at missing content.
   *
   * @return the manifest descriptor as written
   * @throws OciException when writing fails; the target is left as it was, plus possibly some
   *     complete, unreferenced blobs
   */
  public Descriptor writeTo(ImageTarget target) {
    return writeTo(target, BuildListener.NONE);
  }

  /**
   * As {@link #writeTo(ImageTarget)}, reporting each blob to {@code listener}.
   *
   * @throws dev.boxkit.oci.InvalidInputException naming {@code target} or {@code listener} when null
   */
  public Descriptor writeTo(ImageTarget target, BuildListener listener) {
    if (target == null || listener == null) {
      throw new dev.boxkit.oci.InvalidInputException(target == null ? "target" : "listener", null,
          "must not be null");
    }
    long start = System.nanoTime();
    Descriptor d = ImageWriter.write(this, target, listener);
    org.slf4j.LoggerFactory.getLogger(Image.class).info("image {} written to {} in {} ms", d.digest(),
        target, (System.nanoTime() - start) / 1_000_000);
    return d;
  }

  /**
   * Unpacks the image's layers into {@code cache} (once per layer chain; later calls, from any
   * thread or JVM, reuse the tree) and returns the read-only root filesystem tree. Each layer's
   * digest and diffID are verified while unpacking.
   *
   * @param cache where unpacked trees are kept, e.g. {@code RootfsCache.open(RootfsCache.defaultRoot())}
   * @return the cached tree and whether this call unpacked it
   * @throws dev.boxkit.oci.unpack.UnsafeLayerEntryException when a layer would write outside the tree
   * @throws dev.boxkit.oci.DigestMismatchException when a layer does not match its digest or diffID
   * @throws dev.boxkit.oci.unpack.UnsupportedLayerCompressionException for zstd layers on a
   *     platform zstd-jni has no native library for
   */
  public CachedRootfs rootfs(RootfsCache cache) {
    Objects.requireNonNull(cache, "cache");
    List<Digest> diffIds = config.diffIds();
    if (diffIds.size() != layers().size()) {
      throw new OciException("image " + digest() + " has " + layers().size()
          + " layers but its config lists " + diffIds.size() + " diff_ids");
    }
    List<LayerSource> sources = new ArrayList<>();
    for (int i = 0; i < diffIds.size(); i++) {
      Descriptor l = layers().get(i);
      Compression c = Compression.fromMediaType(l.mediaType());
      // A blob may be gone (a docker archive's temporary layout) once its tree is cached: the
      // cache reads blobs only for a tree it lacks, and then names the missing one.
      OciLayout s = blobStores.stream().filter(b -> b.hasBlob(l.digest())).findFirst().orElse(blobStores.get(0));
      sources.add(new LayerSource(s.blobPath(l.digest()), l.digest(), diffIds.get(i), c));
    }
    return cache.get(sources);
  }

  OciLayout store(Digest digest) {
    for (OciLayout s : blobStores) {
      if (s.hasBlob(digest)) {
        return s;
      }
    }
    throw new BlobNotFoundException(digest, blobStores.get(0).blobPath(digest));
  }

  List<OciLayout> blobStores() {
    return blobStores;
  }

  @Override
  public String toString() {
    return "Image[" + digest() + ", " + platform() + ", " + layers().size() + " layers]";
  }
}
