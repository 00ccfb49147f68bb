package dev.boxkit.oci.registry;

import dev.boxkit.oci.Digest;

/**
 * A progress event of one blob transfer.
 *
 * @param digest the blob
 * @param sizeBytes its size in bytes, or -1 when unknown
 * @param transferredBytes bytes sent or received so far for this blob
 * @param kind what happened
 */
public record BlobProgress(Digest digest, long sizeBytes, long transferredBytes, Kind kind) {
  /** What a progress event reports. */
  public enum Kind {
    /** Some bytes moved; {@code transferredBytes} grew. */
    BYTES,
    /** The blob is complete and verified at the destination. */
    DONE,
    /** The destination already had the blob: nothing was transferred. */
    SKIPPED,
    /** The registry mounted the blob from another repository: nothing was transferred. */
    MOUNTED
  }

  /** Receives progress events; called from transfer threads, so implementations must be thread-safe. */
  @FunctionalInterface
  public interface Listener {
    /** @param event the event; must not throw */
    void onProgress(BlobProgress event);

    /** @return a listener that ignores events */
    static Listener none() {
      return e -> {};
    }
  }
}
