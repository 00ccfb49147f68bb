package dev.boxkit.sandbox.vm;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Boot-to-exit time of a VM sandbox running {@code /bin/sh -c :} (initramfs build, hypervisor
 * start, kernel boot, agent set-up, program, power-off), median of N runs after one warm-up.
 *
 * <pre>
 * BOXKIT_VM_KERNEL=... java -cp ... dev.boxkit.sandbox.vm.VmBootBenchmark [runs]
 * </pre>
 */
public final class VmBootBenchmark {
  private VmBootBenchmark() {}

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    QemuHypervisor qemu = QemuHypervisor.onHost();
    VmSandboxProvider p = new VmSandboxProvider(qemu, KernelImage.fromEnvironment(), 1);
    Path root = TestVms.rootWith(Files.createTempDirectory("boxkit-bench-root"), List.of("/bin/sh"));
    SandboxSpec spec = SandboxSpec.builder().root(Rootfs.directory(root)).command("/bin/sh", "-c", ":").build();
    p.run(spec);
    List<Long> millis = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      ExecResult r = p.run(spec);
      millis.add((System.nanoTime() - t0) / 1_000_000);
      if (r.exitCode() != 0) {
        throw new IllegalStateException("run failed: " + r);
      }
    }
    List<Long> sorted = millis.stream().sorted().toList();
    System.out.printf("accel=%s runs=%d median=%d ms min=%d ms max=%d ms all=%s%n", qemu.kvm() ? "kvm" : "tcg",
        runs, sorted.get(runs / 2), sorted.get(0), sorted.get(runs - 1), millis);
  }
}
