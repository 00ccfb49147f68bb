package dev.boxkit.image;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.io.StagedFile;
import dev.boxkit.oci.layer.LayerDigests;
import dev.boxkit.oci.layout.OciLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Remembers which blob a cacheable layer's inputs produced, so an unchanged layer is never rebuilt
 * or recompressed. Records live beside the store ({@code <store>.layers/<key hex>}), one line
 * each; a record whose blob is gone or malformed is ignored. A lost or stale record only costs a
 * rebuild, so failures to read or write it are logged, not thrown.
 */
final class LayerCache {
  private static final Logger LOG = LoggerFactory.getLogger(LayerCache.class);
  /** Bump when the layer writer's output for the same inputs changes. */
  // v2: gzip written in independent 128 KiB blocks (pigz-style), so other digests than v1's.
  private static final String FORMAT = "boxkit-layer-cache-v2";

  private final OciLayout store;
  private final Path dir;

  LayerCache(OciLayout store) {
    this.store = store;
    this.dir = store.dir().resolveSibling(store.dir().getFileName() + ".layers");
  }

  /** @return the key for a layer built from {@code inputs} with these settings */
  static Digest key(String description, Digest inputs, String settings) {
    return Digest.sha256(FORMAT + "\n" + description + "\n" + inputs + "\n" + settings);
  }

  Optional<LayerDigests> find(Digest key) {
    try {
      String[] f = Files.readString(dir.resolve(key.hex()), StandardCharsets.UTF_8).strip().split(" ");
      LayerDigests d = new LayerDigests(Digest.parse(f[0]), Digest.parse(f[1]), Long.parseLong(f[2]),
          Long.parseLong(f[3]), f[4]);
      Path blob = store.blobPath(d.digest());
      if (Files.isRegularFile(blob) && Files.size(blob) == d.sizeBytes()) {
        return Optional.of(d);
      }
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      LOG.debug("ignoring layer cache record {}: {}", key, e.toString());
    }
    return Optional.empty();
  }

  void put(Digest key, LayerDigests d) {
    String line = d.digest() + " " + d.diffId() + " " + d.sizeBytes() + " " + d.uncompressedSizeBytes()
        + " " + d.mediaType() + "\n";
    // Not synced: a record lost in a crash only means one more layer build.
    try (StagedFile staged = StagedFile.beside(dir.resolve(key.hex()), false)) {
      Files.writeString(staged.path(), line, StandardCharsets.UTF_8);
      staged.commit();
    } catch (IOException e) {
      LOG.warn("could not record layer cache entry in {}: {}", dir, e.toString());
    }
  }
}
