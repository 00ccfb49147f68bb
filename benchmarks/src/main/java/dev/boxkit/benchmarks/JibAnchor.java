package dev.boxkit.benchmarks;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import java.nio.file.Path;

/**
 * The reference build of the image-build harness: Jib core, in the same JVM, building the same
 * image (scratch plus one layer of the tree at {@code /jdk}, the same entrypoint) into a {@code
 * docker save} tarball, with its layer caches under {@code cache} (empty: a cold build; as a
 * previous build left them: a warm rebuild).
 */
final class JibAnchor {
  private JibAnchor() {}

  static void build(Path dir, Path cache, Path out) throws Exception {
    Jib.fromScratch()
        .addFileEntriesLayer(FileEntriesLayer.builder()
            .addEntryRecursive(dir, AbsoluteUnixPath.get("/jdk")).build())
        .setEntrypoint("/jdk/bin/java", "-version")
        .containerize(Containerizer.to(TarImage.at(out).named("bench/app:1"))
            .setBaseImageLayersCache(cache.resolve("base"))
            .setApplicationLayersCache(cache.resolve("app"))
            .setOfflineMode(true));
  }
}
