package dev.boxkit.oci.unpack;

import dev.boxkit.oci.Digest;
import java.nio.file.Path;
import java.util.Map;

/**
 * A root filesystem held by {@link RootfsCache}.
 *
 * @param chainId the image-spec ChainID of the layers it was unpacked from
 * @param rootfs the unpacked tree; shared by every caller, so treat it as read-only (mount it
 *     read-only, or under an overlay)
 * @param unpacked true when this call unpacked it, false when it was already cached
 * @param ownersNotApplied as {@link UnpackResult#ownersNotApplied()} when it was unpacked
 */
public record CachedRootfs(Digest chainId, Path rootfs, boolean unpacked,
    Map<String, FileOwner> ownersNotApplied) {
  /** Copies the map. */
  public CachedRootfs {
    ownersNotApplied = Map.copyOf(ownersNotApplied);
  }
}
