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
    ExternalTools.require("qemu-system-x86_64", "qemu-system-x86");
    Optional<KernelImage> kernel = KernelImage.fromEnvironment();
    ExternalTools.requireHost(kernel.isPresent(), KERNEL_HINT);
    VmSandboxProvider p = new VmSandboxProvider(QemuHypervisor.onHost(), kernel, 1);
    ExternalTools.requireHost(p.unavailableReason().isEmpty(), "VM backend unavailable: " + p.unavailableReason().orElse(""));
    return p;
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
