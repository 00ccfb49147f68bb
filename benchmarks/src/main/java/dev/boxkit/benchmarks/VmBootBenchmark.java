package dev.boxkit.benchmarks;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxPool;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.vm.GuestArch;
import dev.boxkit.sandbox.vm.KernelImage;
import dev.boxkit.sandbox.vm.QemuHypervisor;
import dev.boxkit.sandbox.vm.VmSandboxProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

/**
 * Boot-to-exit of a micro-VM, side by side with the reference: a raw QEMU boot of the same kernel
 * with a busybox initramfs whose {@code /init} powers off at once ({@code qemu-system-<arch>}
 * spawned, run to its exit), against a BoxKit VM sandbox running {@code /bin/sh -c :} from a
 * busybox root ({@code VmSandboxProvider.run}: initramfs, QEMU, kernel, modules, agent, program,
 * power-off), same machine, CPU model, memory and accelerator. Prints p50 and p99 of each, BoxKit's
 * overhead (p50 difference) and the ratio, per guest architecture, in wall time and in CPU time
 * (the QEMU process's user + system time, plus for BoxKit this JVM's own; TCG is CPU-bound, so on
 * a machine shared with other work the CPU time is the steadier measure, at the kernel's 10 ms
 * tick): x86-64 with
 * {@code BOXKIT_VM_KERNEL} and {@code /usr/bin/busybox} (Debian's busybox-static), arm64 with
 * {@code BOXKIT_VM_KERNEL_ARM64} and the arm64 busybox beside it ({@code bin/busybox}, as
 * {@code scripts/fetch-debian-kernel-arm64.sh} unpacks it). One warm-up run of each first.
 *
 * <p>Then, per guest architecture, the same {@code /bin/sh -c :} from a warm pool of one VM
 * ({@code VmSandboxProvider.pool}) against those cold runs (see {@link #warmPool}), printed as a
 * row and as a {@link ResultRow}.
 *
 * <p>Arguments: {@code [runs, default 20] [--phases] [--no-pool]}; {@code --phases} logs BoxKit's
 * phase split (host clock and the guest's clock at each agent phase) for every run at DEBUG;
 * {@code --no-pool} leaves out the warm-pool row.
 */
public final class VmBootBenchmark {
  private VmBootBenchmark() {}

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 && !args[0].startsWith("--") ? Integer.parseInt(args[0]) : 20;
    boolean phases = List.of(args).contains("--phases");
    boolean pool = !List.of(args).contains("--no-pool");
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    if (phases) {
      System.setProperty("org.slf4j.simpleLogger.log.dev.boxkit.sandbox.vm.VmSession", "debug");
    }
    System.out.printf(Locale.ROOT, "%-8s %-5s %4s | %-22s | %-22s | %-10s | %-9s | %-9s%n", "guest", "accel", "runs",
        "raw QEMU wall p50/p99", "BoxKit wall p50/p99", "CPU p50", "overhead", "ratio");
    System.out.printf(Locale.ROOT, "%-8s %-5s %4s | %-22s | %-22s | %-10s | %-9s | %-9s%n", "", "", "",
        "ms", "ms", "raw/BoxKit", "wall/CPU", "wall/CPU");
    System.out.println("(BoxKit CPU = its QEMU's + this JVM's; the JVM's own p50 is printed after each row)");
    for (GuestArch arch : GuestArch.values()) {
      Optional<KernelImage> kernel = KernelImage.fromEnvironment(arch);
      QemuHypervisor qemu = QemuHypervisor.forGuest(arch);
      Optional<Path> busybox = kernel.map(k -> GuestArch.host().equals(Optional.of(arch))
          ? Path.of("/usr/bin/busybox") : k.kernel().getParent().resolveSibling("bin/busybox"));
      if (kernel.isEmpty() || qemu.unavailableReason().isPresent() || !Files.isRegularFile(busybox.get())) {
        System.out.printf(Locale.ROOT, "%-8s skipped: %s%n", arch.id(), kernel.isEmpty() ? "no kernel (" + arch.kernelEnv() + ")"
            : qemu.unavailableReason().orElse("no busybox at " + busybox.get()));
        continue;
      }
      Path dir = Files.createTempDirectory("boxkit-vm-bench-");
      Path rawInitrd = rawInitramfs(dir.resolve("raw.cpio"), busybox.get());
      // The raw reference boots what BoxKit boots (an x86 bzImage's vmlinux, unpacked once, through
      // QEMU's PVH entry); where that differs from the image as given, a raw boot of the image too.
      Path booted = kernel.get().bootableBy(qemu).kernel();
      List<String> raw = rawCommand(qemu, arch, booted, rawInitrd);
      Optional<List<String>> rawImage = booted.equals(kernel.get().kernel()) ? Optional.empty()
          : Optional.of(rawCommand(qemu, arch, kernel.get().kernel(), rawInitrd));
      Path root = root(dir.resolve("root"), busybox.get());
      VmSandboxProvider boxkit = new VmSandboxProvider(qemu, kernel, 1);
      SandboxSpec spec = SandboxSpec.builder().root(Rootfs.directory(root)).command("/bin/sh", "-c", ":").build();
      runRaw(raw);
      runBoxKit(boxkit, spec);
      List<Double> rawMs = new ArrayList<>();
      List<Double> boxkitMs = new ArrayList<>();
      List<Double> rawCpu = new ArrayList<>();
      List<Double> boxkitCpu = new ArrayList<>();
      List<Double> jvmCpu = new ArrayList<>();
      List<Double> rawImageMs = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        if (rawImage.isPresent()) {
          rawImageMs.add(runRaw(rawImage.get()));
        }
        double[] c0 = cpuMillis();
        rawMs.add(runRaw(raw));
        double[] c1 = cpuMillis();
        boxkitMs.add(runBoxKit(boxkit, spec));
        double[] c2 = cpuMillis();
        rawCpu.add(c1[0] + c1[1] - c0[0] - c0[1]);
        boxkitCpu.add(c2[0] + c2[1] - c1[0] - c1[1]);
        jvmCpu.add(c2[0] - c1[0]);
      }
      double r50 = percentile(rawMs, 50);
      double b50 = percentile(boxkitMs, 50);
      double rc = percentile(rawCpu, 50);
      double bc = percentile(boxkitCpu, 50);
      System.out.printf(Locale.ROOT, "%-8s %-5s %4d | %-22s | %-22s | %-10s | %-9s | %-9s%n", arch.id(),
          qemu.kvm() ? "kvm" : "tcg", runs,
          String.format(Locale.ROOT, "%.0f / %.0f", r50, percentile(rawMs, 99)),
          String.format(Locale.ROOT, "%.0f / %.0f", b50, percentile(boxkitMs, 99)),
          String.format(Locale.ROOT, "%.0f / %.0f", rc, bc),
          String.format(Locale.ROOT, "%.0f / %.0f", b50 - r50, bc - rc),
          String.format(Locale.ROOT, "%.2f / %.2f", b50 / r50, bc / rc));
      System.out.printf(Locale.ROOT, "%-8s JVM CPU p50 per BoxKit run: %.0f ms%n", "", percentile(jvmCpu, 50));
      String coldRun = "VM run /bin/sh -c :, cold, " + arch.id() + " " + (qemu.kvm() ? "kvm" : "tcg") + " (p50)";
      if (rawImage.isPresent()) {
        System.out.printf(Locale.ROOT, "%-8s raw QEMU boot of the bzImage as given (its own decompressor): p50/p99 %.0f / %.0f ms%n",
            "", percentile(rawImageMs, 50), percentile(rawImageMs, 99));
        new ResultRow(coldRun, b50, "raw QEMU boot of the bzImage", percentile(rawImageMs, 50), "ms").print();
      }
      new ResultRow(coldRun, b50, "raw QEMU boot of the same kernel", r50, "ms").print();
      if (pool) {
        warmPool(arch, qemu, boxkit, spec, runs, boxkitMs);
      }
    }
  }

  /**
   * Runs from a warm pool of one VM ({@code VmSandboxProvider.pool}), each timed from the request
   * to the result, against the cold runs just measured. Before each run the harness waits twice
   * the cold p99 so that the refill thread has booted the next VM: the row measures a run from a
   * ready pool, not the boot.
   */
  private static void warmPool(GuestArch arch, QemuHypervisor qemu, VmSandboxProvider boxkit, SandboxSpec spec,
      int runs, List<Double> coldMs) throws InterruptedException {
    long settle = (long) (2 * percentile(coldMs, 99));
    List<Double> pooledMs = new ArrayList<>();
    try (SandboxPool pool = boxkit.pool(spec, 1)) {
      runPooled(pool, spec); // waits for the first boot
      for (int i = 0; i < runs; i++) {
        Thread.sleep(settle);
        pooledMs.add(runPooled(pool, spec));
      }
    }
    double p50 = percentile(pooledMs, 50);
    double c50 = percentile(coldMs, 50);
    System.out.printf(Locale.ROOT, "%-8s %-5s %4d | warm pool wall p50/p99 %.1f / %.1f ms | cold p50/p99 %.0f / %.0f ms"
        + " | ratio pool/cold %.4f%n", arch.id(), qemu.kvm() ? "kvm" : "tcg", runs, p50, percentile(pooledMs, 99), c50,
        percentile(coldMs, 99), p50 / c50);
    new ResultRow("VM run /bin/sh -c : from a warm pool, " + arch.id() + " " + (qemu.kvm() ? "kvm" : "tcg") + " (p50)",
        p50, "BoxKit cold VM run", c50, "ms").print();
  }

  private static double runPooled(SandboxPool pool, SandboxSpec spec) {
    long t0 = System.nanoTime();
    ExecResult r = pool.run(spec);
    double ms = (System.nanoTime() - t0) / 1e6;
    if (r.exitCode() != 0) {
      throw new IllegalStateException("pooled BoxKit VM run failed: " + r);
    }
    return ms;
  }

  /**
   * @return CPU time of this JVM and that of its waited-for children (QEMU), in ms, from
   *     {@code /proc/self/stat} (utime + stime, cutime + cstime at 100 ticks per second)
   */
  private static double[] cpuMillis() throws IOException {
    String stat = Files.readString(Path.of("/proc/self/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // after "pid (comm) ": state is f[0], so utime (field 14) is f[11]
    long self = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    long children = Long.parseLong(f[13]) + Long.parseLong(f[14]);
    return new double[] {self * 10.0, children * 10.0};
  }

  private static double runRaw(List<String> command) throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("raw QEMU boot did not power off: " + command);
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  private static double runBoxKit(VmSandboxProvider p, SandboxSpec spec) {
    long t0 = System.nanoTime();
    ExecResult r = p.run(spec);
    double ms = (System.nanoTime() - t0) / 1e6;
    if (r.exitCode() != 0) {
      throw new IllegalStateException("BoxKit VM run failed: " + r);
    }
    return ms;
  }

  /** The raw reference: BoxKit's machine, CPU, memory and console, no control channel, no modules. */
  private static List<String> rawCommand(QemuHypervisor qemu, GuestArch arch, Path kernel, Path initrd) {
    boolean arm = arch == GuestArch.AARCH64;
    String accel = qemu.kvm() ? "kvm" : "tcg";
    List<String> c = new ArrayList<>(List.of(qemu.qemu().toString(), "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
        "-machine", (arm ? "virt" : "q35") + ",accel=" + accel + (arm && qemu.kvm() ? ",gic-version=max" : ""),
        "-cpu", qemu.kvm() ? "host" : arm ? "cortex-a57" : "max", "-smp", "1", "-m", "512M",
        "-kernel", kernel.toString(), "-initrd", initrd.toString(),
        "-append", "quiet panic=-1 " + arch.bootParameters() + " console=" + arch.serialConsole(), "-serial", "file:/dev/null", "-nic", "none"));
    qemu.firmware().ifPresent(rom -> c.addAll(List.of("-bios", rom.toString()))); // BoxKit's firmware too
    return c;
  }

  /** An initramfs of busybox and an {@code /init} script that powers the VM off at once. */
  private static Path rawInitramfs(Path file, Path busybox) throws IOException {
    try (OutputStream out = Files.newOutputStream(file);
        CpioArchiveOutputStream cpio = new CpioArchiveOutputStream(out, CpioConstants.FORMAT_NEW)) {
      long ino = 1;
      for (String d : List.of("bin", "dev", "proc")) {
        put(cpio, d, CpioConstants.C_ISDIR | 0755, new byte[0], ino++);
      }
      put(cpio, "bin/busybox", CpioConstants.C_ISREG | 0755, Files.readAllBytes(busybox), ino++);
      put(cpio, "init", CpioConstants.C_ISREG | 0755,
          "#!/bin/busybox sh\nexec /bin/busybox poweroff -f\n".getBytes(StandardCharsets.US_ASCII), ino);
    }
    return file;
  }

  private static void put(CpioArchiveOutputStream cpio, String name, long mode, byte[] data, long ino)
      throws IOException {
    CpioArchiveEntry e = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, name);
    e.setMode(mode);
    e.setInode(ino);
    e.setNumberOfLinks((mode & CpioConstants.S_IFMT) == CpioConstants.C_ISDIR ? 2 : 1);
    e.setSize(data.length);
    cpio.putArchiveEntry(e);
    cpio.write(data);
    cpio.closeArchiveEntry();
  }

  /** A root of busybox with {@code /bin/sh}, and the mount points the agent uses. */
  private static Path root(Path root, Path busybox) throws IOException {
    Files.createDirectories(root.resolve("bin"));
    Files.copy(busybox, root.resolve("bin/busybox"), StandardCopyOption.COPY_ATTRIBUTES);
    Files.createSymbolicLink(root.resolve("bin/sh"), Path.of("busybox"));
    for (String d : List.of("proc", "dev", "tmp")) {
      Files.createDirectories(root.resolve(d));
    }
    return root;
  }

  private static double percentile(List<Double> values, int p) {
    List<Double> sorted = values.stream().sorted().toList();
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }
}
