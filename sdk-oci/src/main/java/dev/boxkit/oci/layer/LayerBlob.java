package dev.boxkit.oci.layer;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.InvalidInputException;
import java.nio.file.Path;

/**
 * A layer blob written to a file, with the two hashes image-spec distinguishes: the
 * {@code digest} (of the blob as stored and transferred, used in the manifest's layer descriptor)
 * and the {@code diffId} (of the uncompressed tar, used in the config's {@code rootfs.diff_ids};
 * image-spec {@code config.md}, "Layer DiffID").
 *
 * @param digest sha256 of the file's bytes
 * @param diffId sha256 of the uncompressed tar (equals {@code digest} when not compressed)
 * @param sizeBytes size of the file in bytes
 * @param uncompressedSizeBytes size of the uncompressed tar in bytes
 * @param mediaType e.g. {@code application/vnd.oci.image.layer.v1.tar+gzip}
 * @param file where the blob was written
 */
public record LayerBlob(Digest digest, Digest diffId, long sizeBytes, long uncompressedSizeBytes,
    String mediaType, Path file) {
  /** @throws InvalidInputException when a field is missing or a size is negative */
  public LayerBlob {
    new LayerDigests(digest, diffId, sizeBytes, uncompressedSizeBytes, mediaType);
    if (file == null) {
      throw new InvalidInputException("layer file", null, "must not be null");
    }
  }

  static LayerBlob of(LayerDigests d, Path file) {
    return new LayerBlob(d.digest(), d.diffId(), d.sizeBytes(), d.uncompressedSizeBytes(),
        d.mediaType(), file);
  }

  /** @return the digests without the file */
  public LayerDigests digests() {
    return new LayerDigests(digest, diffId, sizeBytes, uncompressedSizeBytes, mediaType);
  }
}
