package dev.boxkit.image;

import java.nio.file.Path;

/** Where BoxKit keeps its caches on the host. */
public final class BoxKitDirs {
  private BoxKitDirs() {}

  /**
   * The cache root: {@code $BOXKIT_CACHE_DIR}, else {@code $XDG_CACHE_HOME/boxkit}, else
   * {@code ~/.cache/boxkit}. Nothing is created by this call.
   *
   * @return an absolute path
   */
  public static Path cacheRoot() {
    String explicit = System.getenv("BOXKIT_CACHE_DIR");
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit).toAbsolutePath();
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "boxkit").toAbsolutePath();
    }
    return Path.of(System.getProperty("user.home"), ".cache", "boxkit").toAbsolutePath();
  }
}
