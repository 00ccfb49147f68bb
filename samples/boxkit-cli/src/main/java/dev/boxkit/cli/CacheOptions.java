package dev.boxkit.cli;

import dev.boxkit.image.BoxKitDirs;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where BoxKit keeps built and pulled blobs ({@code store/}) and unpacked images ({@code rootfs/}). */
final class CacheOptions {
  @Option(names = "--cache-dir", paramLabel = "DIR",
      description = "Cache root holding store/ (blobs) and rootfs/ (unpacked images); default"
          + " $BOXKIT_CACHE_DIR, else $XDG_CACHE_HOME/boxkit, else ~/.cache/boxkit.")
  Path dir;

  /** @return the cache root, absolute */
  Path root() {
    return dir != null ? dir.toAbsolutePath().normalize() : BoxKitDirs.cacheRoot();
  }

  /** @return the blob store (an OCI layout) */
  Path store() {
    return root().resolve("store");
  }

  /** @return the rootfs cache */
  Path rootfs() {
    return root().resolve("rootfs");
  }
}
