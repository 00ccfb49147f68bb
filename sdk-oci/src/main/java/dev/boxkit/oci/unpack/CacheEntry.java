package dev.boxkit.oci.unpack;

import dev.boxkit.oci.Digest;
import java.nio.file.Path;
import java.time.Instant;

/**
 * One tree in a {@link RootfsCache}, as listed by {@link RootfsCache#sizeReport()} and
 * {@link RootfsCache#prune(java.time.Duration)}.
 *
 * @param chainId the layers' ChainID
 * @param rootfs the unpacked tree (for a pruned entry: where it was)
 * @param sizeBytes apparent size of its regular files in bytes, each hardlinked inode counted once
 * @param lastUsed when {@link RootfsCache#get} last returned it (or it was unpacked)
 */
public record CacheEntry(Digest chainId, Path rootfs, long sizeBytes, Instant lastUsed) {}
