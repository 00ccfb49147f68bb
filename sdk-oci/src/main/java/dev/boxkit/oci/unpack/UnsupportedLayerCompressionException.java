package dev.boxkit.oci.unpack;

import dev.boxkit.oci.Digest;

/** A layer is compressed with an algorithm this unpacker cannot read (zstd). */
public class UnsupportedLayerCompressionException extends UnpackException {
  private static final long serialVersionUID = 1L;

  private final Compression compression;

  /**
   * @param layer the layer's digest
   * @param compression the compression found or declared
   */
  public UnsupportedLayerCompressionException(Digest layer, Compression compression) {
    super(layer, compression.name().toLowerCase(java.util.Locale.ROOT)
        + " layers are not supported (gzip or uncompressed only)", null);
    this.compression = compression;
  }

  /** @return the compression found or declared */
  public Compression compression() {
    return compression;
  }
}
