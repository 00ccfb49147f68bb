package dev.boxkit.oci;

/** Pre-defined annotation keys of image-spec {@code annotations.md} that BoxKit reads or writes. */
public final class Annotations {
  private Annotations() {}

  /** Reference name of a manifest in an image layout's {@code index.json}, e.g. a tag. */
  public static final String REF_NAME = "org.opencontainers.image.ref.name";
  /** Date and time the image was built, RFC 3339. */
  public static final String CREATED = "org.opencontainers.image.created";
  /** URL of the image's source code. */
  public static final String SOURCE = "org.opencontainers.image.source";
  /** Source control revision of the image's source. */
  public static final String REVISION = "org.opencontainers.image.revision";
  /** Human-readable title; on a layer, its file name. */
  public static final String TITLE = "org.opencontainers.image.title";
  /** Image reference of the base image. */
  public static final String BASE_NAME = "org.opencontainers.image.base.name";
  /** Digest of the base image's manifest. */
  public static final String BASE_DIGEST = "org.opencontainers.image.base.digest";
}
