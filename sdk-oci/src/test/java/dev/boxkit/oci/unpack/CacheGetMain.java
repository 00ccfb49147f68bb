package dev.boxkit.oci.unpack;

import dev.boxkit.oci.Digest;
import java.nio.file.Path;
import java.util.List;

/** Runs {@link RootfsCache#get} in a separate JVM: {@code <cacheRoot> <blob.tar> <diffId>}. */
public final class CacheGetMain {
  private CacheGetMain() {}

  public static void main(String[] args) {
    RootfsCache cache = RootfsCache.open(Path.of(args[0]));
    CachedRootfs r = cache.get(List.of(LayerSource.uncompressed(Path.of(args[1]), Digest.parse(args[2]))));
    System.out.println("unpacked=" + r.unpacked() + " path=" + r.rootfs());
  }
}
