package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.testing.ExternalTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's cloud kernel, whose drivers are modules, runs what needs each of them: virtio-pci and
 * the console (every run), virtio-blk, EROFS and overlay (a root on a disk), virtiofs (a writable
 * share). The other VM tests boot {@code BOXKIT_VM_KERNEL}, which in CI is BoxKit's own kernel
 * (every driver built in, {@code scripts/build-kernel.sh}); this one boots the kernel {@value
 * #ENV} names, as {@code scripts/fetch-debian-kernel.sh} unpacks it.
 */
class DebianKernelTest {
  /** Names Debian's kernel image, {@code DEST/boot/vmlinuz-<version>} with its modules beside it. */
  static final String ENV = "BOXKIT_TEST_DEBIAN_KERNEL";
  static final String HINT = "set " + ENV + " to the kernel that sdk-sandbox-macos/scripts/fetch-debian-kernel.sh"
      + " unpacks (it prints the path)";

  @TempDir static Path tmp;
  private static VmSandboxProvider provider;
  private static Path root;

  /** @return Debian's kernel with its modules, when {@value #ENV} names one */
  static Optional<KernelImage> debianKernel() {
    String path = System.getenv(ENV);
    return path == null || path.isBlank() ? Optional.empty() : Optional.of(KernelImage.of(Path.of(path)));
  }

  @BeforeAll
  static void setUp() throws Exception {
    Optional<KernelImage> kernel = debianKernel();
    provider = TestVms.qemuProvider(kernel, HINT);
    ExternalTools.requireHost(kernel.get().modules().isPresent(), ENV + " names a kernel without"
        + " lib/modules beside it: " + kernel.get().kernel());
    root = TestVms.rootWith(Files.createDirectories(tmp.resolve("root")), List.of("/bin/sh", "/bin/cat"));
  }

  @Test
  void aRootOnADiskMountsWithTheModulesItNeeds() throws Exception {
    ExecResult r = TestVms.withProperty(RootDiskCache.PROPERTY, "disk", () -> provider.run(SandboxSpec.builder()
        .root(Rootfs.directory(root))
        .command("/bin/sh", "-c", "while read -r dev dir type rest; do [ \"$dir\" = / ] && echo \"$type\";"
            + " done < /proc/mounts; cat /proc/sys/kernel/osrelease").build()));
    assertEquals(0, r.exitCode(), r.stderrText());
    String[] lines = r.stdoutText().split("\n");
    assertEquals("overlay", lines[0], r.stdoutText());
    assertFalse(lines[1].endsWith("-boxkit"), "booted Debian's kernel, not BoxKit's: " + lines[1]);
  }

  @Test
  void aWritableShareWorksWithTheVirtiofsModule() throws Exception {
    TestVms.requireRootForBinds();
    Path out = Files.createDirectories(tmp.resolve("out"));
    ExecResult r = provider.run(SandboxSpec.builder().root(Rootfs.directory(root))
        .mount(Mount.bind(out, "/out").readWrite())
        .command("/bin/sh", "-c", "echo from-the-guest > /out/note").build());
    assertEquals(0, r.exitCode(), r.stderrText());
    assertEquals("from-the-guest\n", Files.readString(out.resolve("note")));
  }
}
