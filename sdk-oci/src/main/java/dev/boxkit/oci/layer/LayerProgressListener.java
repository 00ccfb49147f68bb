package dev.boxkit.oci.layer;

/**
 * Told after each entry is written to a layer; called on the building thread, so it should return
 * quickly.
 */
@FunctionalInterface
public interface LayerProgressListener {
  /**
   * @param entriesWritten entries written so far, including synthesised parent directories
   * @param totalEntries entries the layer will have
   * @param uncompressedBytesWritten bytes of tar written so far (headers and content)
   */
  void onProgress(long entriesWritten, long totalEntries, long uncompressedBytesWritten);
}
