package dev.boxkit.oci;

/**
 * Media types of OCI image-spec {@code media-types.md} and of Docker's image manifest v2 schema 2,
 * which registries and {@code docker load} still use.
 */
public final class MediaType {
  private MediaType() {}

  /** OCI image manifest ({@code manifest.md}). */
  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  /** OCI image index ({@code image-index.md}). */
  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  /** OCI image configuration ({@code config.md}). */
  public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  /** Uncompressed OCI layer tar ({@code layer.md}). */
  public static final String OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
  /** gzip-compressed OCI layer tar. */
  public static final String OCI_LAYER_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
  /** zstd-compressed OCI layer tar. */
  public static final String OCI_LAYER_TAR_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
  /** The empty descriptor's media type: content {@code {}} (image-spec {@code manifest.md}). */
  public static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";
  /** The {@code oci-layout} file of an image layout ({@code image-layout.md}). */
  public static final String OCI_LAYOUT_HEADER = "application/vnd.oci.layout.header.v1+json";

  /** Docker image manifest v2 schema 2. */
  public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  /** Docker manifest list (multi-platform). */
  public static final String DOCKER_MANIFEST_LIST =
      "application/vnd.docker.distribution.manifest.list.v2+json";
  /** Docker container image configuration. */
  public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
  /** Docker gzip-compressed layer tar. */
  public static final String DOCKER_LAYER_TAR_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
  /** Docker foreign (non-distributable) gzip layer, fetched from its {@code urls}. */
  public static final String DOCKER_FOREIGN_LAYER =
      "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

  /** @return true for an OCI or Docker single-platform image manifest; false for null */
  public static boolean isManifest(String mediaType) {
    return OCI_MANIFEST.equals(mediaType) || DOCKER_MANIFEST.equals(mediaType);
  }

  /** @return true for an OCI image index or a Docker manifest list; false for null */
  public static boolean isIndex(String mediaType) {
    return OCI_INDEX.equals(mediaType) || DOCKER_MANIFEST_LIST.equals(mediaType);
  }

  /** @return true for an OCI or Docker image configuration; false for null */
  public static boolean isConfig(String mediaType) {
    return OCI_CONFIG.equals(mediaType) || DOCKER_CONFIG.equals(mediaType);
  }

  /**
   * @return true for a filesystem layer: the OCI tar, tar+gzip and tar+zstd types (also their
   *     deprecated {@code nondistributable} variants) and Docker's gzip and foreign layers; false
   *     for null
   */
  public static boolean isLayer(String mediaType) {
    if (mediaType == null) {
      return false;
    }
    return switch (mediaType) {
      case OCI_LAYER_TAR, OCI_LAYER_TAR_GZIP, OCI_LAYER_TAR_ZSTD, DOCKER_LAYER_TAR_GZIP,
          DOCKER_FOREIGN_LAYER,
          "application/vnd.oci.image.layer.nondistributable.v1.tar",
          "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
          "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd" -> true;
      default -> false;
    };
  }

  /** @return true when a layer of this type is gzip-compressed */
  public static boolean isGzipLayer(String mediaType) {
    return mediaType != null && isLayer(mediaType)
        && (mediaType.endsWith("+gzip") || mediaType.endsWith(".tar.gzip"));
  }

  /** @return true when a layer of this type is zstd-compressed */
  public static boolean isZstdLayer(String mediaType) {
    return mediaType != null && isLayer(mediaType) && mediaType.endsWith("+zstd");
  }

  /** @return true when a layer of this type is an uncompressed tar */
  public static boolean isUncompressedLayer(String mediaType) {
    return mediaType != null && isLayer(mediaType) && mediaType.endsWith(".tar");
  }
}
