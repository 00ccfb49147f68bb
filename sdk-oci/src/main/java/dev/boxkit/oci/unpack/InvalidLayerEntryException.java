package dev.boxkit.oci.unpack;

import dev.boxkit.oci.Digest;

/**
 * A tar entry cannot be applied: a bare {@code .wh.} whiteout, a hardlink to a missing file or a
 * directory, a path whose parent is not a directory, a name the platform cannot represent. The
 * message names the layer digest and quotes the entry name.
 */
public class InvalidLayerEntryException extends UnpackException {
  private static final long serialVersionUID = 1L;

  private final String entryName;

  /**
   * @param layer the layer's digest
   * @param entryName the entry name as written in the tar
   * @param reason why it is refused
   */
  public InvalidLayerEntryException(Digest layer, String entryName, String reason) {
    super(layer, "entry \"" + entryName + "\": " + reason, null);
    this.entryName = entryName;
  }

  /** @return the entry name as written in the tar */
  public String entryName() {
    return entryName;
  }
}
