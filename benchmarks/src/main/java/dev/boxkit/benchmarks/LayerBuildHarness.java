package dev.boxkit.benchmarks;

import dev.boxkit.oci.layer.Compression;
import dev.boxkit.oci.layer.LayerBlob;
import dev.boxkit.oci.layer.LayerBuilder;
import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.layout.OciLayout;
import dev.boxkit.oci.unpack.LayerSource;
import dev.boxkit.oci.unpack.RootfsUnpacker;
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
 * Builds a layer from a directory (default: this JVM's {@code java.home}) with
 * {@link LayerBuilder}, gzip level 6 on one thread and on all cores, zstd level 3 on one thread
 * and on all cores, and, in the same run, with {@code tar -cf - DIR | gzip -6} and
 * {@code tar | zstd -3 -T0} when those tools are present; then unpacks the gzip and the zstd blob
 * with {@link RootfsUnpacker}, and the gzip one with {@code umoci unpack --rootless} when umoci
 * is present. Prints median times, MB/s of uncompressed tar, blob sizes and the
 * peak heap, to show that memory stays flat whatever the layer size (run it with
 * {@code -Xmx64m}). A benchmark: nothing here asserts a time.
 *
 * <p>Arguments: {@code [directory] [iterations, default 3]}.
 */
public final class LayerBuildHarness {
  private LayerBuildHarness() {}

  private record Variant(String name, Compression compression, int threads) {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : System.getProperty("java.home")).toRealPath();
    int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int cores = Runtime.getRuntime().availableProcessors();
    // Under the module's target/, not /tmp, which may be a small tmpfs or cleaned by others.
    Path work = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "layer-bench");
    try {
      System.out.printf(Locale.ROOT, "input: %s, %d iterations, %d CPUs, load average %.1f%n", dir,
          iterations, cores, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
      List<Variant> variants = List.of(
          new Variant("gzip-6, 1 thread", Compression.GZIP, 1),
          new Variant("gzip-6, " + cores + " threads", Compression.GZIP, cores),
          new Variant("zstd-3, 1 worker", Compression.ZSTD, 1),
          new Variant("zstd-3, " + cores + " workers", Compression.ZSTD, cores));
      double mb = 0;
      java.util.Map<String, Double> medians = new java.util.HashMap<>();
      LayerBlob gzipBlob = null;
      LayerBlob zstdBlob = null;
      for (Variant v : variants) {
        Path out = work.resolve(v.compression() + "-" + v.threads());
        LayerBlob blob = build(dir, v, out); // untimed: page cache and JIT
        List<Double> times = new ArrayList<>();
        long cpu0 = cpuNanos();
        for (int i = 0; i < iterations; i++) {
          long t = System.nanoTime();
          LayerBlob again = build(dir, v, out);
          times.add(seconds(t));
          if (!again.digest().equals(blob.digest())) {
            throw new IllegalStateException(v.name() + ": digest changed between builds");
          }
        }
        mb = blob.uncompressedSizeBytes() / 1e6;
        medians.put(v.name(), print("boxkit " + v.name(), times, mb, blob.sizeBytes()));
        // CPU seconds of this JVM per build (zstd's native workers included): what the build
        // costs whatever else the machine runs; the wall time above depends on free cores.
        System.out.printf(Locale.ROOT, "%-26s cpu %6.2f s per build%n", "", (cpuNanos() - cpu0) / 1e9 / iterations);
        if (v.compression() == Compression.GZIP) {
          gzipBlob = blob;
        } else {
          zstdBlob = blob;
        }
      }
      double gzipRef = reference("tar | gzip -6", "gzip -6", dir, work.resolve("ref.tar.gz"), iterations, mb);
      double pigzRef = reference("tar | pigz -6", "pigz -6", dir, work.resolve("ref-pigz.tar.gz"), iterations, mb);
      double zstdRef = reference("tar | zstd -3 -T0", "zstd -3 -T0 -q", dir, work.resolve("ref.tar.zst"), iterations, mb);
      double unpackGzip = unpack("unpack gzip", LayerSource.gzip(gzipBlob.file(), gzipBlob.digest(),
          gzipBlob.diffId()), work, iterations, mb);
      unpack("unpack zstd", LayerSource.zstd(zstdBlob.file(), zstdBlob.digest(), zstdBlob.diffId()),
          work, iterations, mb);
      double umoci = umociUnpack(gzipBlob, work, iterations, mb);
      String tree = String.format(Locale.ROOT, "%.0f MB tree", mb);
      new ResultRow("layer gzip-6, 1 thread, " + tree, medians.get("gzip-6, 1 thread"), "tar | gzip -6", gzipRef, "s").print();
      new ResultRow("layer gzip-6, " + cores + " threads, " + tree, medians.get("gzip-6, " + cores + " threads"),
          "tar | pigz -6", pigzRef, "s").print();
      new ResultRow("layer zstd-3, " + cores + " workers, " + tree, medians.get("zstd-3, " + cores + " workers"),
          "tar | zstd -3 -T0", zstdRef, "s").print();
      new ResultRow("unpack gzip layer, " + tree, unpackGzip, "umoci unpack --rootless", umoci, "s").print();
      System.out.printf(Locale.ROOT, "heap: max %d MB, peak used %.1f MB%n",
          Runtime.getRuntime().maxMemory() / (1024 * 1024), peakHeapBytes() / (1024.0 * 1024));
      System.out.println("gzip digest " + gzipBlob.digest() + " zstd digest " + zstdBlob.digest()
          + " diffID " + gzipBlob.diffId());
    } finally {
      deleteTree(work);
    }
  }

  private static LayerBlob build(Path dir, Variant v, Path out) {
    return LayerBuilder.create().compression(v.compression()).compressionThreads(v.threads())
        .addTree(dir, "/").build(out);
  }

  private static double unpack(String name, LayerSource layer, Path work, int iterations, double mb)
      throws IOException {
    List<Double> times = new ArrayList<>();
    for (int i = 0; i <= iterations; i++) {
      Path target = work.resolve("rootfs");
      long t = System.nanoTime();
      RootfsUnpacker.defaults().unpack(List.of(layer), target);
      double s = seconds(t);
      if (i > 0) { // the first is a warm-up
        times.add(s);
      }
      deleteTree(target);
    }
    return print(name, times, mb, Files.size(layer.blobFile()));
  }

  /**
   * {@code umoci unpack --rootless} of the same gzip layer, as a one-layer image in an OCI layout:
   * the anchor of the unpack goal (umoci also writes an mtree manifest of the tree, which
   * is part of what its users wait for).
   */
  private static double umociUnpack(LayerBlob gzip, Path work, int iterations, double mb)
      throws IOException, InterruptedException {
    if (new ProcessBuilder("sh", "-c", "command -v umoci").start().waitFor() != 0) {
      System.out.println("umoci unpack: umoci not installed, skipped");
      return Double.NaN;
    }
    OciLayout layout = OciLayout.create(work.resolve("umoci-layout"));
    Descriptor layer = layout.writeBlob(gzip.file(), MediaType.OCI_LAYER_TAR_GZIP);
    Descriptor config = layout.writeBlob(("{\"architecture\":\"amd64\",\"os\":\"linux\","
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + gzip.diffId() + "\"]}}")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8), MediaType.OCI_CONFIG);
    layout.tag("bench", layout.writeManifest(ImageManifest.of(config, List.of(layer))));
    List<Double> times = new ArrayList<>();
    for (int i = 0; i <= iterations; i++) {
      Path bundle = work.resolve("umoci-bundle");
      long t = System.nanoTime();
      Process p = new ProcessBuilder("umoci", "unpack", "--rootless", "--image",
          layout.dir() + ":bench", bundle.toString()).inheritIO().start();
      if (p.waitFor() != 0) {
        throw new IOException("umoci unpack failed with exit status " + p.exitValue());
      }
      if (i > 0) {
        times.add(seconds(t));
      }
      deleteTree(bundle);
    }
    return print("umoci unpack gzip", times, mb, Files.size(gzip.file()));
  }

  private static double reference(String name, String compressor, Path dir, Path out, int iterations,
      double mb) throws IOException, InterruptedException {
    String program = compressor.split(" ")[0];
    if (new ProcessBuilder("sh", "-c", "command -v " + program).start().waitFor() != 0) {
      System.out.println(name + ": " + program + " not installed, skipped");
      return Double.NaN;
    }
    List<Double> times = new ArrayList<>();
    for (int i = 0; i <= iterations; i++) {
      long t = System.nanoTime();
      Process p = new ProcessBuilder("bash", "-c",
          "set -o pipefail; tar -cf - -C \"$1\" . | " + compressor + " > \"$2\"", "bash",
          dir.toString(), out.toString()).inheritIO().start();
      if (p.waitFor() != 0) {
        throw new IOException(name + " failed with exit status " + p.exitValue());
      }
      if (i > 0) {
        times.add(seconds(t));
      }
    }
    return print(name, times, mb, Files.size(out));
  }

  private static double print(String name, List<Double> times, double mb, long blobBytes) {
    double m = median(times);
    System.out.printf(Locale.ROOT, "%-26s median %6.2f s %7.1f MB/s, blob %6.1f MB, runs %s%n", name,
        m, mb / m, blobBytes / 1e6, times);
    return m;
  }

  private static double seconds(long start) {
    return Math.round((System.nanoTime() - start) / 1e7) / 100.0;
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
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

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
