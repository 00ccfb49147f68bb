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
   * A blob was written to a target, or skipped because the target had it.
   *
   * @param digest the blob
   * @param sizeBytes its size
   * @param skipped true when the target already held it
   */
  record BlobWritten(Digest digest, long sizeBytes, boolean skipped) implements BuildEvent {}
}
