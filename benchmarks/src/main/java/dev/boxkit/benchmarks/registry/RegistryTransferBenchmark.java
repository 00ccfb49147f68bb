package dev.boxkit.benchmarks.registry;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.ImageConfig;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.RootFs;
import dev.boxkit.oci.layout.OciLayout;
import dev.boxkit.oci.registry.CredentialsProvider;
import dev.boxkit.oci.registry.RegistryClient;
import dev.boxkit.oci.registry.RegistryCopy;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Push and pull of a large image (default 300 MB in 3 incompressible layers) between an OCI
 * layout and a local CNCF distribution registry ({@code docker-registry}, plain HTTP on
 * 127.0.0.1), by BoxKit's {@link RegistryCopy} and by {@code skopeo copy}, alternating in the
 * same run; prints the median wall time of each and the ratio BoxKit / skopeo.
 *
 * <p>Each push goes to a fresh repository and each pull to a fresh layout, so nothing is
 * skipped. Run after {@code ./mvnw -B -q install -DskipTests}:
 *
 * <pre>
 * ./mvnw -B -q -pl benchmarks dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp benchmarks/target/classes:$(cat /tmp/cp.txt) \
 *     dev.boxkit.benchmarks.registry.RegistryTransferBenchmark [totalMiB] [rounds]
 * </pre>
 */
public final class RegistryTransferBenchmark {
  private RegistryTransferBenchmark() {}

  /**
   * @param args optional total image size in MiB (default 300) and rounds (default 3)
   * @throws Exception when a tool or the registry fails
   */
  public static void main(String[] args) throws Exception {
    int totalMiB = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Path work = Files.createTempDirectory("boxkit-bench-registry-");
    try {
      OciLayout layout = makeImage(work.resolve("source"), totalMiB, 3);
      List<Long> bkPush = new ArrayList<>();
      List<Long> skPush = new ArrayList<>();
      List<Long> bkPull = new ArrayList<>();
      List<Long> skPull = new ArrayList<>();
      // Round 0 warms up: the library is measured as it runs in a long-lived JVM (its classes
      // loaded and JIT-compiled), which the first round is not; skopeo starts afresh every time.
      for (int i = 0; i <= rounds; i++) {
        // A fresh registry per tool and round: nothing can be skipped or mounted.
        try (LocalRegistry forBoxKit = LocalRegistry.start(work.resolve("registry-bk-" + i));
            LocalRegistry forSkopeo = LocalRegistry.start(work.resolve("registry-sk-" + i))) {
          RegistryClient client = RegistryClient.builder().insecureRegistry(forBoxKit.host)
              .credentials(CredentialsProvider.anonymous()).build();
          RegistryCopy copy = RegistryCopy.using(client);
          ImageReference bk = ImageReference.of(forBoxKit.host, "bench/boxkit", "v1");
          ImageReference sk = ImageReference.of(forSkopeo.host, "bench/skopeo", "v1");
          long jvmCpu = jvmCpuNanos();
          long registryCpu = forBoxKit.cpuNanos();
          long bkPushMs = time(() -> copy.push(layout, "v1", bk));
          jvmCpu = jvmCpuNanos() - jvmCpu;
          registryCpu = forBoxKit.cpuNanos() - registryCpu;
          long skRegistryCpu = forSkopeo.cpuNanos();
          long skPushMs = time(() -> skopeo("copy", "-q", "--dest-tls-verify=false",
              "oci:" + layout.dir() + ":v1", "docker://" + sk));
          skRegistryCpu = forSkopeo.cpuNanos() - skRegistryCpu;
          Path bkOut = work.resolve("pull-boxkit-" + i);
          Path skOut = work.resolve("pull-skopeo-" + i);
          long bkPullMs = time(() -> copy.pull(bk, OciLayout.create(bkOut), "v1", null));
          long skPullMs = time(() -> skopeo("copy", "-q", "--src-tls-verify=false", "docker://" + sk,
              "oci:" + skOut + ":v1"));
          System.out.printf(Locale.ROOT, "round %d%s: push boxkit %d ms (JVM CPU %d ms, registry CPU %d ms),"
              + " skopeo %d ms (registry CPU %d ms); pull boxkit %d ms, skopeo %d ms%n", i,
              i == 0 ? " (warm-up, not counted)" : "", bkPushMs, jvmCpu / 1_000_000,
              registryCpu / 1_000_000, skPushMs, skRegistryCpu / 1_000_000, bkPullMs, skPullMs);
          if (i > 0) {
            bkPush.add(bkPushMs);
            skPush.add(skPushMs);
            bkPull.add(bkPullMs);
            skPull.add(skPullMs);
          }
          delete(bkOut);
          delete(skOut);
        }
      }
      System.out.printf(Locale.ROOT, "image: %d MiB in 3 layers, %d rounds after one warm-up round, median wall time%n",
          totalMiB, rounds);
      report("push", median(bkPush), median(skPush));
      report("pull", median(bkPull), median(skPull));
    } finally {
      delete(work);
    }
  }

  /** A {@code docker-registry} on 127.0.0.1 with its storage in {@code dir}, removed on close. */
  private static final class LocalRegistry implements AutoCloseable {
    final String host;
    private final Process process;
    private final Path dir;

    private LocalRegistry(String host, Process process, Path dir) {
      this.host = host;
      this.process = process;
      this.dir = dir;
    }

    static LocalRegistry start(Path dir) throws Exception {
      Files.createDirectories(dir);
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      Path config = dir.resolve("config.yml");
      Files.writeString(config, "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
          + "storage:\n  filesystem:\n    rootdirectory: " + dir.resolve("data") + "\n"
          + "http:\n  addr: 127.0.0.1:" + port + "\n  secret: bench\n");
      Process p = new ProcessBuilder("docker-registry", "serve", config.toString())
          .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
      LocalRegistry r = new LocalRegistry("127.0.0.1:" + port, p, dir);
      awaitReady(r.host);
      return r;
    }

    /** @return the CPU time the registry process has used so far, in ns (0 if unknown) */
    long cpuNanos() {
      return process.toHandle().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }

    @Override
    public void close() throws Exception {
      process.destroy();
      process.waitFor();
      delete(dir);
    }
  }

  private static void report(String what, long boxkitMs, long skopeoMs) {
    System.out.printf(Locale.ROOT, "%s: boxkit %d ms, skopeo copy %d ms, ratio boxkit/skopeo %.2f%n",
        what, boxkitMs, skopeoMs, (double) boxkitMs / skopeoMs);
    new dev.boxkit.benchmarks.ResultRow("registry " + what, boxkitMs / 1000.0, "skopeo copy",
        skopeoMs / 1000.0, "s").print();
  }

  private static OciLayout makeImage(Path dir, int totalMiB, int layers) throws IOException {
    OciLayout layout = OciLayout.create(dir);
    List<Descriptor> descriptors = new ArrayList<>();
    List<Digest> diffIds = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(42);
    long perLayer = (long) totalMiB * 1024 * 1024 / layers;
    for (int i = 0; i < layers; i++) {
      Path tar = dir.resolveSibling("layer-" + i + ".tar");
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tar), 1 << 20);
          TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
        TarArchiveEntry e = new TarArchiveEntry("data-" + i + ".bin");
        e.setSize(perLayer);
        e.setModTime(0);
        t.putArchiveEntry(e);
        byte[] buf = new byte[1 << 20];
        for (long left = perLayer; left > 0; left -= buf.length) {
          for (int j = 0; j < buf.length; j += 8) {
            long v = random.nextLong();
            for (int k = 0; k < 8; k++) {
              buf[j + k] = (byte) (v >>> (8 * k));
            }
          }
          t.write(buf, 0, (int) Math.min(buf.length, left));
        }
        t.closeArchiveEntry();
      }
      Descriptor d = layout.writeBlob(tar, MediaType.OCI_LAYER_TAR);
      descriptors.add(d);
      diffIds.add(d.digest());
      Files.delete(tar);
    }
    ImageConfig config = new ImageConfig(null, null, Platform.LINUX_AMD64.architecture(),
        Platform.LINUX_AMD64.os(), null, null, null, null, RootFs.of(diffIds), null, null);
    Descriptor manifest = layout.writeManifest(ImageManifest.of(layout.writeConfig(config), descriptors));
    layout.tag("v1", manifest);
    return layout;
  }

  private static void awaitReady(String host) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    for (int i = 0; i < 200; i++) {
      try {
        int status = http.send(HttpRequest.newBuilder(URI.create("http://" + host + "/v2/")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
        if (status == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("docker-registry did not start");
  }

  private static Object skopeo(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add("skopeo");
    cmd.addAll(Arrays.asList(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }
    return null;
  }

  private static long jvmCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static long time(Callable<?> task) throws Exception {
    long start = System.nanoTime();
    task.call();
    return (System.nanoTime() - start) / 1_000_000;
  }

  private static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    sorted.sort(Comparator.naturalOrder());
    return sorted.get(sorted.size() / 2);
  }

  private static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
