package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Isolation;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The arm64 guest (the one vfkit boots on Apple silicon) booted for real under
 * {@code qemu-system-aarch64} ({@code virt} machine, TCG on an x86-64 host) through the public
 * entry point: {@code Sandbox.run} with {@link Isolation#VM} and the system property
 * {@value GuestArch#PROPERTY}{@code =aarch64}, Debian's arm64 cloud kernel from
 * {@code BOXKIT_VM_KERNEL_ARM64} and a root holding only Debian's static arm64 busybox (found at
 * {@code bin/busybox} beside the kernel's {@code boot/}, where
 * {@code scripts/fetch-debian-kernel-arm64.sh} unpacks it). Skipped without them (failed under
 * {@code BOXKIT_REQUIRE_TOOLS=1}).
 */
class QemuArm64GuestTest {
  @TempDir static Path tmp;
  private static Path root;

  @BeforeAll
  static void setUp() throws IOException {
    ExternalTools.require("qemu-system-aarch64", "qemu-system-arm");
    Optional<KernelImage> kernel = KernelImage.fromEnvironment(GuestArch.AARCH64);
    ExternalTools.requireHost(kernel.isPresent(), "no arm64 VM kernel: set " + GuestArch.AARCH64.kernelEnv()
        + " to the vmlinuz that sdk-sandbox-macos/scripts/fetch-debian-kernel-arm64.sh prints"
        + " (Debian's linux-image-*-cloud-arm64 and busybox-static:arm64, unpacked)");
    root = TestVms.arm64BusyboxRoot(kernel.get(), tmp.resolve("root"));
  }

  /** Runs the spec with the default provider choosing the arm64 guest, then restores the property. */
  private static ExecResult run(SandboxSpec.Builder spec) throws Exception {
    return TestVms.withProperty(GuestArch.PROPERTY, "aarch64", () -> Sandbox.run(spec.build()));
  }

  private static SandboxSpec.Builder sh(String script) {
    return Sandbox.builder().isolation(Isolation.VM).root(Rootfs.directory(root)).env("PATH", "/bin")
        .command("/bin/sh", "-c", script);
  }

  @Test
  void echoesToStdoutAndStderrAndReportsTheExitCode() throws Exception {
    ExecResult r = run(sh("echo hi; echo oops >&2; exit 3"));
    assertEquals("hi\n", r.stdoutText());
    assertEquals("oops\n", r.stderrText());
    assertEquals(3, r.exitCode());
    assertTrue(r.signal().isEmpty());
  }

  @Test
  void theProgramRunsOnAnArm64KernelWithItsOwnProc() throws Exception {
    ExecResult r = run(sh("uname -m; head -1 /proc/self/status; grep -c ^processor /proc/cpuinfo;"
        + " grep -m1 '^CPU implementer' /proc/cpuinfo"));
    assertEquals(0, r.exitCode(), r.stderrText());
    // /proc is mounted for the program: /proc/self is the reading process; one Arm Ltd (0x41) core.
    assertEquals("aarch64\nName:\thead\n1\nCPU implementer\t: 0x41\n", r.stdoutText());
  }

  @Test
  void readsStdinFromAHostFile() throws Exception {
    Path input = Files.writeString(tmp.resolve("input.txt"), "first line\nsecond line\n");
    ExecResult r = run(sh("read -r a; echo \"got $a\"; cat").stdin(Stdio.file(input)));
    assertEquals("got first line\nsecond line\n", r.stdoutText());
    assertEquals(0, r.exitCode());
  }

  @Test
  void passesTheEnvironmentAndWorkingDirectoryExactly() throws Exception {
    ExecResult r = run(Sandbox.builder().isolation(Isolation.VM).root(Rootfs.directory(root)).workingDir("/tmp")
        .env("PATH", "/bin").env("GREETING", "hello arm64").command("/bin/sh", "-c", "pwd; env"));
    assertEquals(0, r.exitCode(), r.stderrText());
    assertTrue(r.stdoutText().startsWith("/tmp\n"), r.stdoutText());
    List<String> env = r.stdoutText().lines().toList();
    assertTrue(env.contains("GREETING=hello arm64"), env.toString());
    assertTrue(env.contains("PATH=/bin"), env.toString());
  }

  @Test
  void bootsItsRootFromAnErofsDisk() throws Exception {
    // The arm64 kernel's virtio_blk, erofs and overlay modules, and the EROFS image read by an
    // arm64 kernel: the shape a Mac boots a large image in.
    ExecResult r = TestVms.withProperty(RootDiskCache.PROPERTY, "disk", () -> run(sh(
        "grep -m1 ' / ' /proc/mounts | { read -r dev dir type rest; echo $type; }; uname -m;"
            + " cat /bin/busybox > /dev/null && echo read")));
    assertEquals("overlay\naarch64\nread\n", r.stdoutText(), r.stderrText());
  }
}
