package dev.boxkit.oci.unpack;

import dev.boxkit.oci.Digest;

/**
 * A layer entry that was deliberately not materialised (e.g. a device node when the process may
 * not create one). Each is also logged at WARN.
 *
 * @param layer the layer's digest
 * @param entryName the entry name as written in the tar
 * @param reason why it was skipped
 */
public record SkippedEntry(Digest layer, String entryName, String reason) {}
