package dev.boxkit.oci.unpack;

import dev.boxkit.oci.Digest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Unpacks in a separate process (run under {@code unshare} to test without root):
 * {@code <target> <cacheRoot> (<blob.tar> <diffId>)...}. Prints the owners not applied, the
 * skipped entries, and how many trees a cache get + prune removed.
 */
public final class UnpackMain {
  private UnpackMain() {}

  public static void main(String[] args) {
    List<LayerSource> layers = new ArrayList<>();
    for (int i = 2; i + 1 < args.length; i += 2) {
      layers.add(LayerSource.uncompressed(Path.of(args[i]), Digest.parse(args[i + 1])));
    }
    UnpackResult r = RootfsUnpacker.defaults().unpack(layers, Path.of(args[0]));
    System.out.println("owners=" + new java.util.TreeMap<>(r.ownersNotApplied()));
    r.skipped().forEach(s -> System.out.println("skipped=" + s.entryName()));
    RootfsCache cache = RootfsCache.open(Path.of(args[1]));
    cache.get(layers);
    System.out.println("pruned=" + cache.prune(Duration.ZERO).size() + " left=" + cache.sizeReport().size());
  }
}
