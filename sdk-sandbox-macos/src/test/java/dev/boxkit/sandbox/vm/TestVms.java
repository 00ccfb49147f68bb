package dev.boxkit.sandbox.vm;

import dev.boxkit.oci.elf.ExecutableClosure;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Shared set-up of the tests that boot real VMs. */
final class TestVms {
  private TestVms() {}

  static final String KERNEL_HINT = "no VM kernel: set " + KernelImage.ENV + " to the path that"
      + " sdk-sandbox-macos/scripts/build-kernel.sh (BoxKit's own kernel) or"
      + " sdk-sandbox-macos/scripts/fetch-debian-kernel.sh (Debian's cloud kernel) prints";

  /** @return a provider driving QEMU with the configured kernel, or skips (fails under BOXKIT_REQUIRE_TOOLS=1) */
  static VmSandboxProvider qemuProvider() {
    return qemuProvider(KernelImage.fromEnvironment(), KERNEL_HINT);
  }

  /**
   * @param kernel the kernel to boot; empty skips (fails under BOXKIT_REQUIRE_TOOLS=1) with {@code hint}
   * @return a provider driving QEMU with that kernel
   */
  static VmSandboxProvider qemuProvider(Optional<KernelImage> kernel, String hint) {
    return qemuProvider(GuestArch.X86_64, kernel, hint);
  }

  /**
   * @param arch the guest's architecture, whose QEMU system emulator is required
   * @param kernel the kernel to boot; empty skips (fails under BOXKIT_REQUIRE_TOOLS=1) with {@code hint}
   * @return a provider driving that QEMU with that kernel
   */
  static VmSandboxProvider qemuProvider(GuestArch arch, Optional<KernelImage> kernel, String hint) {
    ExternalTools.require(arch.qemuProgram(), arch.qemuPackage());
    ExternalTools.requireHost(kernel.isPresent(), hint);
    VmSandboxProvider p = new VmSandboxProvider(QemuHypervisor.forGuest(arch), kernel, 1);
    ExternalTools.requireHost(p.unavailableReason().isEmpty(), "VM backend unavailable: " + p.unavailableReason().orElse(""));
    return p;
  }

  /**
   * An arm64 guest root in {@code dir} holding only a static arm64 busybox and some of its
   * applets, the busybox taken from {@code bin/busybox} beside the kernel's {@code boot/} (where
   * {@code scripts/fetch-debian-kernel-arm64.sh} unpacks Debian's). Skips (fails under
   * BOXKIT_REQUIRE_TOOLS=1) without that busybox or without the build's linux-aarch64 agent.
   */
  static Path arm64BusyboxRoot(KernelImage kernel, Path dir) throws IOException {
    Path busybox = kernel.kernel().getParent().resolveSibling("bin/busybox");
    ExternalTools.requireHost(Files.isRegularFile(busybox), "no arm64 busybox at " + busybox
        + ": fetch-debian-kernel-arm64.sh unpacks Debian's busybox-static:arm64 there");
    ExternalTools.requireHost(GuestAgent.bundled(GuestArch.AARCH64), "the build left out the linux-aarch64 guest"
        + " agent: install gcc-aarch64-linux-gnu and libc6-dev-arm64-cross, and rebuild");
    Files.createDirectories(dir.resolve("bin"));
    Files.copy(busybox, dir.resolve("bin/busybox"), StandardCopyOption.COPY_ATTRIBUTES);
    for (String applet : List.of("sh", "cat", "echo", "env", "uname", "head", "grep")) {
      Files.createSymbolicLink(dir.resolve("bin").resolve(applet), Path.of("busybox"));
    }
    for (String d : List.of("proc", "dev", "tmp")) {
      Files.createDirectories(dir.resolve(d));
    }
    return dir;
  }

  /** Skips (fails under BOXKIT_REQUIRE_TOOLS=1) unless this JVM runs as root, which VM binds need. */
  static void requireRootForBinds() throws IOException {
    ExternalTools.requireHost((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0,
        "VM binds need root: QEMU 7.2's virtiofsd writes its pid file under /var/run/virtiofsd");
  }

  /** What {@link #withProperty} runs. */
  @FunctionalInterface
  interface Body<T> {
    T run() throws Exception;
  }

  /**
   * Runs {@code body} with the system property {@code name} set to {@code value}, then puts back
   * what was there (or clears it).
   */
  static <T> T withProperty(String name, String value, Body<T> body) throws Exception {
    String before = System.setProperty(name, value);
    try {
      return body.run();
    } finally {
      if (before == null) {
        System.clearProperty(name);
      } else {
        System.setProperty(name, before);
      }
    }
  }

  /** Writes the closure of some host programs (at their host paths) plus empty mount points into {@code dir}. */
  static Path rootWith(Path dir, List<String> programs) {
    try {
      ExecutableClosure closure = ExecutableClosure.of(programs.stream().map(Path::of).toList());
      for (Map.Entry<String, ExecutableClosure.Entry> e : closure.entries().entrySet()) {
        Path target = dir.resolve(e.getKey().substring(1));
        Files.createDirectories(target.getParent());
        if (e.getValue() instanceof ExecutableClosure.HostFile f) {
          Files.copy(f.source(), target, StandardCopyOption.COPY_ATTRIBUTES);
        } else if (e.getValue() instanceof ExecutableClosure.Symlink s) {
          Files.createSymbolicLink(target, Path.of(s.target()));
        }
      }
      for (String d : List.of("proc", "dev", "tmp")) {
        Files.createDirectories(dir.resolve(d));
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
