package dev.boxkit.oci.unpack;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.layer.Compression;
import java.nio.file.Path;

/**
 * One layer to unpack: its blob file and the digests it must match.
 *
 * @param blobFile the layer blob as stored (compressed or not); read once, never modified
 * @param digest the digest of the blob as stored (the descriptor's {@code digest}); verified when
 *     non-null; may equal {@code diffId} for an uncompressed layer; null skips that check
 * @param diffId the digest of the uncompressed tar (the config's {@code rootfs.diff_ids} entry);
 *     always verified, over every byte of the tar including what follows the end-of-archive marker
 * @param compression how the blob is compressed, e.g. {@link Compression#fromMediaType(String)} of
 *     its descriptor; null: told from the blob's first bytes ({@link Compression#detect(byte[])})
 */
public record LayerSource(Path blobFile, Digest digest, Digest diffId, Compression compression) {
  /** @throws InvalidInputException when blobFile or diffId is null */
  public LayerSource {
    if (blobFile == null) {
      throw new InvalidInputException("blobFile", null, "must not be null");
    }
    if (diffId == null) {
      throw new InvalidInputException("diffId", null, "must not be null for layer " + blobFile);
    }
  }

  /** @return an uncompressed layer whose blob digest is its diffID */
  public static LayerSource uncompressed(Path tarFile, Digest diffId) {
    return new LayerSource(tarFile, diffId, diffId, Compression.NONE);
  }

  /** @return a gzip-compressed layer */
  public static LayerSource gzip(Path blobFile, Digest digest, Digest diffId) {
    return new LayerSource(blobFile, digest, diffId, Compression.GZIP);
  }

  /** @return a zstd-compressed layer */
  public static LayerSource zstd(Path blobFile, Digest digest, Digest diffId) {
    return new LayerSource(blobFile, digest, diffId, Compression.ZSTD);
  }

  /** @return the digest that names this layer in messages: {@code digest} if given, else diffID */
  public Digest displayDigest() {
    return digest != null ? digest : diffId;
  }
}
