package dev.boxkit.oci;

import java.nio.file.Path;

/**
 * The directory under which BoxKit keeps its caches on the host (the blob store, unpacked rootfs
 * trees): {@code $BOXKIT_CACHE_DIR}, else {@code $XDG_CACHE_HOME/boxkit} (when absolute, per the
 * XDG base directory spec), else {@code ~/.cache/boxkit}.
 */
public final class CacheRoot {
  private CacheRoot() {}

  /** @return the cache root as an absolute path; nothing is created */
  public static Path path() {
    String explicit = System.getenv("BOXKIT_CACHE_DIR");
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit).toAbsolutePath();
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
      return Path.of(xdg, "boxkit");
    }
    return Path.of(System.getProperty("user.home"), ".cache", "boxkit").toAbsolutePath();
  }
}
