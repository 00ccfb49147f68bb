package dev.boxkit.oci.unpack;

/**
 * How a layer blob is compressed (image-spec {@code layer.md}, "Distributable Format"). Only
 * {@link #NONE} and {@link #GZIP} can be unpacked; {@link #ZSTD} is recognised so that it is
 * refused with {@link UnsupportedLayerCompressionException} rather than misread as a tar.
 */
public enum Compression {
  /** A plain tar ({@code application/vnd.oci.image.layer.v1.tar}). */
  NONE,
  /** gzip ({@code +gzip}); concatenated members are read as one stream. */
  GZIP,
  /** zstd ({@code +zstd}); not supported by this unpacker. */
  ZSTD,
  /** Decide from the first bytes: gzip {@code 1f 8b}, zstd {@code 28 b5 2f fd}, otherwise tar. */
  AUTO
}
