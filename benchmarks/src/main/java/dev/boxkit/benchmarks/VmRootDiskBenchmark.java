package dev.boxkit.benchmarks;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.vm.KernelImage;
import dev.boxkit.sandbox.vm.QemuHypervisor;
import dev.boxkit.sandbox.vm.VmSandboxProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A large VM root, on a disk against in the initramfs: a copy of a tree (default: the running
 * JDK) plus busybox as {@code /bin/sh}, run as {@code /bin/sh -c :} in a QEMU guest of the host's
 * architecture with 1 GiB of memory (enough for the initramfs to hold the tree). Rows:
 *
 * <ul>
 *   <li>a run with the root's EROFS disk cached, against the same root in a cached initramfs
 *       (whose inputs are still hashed each run, and which the guest kernel unpacks into memory);
 *   <li>writing the disk ({@code VmSandboxProvider.prepareRootDisk} with an empty disk cache)
 *       against {@code mkfs.erofs -E noinline_data} (uncompressed, erofs-utils) of the same root;
 *   <li>a run with an empty disk cache (the disk is written, then booted).
 * </ul>
 *
 * <p>The caches live under {@code XDG_CACHE_HOME}, which the {@code bench-vm-disk} profile points
 * into {@code target/}; the harness empties the disk cache there before each cold run and refuses
 * to run with it anywhere else. Arguments: {@code [tree] [runs, default 3]}.
 */
public final class VmRootDiskBenchmark {
  private VmRootDiskBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path tree = Path.of(args.length > 0 ? args[0] : System.getProperty("java.home"));
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg == null || !xdg.contains("/target/")) {
      throw new IllegalStateException("XDG_CACHE_HOME must point under target/ (run through -Pbench-vm-disk)");
    }
    Path diskCache = Path.of(xdg, "boxkit", "vm-rootdisk");
    Optional<KernelImage> kernel = KernelImage.fromEnvironment();
    QemuHypervisor qemu = QemuHypervisor.onHost();
    if (kernel.isEmpty() || qemu.unavailableReason().isPresent()) {
      System.out.println("skipped: " + (kernel.isEmpty() ? "no kernel (BOXKIT_VM_KERNEL)" : qemu.unavailableReason().get()));
      return;
    }
    Path dir = Files.createTempDirectory("boxkit-vm-disk-bench-");
    Path root = dir.resolve("root");
    Files.createDirectories(root.resolve("bin"));
    exec("cp", "-a", tree.toString(), root.resolve("tree").toString());
    exec("cp", "/usr/bin/busybox", root.resolve("bin/busybox").toString());
    Files.createSymbolicLink(root.resolve("bin/sh"), Path.of("busybox"));
    long bytes;
    try (Stream<Path> s = Files.walk(root)) {
      bytes = s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
    System.out.printf(Locale.ROOT, "root: %s (%d MB of files), %s, %d runs each%n", tree, bytes / 1_000_000,
        qemu.kvm() ? "kvm" : "tcg", runs);
    VmSandboxProvider vm = new VmSandboxProvider(qemu, kernel, 1);
    SandboxSpec spec = SandboxSpec.builder().root(Rootfs.directory(root))
        .limits(ResourceLimits.builder().memoryBytes(1L << 30).build()).command("/bin/sh", "-c", ":").build();

    List<Double> mkfs = new ArrayList<>();
    List<Double> cold = new ArrayList<>();
    List<Double> disk = new ArrayList<>();
    List<Double> initramfs = new ArrayList<>();
    List<Double> prepare = new ArrayList<>();
    run(vm, spec, "initramfs"); // writes the cached initramfs; warms the page cache
    for (int i = 0; i < runs; i++) {
      Path img = dir.resolve("mkfs.img");
      Files.deleteIfExists(img);
      long t0 = System.nanoTime();
      exec("mkfs.erofs", "-E", "noinline_data", img.toString(), root.toString());
      mkfs.add((System.nanoTime() - t0) / 1e6);
      Files.delete(img);
      empty(diskCache);
      System.setProperty("boxkit.vm.rootDisk", "disk");
      t0 = System.nanoTime();
      vm.prepareRootDisk(Rootfs.directory(root)).orElseThrow();
      prepare.add((System.nanoTime() - t0) / 1e6);
      empty(diskCache);
      cold.add(run(vm, spec, "disk"));
      disk.add(run(vm, spec, "disk"));
      initramfs.add(run(vm, spec, "initramfs"));
    }
    double d50 = median(disk);
    double i50 = median(initramfs);
    double write = median(prepare);
    double m50 = median(mkfs);
    System.out.printf(Locale.ROOT, "run, disk cached          p50 %8.0f ms  (%s)%n", d50, disk);
    System.out.printf(Locale.ROOT, "run, initramfs cached     p50 %8.0f ms  (%s)%n", i50, initramfs);
    System.out.printf(Locale.ROOT, "run, disk written first   p50 %8.0f ms  (%s)%n", median(cold), cold);
    System.out.printf(Locale.ROOT, "prepareRootDisk, no cache p50 %8.0f ms  (%s)%n", write, prepare);
    System.out.printf(Locale.ROOT, "mkfs.erofs of the root    p50 %8.0f ms  (%s)%n", m50, mkfs);
    String size = (bytes / 1_000_000) + " MB";
    new ResultRow("VM run, " + size + " root on a cached EROFS disk (p50)", d50,
        "same root in a cached initramfs", i50, "ms").print();
    new ResultRow("EROFS disk of a " + size + " root, written (p50)", write,
        "mkfs.erofs, uncompressed", m50, "ms").print();
    exec("rm", "-rf", dir.toString());
  }

  private static double run(VmSandboxProvider vm, SandboxSpec spec, String policy) {
    System.setProperty("boxkit.vm.rootDisk", policy);
    long t0 = System.nanoTime();
    ExecResult r = vm.run(spec);
    double ms = (System.nanoTime() - t0) / 1e6;
    if (r.exitCode() != 0) {
      throw new IllegalStateException("VM run (" + policy + ") failed: " + r);
    }
    return ms;
  }

  private static void empty(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      try (Stream<Path> s = Files.list(dir)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  private static void exec(String... argv) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", argv) + " failed");
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    return sorted.get((sorted.size() - 1) / 2);
  }
}
