package dev.boxkit.oci.layer;

import dev.boxkit.oci.Digest;
import java.util.List;

/**
 * What {@link LayerReader} found in a layer blob, read to its end.
 *
 * @param entries the tar entries in archive order (pax headers applied, not listed themselves)
 * @param digest sha256 of the blob as read
 * @param diffId sha256 of the uncompressed tar stream
 * @param sizeBytes bytes of the blob
 * @param uncompressedSizeBytes bytes of the uncompressed tar stream
 * @param compression how the blob was compressed
 */
public record LayerListing(List<TarEntryInfo> entries, Digest digest, Digest diffId, long sizeBytes,
    long uncompressedSizeBytes, Compression compression) {
  /** Copies {@code entries}. */
  public LayerListing {
    entries = List.copyOf(entries);
  }
}
