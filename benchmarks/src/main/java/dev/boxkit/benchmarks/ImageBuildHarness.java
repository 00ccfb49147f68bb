package dev.boxkit.benchmarks;

import dev.boxkit.image.DockerArchiveTarget;
import dev.boxkit.image.Image;
import dev.boxkit.image.Layer;
import dev.boxkit.image.OciLayoutTarget;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Times what a user of {@code Image.builder()} waits for: a cold build of one layer holding a
 * directory (default: this JVM's {@code java.home}) into an empty store, written to an OCI layout,
 * then warm rebuilds with nothing changed (the layer cache answers; nothing is recompressed).
 * Prints medians; a benchmark, never a timing assert.
 *
 * <p>Arguments: {@code [directory] [iterations, default 5]}.
 */
public final class ImageBuildHarness {
  private ImageBuildHarness() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 1 && args[0].equals("classpath")) { // for profiling a child JVM by hand
      System.out.println(System.getProperty("java.class.path"));
      return;
    }
    if (args.length == 4 && args[0].equals("once")) { // a child JVM: one build, then exit
      long t = System.nanoTime();
      build(Path.of(args[1]), Path.of(args[2]), Path.of(args[3]));
      System.out.printf(Locale.ROOT, "%.3f%n", seconds(t));
      return;
    }
    Path dir = Path.of(args.length > 0 ? args[0] : System.getProperty("java.home")).toRealPath();
    int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Path work = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "image-bench");
    try {
      System.out.printf(Locale.ROOT, "input: %s, %d iterations, %d CPUs, load average %.1f%n", dir,
          iterations, Runtime.getRuntime().availableProcessors(),
          ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
      // JIT and page cache warm-up: one untimed cold build in a store of its own.
      build(dir, work.resolve("warmup-store"), work.resolve("warmup-out"));
      List<Double> cold = new ArrayList<>();
      List<Double> warm = new ArrayList<>();
      Image image = null;
      for (int i = 0; i < iterations; i++) {
        Path store = work.resolve("store-" + i);
        long t0 = System.nanoTime();
        image = build(dir, store, work.resolve("out-" + i));
        cold.add(seconds(t0));
        long t1 = System.nanoTime();
        Image again = build(dir, store, work.resolve("out-" + i));
        warm.add(seconds(t1));
        if (!again.digest().equals(image.digest())) {
          throw new IllegalStateException("warm rebuild changed the digest");
        }
        deleteTree(store);
      }
      // More warm rebuilds, all against the last store: the number users see in a loop.
      Path store = work.resolve("store-warm");
      build(dir, store, work.resolve("out-warm"));
      List<Double> warmLoop = new ArrayList<>();
      for (int i = 0; i < Math.max(iterations, 10); i++) {
        long t = System.nanoTime();
        build(dir, store, work.resolve("out-warm"));
        warmLoop.add(seconds(t));
      }
      // What a command-line user sees: a new JVM per warm rebuild (start-up and class loading
      // included), e.g. `boxkit build` run again with nothing changed.
      List<Double> freshJvm = new ArrayList<>();
      List<Double> freshJvmInside = new ArrayList<>();
      for (int i = 0; i < iterations; i++) {
        long t = System.nanoTime();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"), ImageBuildHarness.class.getName(), "once",
            dir.toString(), store.toString(), work.resolve("out-warm").toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        if (p.waitFor() != 0) {
          throw new IllegalStateException("child JVM failed: " + out);
        }
        freshJvm.add(seconds(t));
        freshJvmInside.add(Double.parseDouble(out.substring(out.lastIndexOf('\n') + 1)));
      }
      System.out.printf(Locale.ROOT, "cold build + write: median %.3f s, runs %s%n", median(cold), cold);
      System.out.printf(Locale.ROOT, "warm rebuild + write (first after cold): median %.3f s, runs %s%n",
          median(warm), warm);
      System.out.printf(Locale.ROOT, "warm rebuild + write (steady): median %.3f s, runs %s%n",
          median(warmLoop), warmLoop);
      System.out.printf(Locale.ROOT, "warm rebuild in a new JVM: median %.3f s (process), %.3f s"
          + " (inside main), runs %s %s%n", median(freshJvm), median(freshJvmInside), freshJvm, freshJvmInside);
      // Side by side with Jib core, interleaved, both writing a docker save tarball.
      List<Double> bkCold = new ArrayList<>();
      List<Double> jibCold = new ArrayList<>();
      List<Double> bkWarm = new ArrayList<>();
      List<Double> jibWarm = new ArrayList<>();
      JibAnchor.build(dir, work.resolve("jib-warmup"), work.resolve("jib-warmup.tar"));
      for (int i = 0; i < iterations; i++) {
        Path bkStore = work.resolve("bk-store-" + i);
        Path jibCache = work.resolve("jib-cache-" + i);
        Path bkTar = work.resolve("bk-" + i + ".tar");
        Path jibTar = work.resolve("jib-" + i + ".tar");
        long t = System.nanoTime();
        buildArchive(dir, bkStore, bkTar);
        bkCold.add(seconds(t));
        t = System.nanoTime();
        JibAnchor.build(dir, jibCache, jibTar);
        jibCold.add(seconds(t));
        for (int w = 0; w < 3; w++) {
          t = System.nanoTime();
          buildArchive(dir, bkStore, bkTar);
          bkWarm.add(seconds(t));
          t = System.nanoTime();
          JibAnchor.build(dir, jibCache, jibTar);
          jibWarm.add(seconds(t));
        }
        deleteTree(bkStore);
        deleteTree(jibCache);
      }
      System.out.printf(Locale.ROOT, "to a docker archive, cold: BoxKit %.3f s, Jib core %.3f s, ratio %.2f; runs %s %s%n",
          median(bkCold), median(jibCold), median(bkCold) / median(jibCold), bkCold, jibCold);
      System.out.printf(Locale.ROOT, "to a docker archive, warm: BoxKit %.3f s, Jib core %.3f s, ratio %.2f; runs %s %s%n",
          median(bkWarm), median(jibWarm), median(bkWarm) / median(jibWarm), bkWarm, jibWarm);
      new ResultRow("image build to docker-archive, cold", median(bkCold), "Jib core", median(jibCold), "s").print();
      new ResultRow("image rebuild to docker-archive, nothing changed", median(bkWarm), "Jib core",
          median(jibWarm), "s").print();
      new ResultRow("image build to OCI layout, cold", median(cold), "", Double.NaN, "s").print();
      new ResultRow("image rebuild, nothing changed, same JVM", median(warmLoop), "", Double.NaN, "s").print();
      new ResultRow("image rebuild, nothing changed, new JVM", median(freshJvm), "", Double.NaN, "s").print();
      System.out.println("image " + image.digest() + " layer " + image.layers().get(0).digest()
          + " " + image.layers().get(0).size() + " bytes");
    } finally {
      deleteTree(work);
    }
  }

  private static Image build(Path dir, Path store, Path out) {
    Image image = Image.builder().cacheDir(store).layer(Layer.fromDirectory(dir, "/jdk"))
        .entrypoint("/jdk/bin/java", "-version").build();
    image.writeTo(OciLayoutTarget.of(out, "latest"));
    return image;
  }

  private static void buildArchive(Path dir, Path store, Path out) {
    Image.builder().cacheDir(store).layer(Layer.fromDirectory(dir, "/jdk"))
        .entrypoint("/jdk/bin/java", "-version").build()
        .writeTo(DockerArchiveTarget.of(out, "bench/app:1"));
  }

  private static double seconds(long start) {
    return Math.round((System.nanoTime() - start) / 1e6) / 1000.0;
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
