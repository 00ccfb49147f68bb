package dev.boxkit.image;

import dev.boxkit.oci.Digest;

/**
 * Progress of {@link ImageBuilder#build()} and {@link Image#writeTo(ImageTarget)}, delivered to a
 * {@link BuildListener} on the building thread, in order.
 */
public sealed interface BuildEvent {

  /**
   * A layer started building.
   *
   * @param index the layer's position among the layers this build adds (0-based)
   * @param description what the layer holds, e.g. {@code "directory /src -> /app"}
   */
  record LayerStarted(int index, String description) implements BuildEvent {}

  /**
   * Bytes of a layer's uncompressed tar written so far.
   *
   * @param index the layer's position
   * @param uncompressedBytes bytes written so far
   */
  record LayerProgress(int index, long uncompressedBytes) implements BuildEvent {}

  /**
   * A layer is complete.
   *
   * @param index the layer's position
   * @param digest the compressed blob's digest
   * @param diffId the uncompressed tar's digest
   * @param sizeBytes the compressed blob's size
   * @param cached true when an identical blob already existed and was reused
   */
  record LayerDone(int index, Digest digest, Digest diffId, long sizeBytes, boolean cached)
      implements BuildEvent {}

  /**
   * A blob reached a target: written, already there, or (in a registry) mounted from another
   * repository. For a registry target these describe the push itself, one per layer, the config
   * and the manifest, delivered once the push is over.
   *
   * @param digest the blob
   * @param sizeBytes its size in bytes
   * @param outcome what happened to it
   */
  record BlobWritten(Digest digest, long sizeBytes, Outcome outcome) implements BuildEvent {
    /** @throws NullPointerException when {@code outcome} is null */
    public BlobWritten {
      java.util.Objects.requireNonNull(outcome, "outcome");
    }

    /** @return true when no bytes were sent: the target had the blob, or mounted it */
    public boolean skipped() {
      return outcome != Outcome.WRITTEN;
    }
  }

  /** What happened to one blob written to a target. */
  enum Outcome {
    /** Its bytes were written (a layout, an archive) or uploaded (a registry). */
    WRITTEN,
    /** The target already had it: nothing was sent. */
    PRESENT,
    /** The registry mounted it from another of its repositories: nothing was sent. */
    MOUNTED
  }
}
