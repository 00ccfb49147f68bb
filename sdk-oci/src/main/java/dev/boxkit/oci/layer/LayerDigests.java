package dev.boxkit.oci.layer;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.InvalidInputException;

/**
 * What identifies a layer blob written to a stream: see {@link LayerBlob} for the terms.
 *
 * @param digest sha256 of the blob as written (compressed)
 * @param diffId sha256 of the uncompressed tar stream
 * @param sizeBytes bytes of the blob as written
 * @param uncompressedSizeBytes bytes of the uncompressed tar stream
 * @param mediaType the blob's OCI media type
 */
public record LayerDigests(Digest digest, Digest diffId, long sizeBytes, long uncompressedSizeBytes,
    String mediaType) {
  /** @throws InvalidInputException when a field is missing or a size is negative */
  public LayerDigests {
    if (digest == null || diffId == null || mediaType == null) {
      throw new InvalidInputException("layer digests", null, "digest, diffId and mediaType are required");
    }
    if (sizeBytes < 0 || uncompressedSizeBytes < 0) {
      throw new InvalidInputException("layer size", sizeBytes + "/" + uncompressedSizeBytes, "must be >= 0");
    }
  }
}
