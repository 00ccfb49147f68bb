package dev.boxkit.oci.unpack;

import dev.boxkit.oci.Digest;

/**
 * A tar entry tries to reach outside the target or to replace its root: a name or hardlink target
 * with a {@code ..} component, a whiteout of {@code .} or {@code ..}, a non-directory entry for the
 * root itself (umoci CVE-2021-29136), or a symlink loop. Nothing is written outside the target
 * either way; this exception says the layer is hostile or broken.
 */
public class UnsafeLayerEntryException extends InvalidLayerEntryException {
  private static final long serialVersionUID = 1L;

  /**
   * @param layer the layer's digest
   * @param entryName the entry name as written in the tar
   * @param reason what the entry would do
   */
  public UnsafeLayerEntryException(Digest layer, String entryName, String reason) {
    super(layer, entryName, reason);
  }
}
