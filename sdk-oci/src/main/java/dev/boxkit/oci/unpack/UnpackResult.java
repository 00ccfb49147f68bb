package dev.boxkit.oci.unpack;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What {@link RootfsUnpacker#unpack} produced.
 *
 * @param root the unpacked tree (the requested target)
 * @param entryCount tar entries applied, whiteouts included, over all layers
 * @param fileBytes bytes of regular-file content written
 * @param ownersNotApplied owners that the tree does not carry, by path relative to {@code root}
 *     ({@code "etc/shadow"}, {@code ""} for the root itself), for paths that exist in the final
 *     tree; empty when every owner was applied. A sandbox can replay them (e.g. through a user
 *     namespace mapping); the tree itself has no sidecar or xattr for them.
 * @param skipped entries deliberately not materialised, in order
 */
public record UnpackResult(
    Path root, long entryCount, long fileBytes, Map<String, FileOwner> ownersNotApplied,
    List<SkippedEntry> skipped) {
  /** Copies the collections. */
  public UnpackResult {
    ownersNotApplied = Map.copyOf(ownersNotApplied);
    skipped = List.copyOf(skipped);
  }
}
