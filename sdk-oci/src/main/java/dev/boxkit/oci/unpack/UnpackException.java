package dev.boxkit.oci.unpack;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.OciException;

/**
 * Unpacking a layer failed: unreadable or malformed blob, I/O error in the target, or (subtypes)
 * an entry that is malformed or unsafe. When thrown by {@link RootfsUnpacker#unpack}, the target
 * does not exist.
 */
public class UnpackException extends OciException {
  private static final long serialVersionUID = 1L;

  private final transient Digest layer;

  /**
   * @param layer the layer being unpacked, or null when the failure concerns no single layer
   * @param message what failed
   * @param cause the underlying failure, may be null
   */
  public UnpackException(Digest layer, String message, Throwable cause) {
    super(layer == null ? message : "layer " + layer + ": " + message, cause);
    this.layer = layer;
  }

  /** @return the layer being unpacked, or null when the failure concerns no single layer */
  public Digest layer() {
    return layer;
  }
}
