package dev.boxkit.oci.unpack;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.layer.Compression;

/**
 * A layer is compressed with an algorithm this platform cannot read: zstd where zstd-jni has no
 * native library for the operating system and architecture.
 */
public class UnsupportedLayerCompressionException extends UnpackException {
  private static final long serialVersionUID = 1L;

  private final Compression compression;

  /**
   * @param layer the layer's digest
   * @param compression the compression found or declared
   * @param cause why it cannot be read, or null
   */
  public UnsupportedLayerCompressionException(Digest layer, Compression compression, Throwable cause) {
    super(layer, compression.name().toLowerCase(java.util.Locale.ROOT)
        + " layers cannot be read on this platform" + (cause == null ? "" : ": " + cause.getMessage()), cause);
    this.compression = compression;
  }

  /** @return the compression found or declared */
  public Compression compression() {
    return compression;
  }
}
