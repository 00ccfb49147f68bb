package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxSpec;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BoxKit's own arm64 kernel ({@code scripts/build-kernel.sh DEST aarch64}, every driver built
 * in), the one a Mac can boot instead of Debian's, booted under {@code qemu-system-aarch64}: a
 * run in the initramfs root and one on an EROFS disk, which need the built-in virtio PCI,
 * console, blk, EROFS and overlay drivers. The other arm64 tests boot {@code
 * BOXKIT_VM_KERNEL_ARM64} (Debian's, with its modules); this one boots the kernel {@value #ENV}
 * names, with Debian's static arm64 busybox at {@code bin/busybox} beside its {@code boot/}.
 */
class OwnArm64KernelTest {
  static final String ENV = "BOXKIT_TEST_OWN_KERNEL_ARM64";

  @TempDir static Path tmp;
  private static VmSandboxProvider provider;
  private static Path root;

  @BeforeAll
  static void setUp() throws Exception {
    String path = System.getenv(ENV);
    Optional<KernelImage> kernel = path == null || path.isBlank() ? Optional.empty() : Optional.of(KernelImage.of(Path.of(path)));
    provider = TestVms.qemuProvider(GuestArch.AARCH64, kernel, "set " + ENV + " to the kernel that"
        + " sdk-sandbox-macos/scripts/build-kernel.sh DEST aarch64 prints, with an arm64 busybox at"
        + " DEST/bin/busybox (scripts/fetch-debian-kernel-arm64.sh unpacks one)");
    root = TestVms.arm64BusyboxRoot(kernel.get(), tmp.resolve("root"));
  }

  private static SandboxSpec sh(String script) {
    return SandboxSpec.builder().root(Rootfs.directory(root)).env("PATH", "/bin")
        .command("/bin/sh", "-c", script).build();
  }

  @Test
  void runsOnItsOwnKernelWithoutModules() {
    ExecResult r = provider.run(sh("uname -m; uname -r; cat /proc/modules | grep -c . || true"));
    assertEquals(0, r.exitCode(), r.stderrText());
    String[] lines = r.stdoutText().split("\n");
    assertEquals("aarch64", lines[0], r.stdoutText());
    assertEquals(true, lines[1].endsWith("-boxkit"), "booted BoxKit's kernel: " + lines[1]);
    assertEquals("0", lines[2], "every driver is built in: " + r.stdoutText());
  }

  @Test
  void bootsItsRootFromAnErofsDisk() throws Exception {
    ExecResult r = TestVms.withProperty(RootDiskCache.PROPERTY, "disk", () -> provider.run(sh(
        "grep -m1 ' / ' /proc/mounts | { read -r dev dir type rest; echo $type; };"
            + " cat /bin/busybox > /dev/null && echo read")));
    assertEquals("overlay\nread\n", r.stdoutText(), r.stderrText());
  }
}
