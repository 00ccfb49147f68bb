package dev.boxkit.image;

import dev.boxkit.oci.CacheRoot;
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
    return CacheRoot.path();
  }
}
