package dev.boxkit.benchmarks;

import dev.boxkit.oci.layer.LayerBlob;
import dev.boxkit.oci.layer.LayerBuilder;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Builds a gzip'd layer (level 6) from a directory (default: this JVM's {@code java.home}) with
 * {@link LayerBuilder} and, in the same run, with {@code tar -cf - DIR | gzip -6}; prints the
 * median time, MB/s of uncompressed tar per second and the ratio, plus the peak heap, to show
 * that memory stays flat whatever the layer size (run it with {@code -Xmx64m}).
 *
 * <p>Arguments: {@code [directory] [iterations, default 3]}.
 */
public final class LayerBuildHarness {
  private LayerBuildHarness() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : System.getProperty("java.home")).toRealPath();
    int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    // Under the module's target/, not /tmp, which may be a small tmpfs or cleaned by others.
    Path work = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "layer-bench");
    try {
      List<Double> boxkit = new ArrayList<>();
      List<Double> reference = new ArrayList<>();
      LayerBlob blob = null;
      long refSize = 0;
      // One untimed warm-up of each, so both read from the page cache and the JIT has run.
      blob = LayerBuilder.create().addTree(dir, "/").build(work.resolve("warm.tar.gz"));
      runReference(dir, work.resolve("warm-ref.tar.gz"));
      for (int i = 0; i < iterations; i++) {
        long t0 = System.nanoTime();
        blob = LayerBuilder.create().addTree(dir, "/").build(work.resolve("boxkit.tar.gz"));
        boxkit.add(Math.round((System.nanoTime() - t0) / 1e7) / 100.0);
        long t1 = System.nanoTime();
        refSize = runReference(dir, work.resolve("ref.tar.gz"));
        reference.add(Math.round((System.nanoTime() - t1) / 1e7) / 100.0);
      }
      double mb = blob.uncompressedSizeBytes() / 1e6;
      double b = median(boxkit);
      double r = median(reference);
      System.out.printf(Locale.ROOT, "input: %s, %d iterations, %d CPUs%n", dir, iterations,
          Runtime.getRuntime().availableProcessors());
      System.out.printf(Locale.ROOT, "uncompressed tar: %.1f MB; boxkit blob %.1f MB, tar|gzip blob %.1f MB%n",
          mb, blob.sizeBytes() / 1e6, refSize / 1e6);
      double bBest = min(boxkit);
      double rBest = min(reference);
      System.out.printf(Locale.ROOT, "boxkit  LayerBuilder gzip-6: median %.2f s %6.1f MB/s, best %.2f s %6.1f MB/s, runs %s%n",
          b, mb / b, bBest, mb / bBest, boxkit);
      System.out.printf(Locale.ROOT, "tar -cf - | gzip -6       : median %.2f s %6.1f MB/s, best %.2f s %6.1f MB/s, runs %s%n",
          r, mb / r, rBest, mb / rBest, reference);
      System.out.printf(Locale.ROOT, "ratio boxkit/reference time: median %.2f, best %.2f%n", b / r, bBest / rBest);
      System.out.printf(Locale.ROOT, "load average: %.1f%n",
          ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
      System.out.printf(Locale.ROOT, "heap: max %d MB, peak used %.1f MB%n",
          Runtime.getRuntime().maxMemory() / (1024 * 1024), peakHeapBytes() / (1024.0 * 1024));
      System.out.println("digest " + blob.digest() + " diffID " + blob.diffId());
    } finally {
      try (Stream<Path> s = Files.walk(work)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  private static long runReference(Path dir, Path out) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("bash", "-c", "set -o pipefail; tar -cf - -C \"$1\" . | gzip -6 > \"$2\"",
        "bash", dir.toString(), out.toString()).inheritIO().start();
    if (p.waitFor() != 0) {
      throw new IOException("tar | gzip failed with exit status " + p.exitValue());
    }
    return Files.size(out);
  }

  private static long peakHeapBytes() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum;
  }

  private static double min(List<Double> values) {
    return Math.round(values.stream().mapToDouble(Double::doubleValue).min().orElseThrow() * 100) / 100.0;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return Math.round(sorted.get(sorted.size() / 2) * 100) / 100.0;
  }
}
