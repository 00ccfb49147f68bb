package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The exact hypervisor command lines for a set of VMs, against golden files (one argument per
 * line). vfkit cannot run here, so its golden files are its specification on Linux.
 */
class HypervisorCommandTest {
  private static final Path W = Path.of("/tmp/boxkit-vm-1");

  private static VmConfig vm(List<VmConfig.Share> shares, boolean network, long memoryBytes, int cpus) {
    return new VmConfig(Path.of("/k/boot/vmlinuz-6.1.0-56-cloud-amd64"), W.resolve("initrd.cpio"), "quiet panic=-1",
        cpus, memoryBytes, W.resolve("ctl.sock"), W.resolve("console.log"), shares, network);
  }

  private static final List<VmConfig.Share> TWO_SHARES = List.of(
      new VmConfig.Share("b0", Path.of("/srv/data"), W.resolve("fs0.sock")),
      new VmConfig.Share("b1", Path.of("/home/u/project"), W.resolve("fs1.sock")));

  private static String golden(String name) throws IOException {
    try (InputStream in = HypervisorCommandTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String lines(List<String> argv) {
    return String.join("\n", argv) + "\n";
  }

  @Test
  void kvmNeedsVtxOrAmdVInTheCpuFlags() {
    // A /dev/kvm without VT-x or AMD-V under it (some nested set-ups) opens, and a paused machine
    // survives on it, but a guest hangs at boot: the flags decide before that probe.
    String head = "processor\t: 0\nvendor_id\t: GenuineIntel\n";
    assertTrue(QemuHypervisor.hasVirtualizationFlag(head + "flags\t\t: fpu vme de pse vmx sse2\n"));
    assertTrue(QemuHypervisor.hasVirtualizationFlag(head + "flags\t\t: fpu svm lm\n"));
    assertFalse(QemuHypervisor.hasVirtualizationFlag(head + "flags\t\t: fpu vme de pse hypervisor sse2\n"));
    assertFalse(QemuHypervisor.hasVirtualizationFlag(head + "vmx flags\t: vnmi\nflags\t\t: fpu\n"));
    assertFalse(QemuHypervisor.hasVirtualizationFlag(""));
  }

  @Test
  void vfkitMinimalVmHasNoNetworkDeviceAndNoShares() throws IOException {
    VfkitHypervisor vfkit = new VfkitHypervisor(Path.of("/opt/homebrew/bin/vfkit"), Optional.empty());
    assertEquals(golden("vfkit-minimal.args"), lines(vfkit.command(vm(List.of(), false, 512L << 20, 1))));
  }

  @Test
  void vfkitWithSharesNetworkAndRestEndpoint() throws IOException {
    VfkitHypervisor vfkit = new VfkitHypervisor(Path.of("/usr/local/bin/vfkit"), Optional.of(W.resolve("rest.sock")));
    assertEquals(golden("vfkit-shares-network-rest.args"), lines(vfkit.command(vm(TWO_SHARES, true, 2048L << 20, 4))));
    assertEquals(List.of(), vfkit.helperCommands(TWO_SHARES));
  }

  @Test
  void qemuTcgVmWithSharesAndNoNetwork() throws IOException {
    QemuHypervisor qemu = new QemuHypervisor(GuestArch.X86_64, Path.of("/usr/bin/qemu-system-x86_64"),
        Optional.of(Path.of("/usr/lib/qemu/virtiofsd")), false);
    assertEquals(golden("qemu-tcg-shares.args"), lines(qemu.command(vm(TWO_SHARES, false, 512L << 20, 2))));
    assertEquals(List.of(
        List.of("/usr/lib/qemu/virtiofsd", "--socket-path=/tmp/boxkit-vm-1/fs0.sock", "-o", "source=/srv/data",
            "-o", "cache=none", "-o", "sandbox=chroot", "-o", "no_posix_lock", "-o", "no_flock"),
        List.of("/usr/lib/qemu/virtiofsd", "--socket-path=/tmp/boxkit-vm-1/fs1.sock", "-o", "source=/home/u/project",
            "-o", "cache=none", "-o", "sandbox=chroot", "-o", "no_posix_lock", "-o", "no_flock")),
        qemu.helperCommands(TWO_SHARES));
  }

  @Test
  void qemuArm64GuestOnTheVirtMachineUnderTcg() throws IOException {
    QemuHypervisor qemu = new QemuHypervisor(GuestArch.AARCH64, Path.of("/usr/bin/qemu-system-aarch64"),
        Optional.of(Path.of("/usr/lib/qemu/virtiofsd")), false);
    assertEquals(golden("qemu-tcg-arm64.args"), lines(qemu.command(vm(List.of(), false, 512L << 20, 1))));
    assertEquals(GuestArch.AARCH64, qemu.guestArch());
    assertTrue(qemu.unavailableReason().isEmpty() || qemu.unavailableReason().get().contains("qemu-system-arm")
        || !System.getProperty("os.name").equals("Linux"), qemu.unavailableReason().toString());
  }

  @Test
  void qemuKvmUsesTheHostCpu() {
    QemuHypervisor qemu = new QemuHypervisor(GuestArch.X86_64, Path.of("/usr/bin/qemu-system-x86_64"), Optional.empty(), true);
    List<String> argv = qemu.command(vm(List.of(), false, 256L << 20, 1));
    assertTrue(String.join(" ", argv).contains("-machine q35,accel=kvm,memory-backend=mem -cpu host"), argv.toString());
    assertTrue(String.join(" ", argv).contains("-nic none"), argv.toString());
    assertFalse(String.join(" ", argv).contains("vhost-user-fs"), argv.toString());
  }

  @Test
  void qbootIsTheFirmwareWhereQemuShipsIt() {
    QemuHypervisor plain = new QemuHypervisor(GuestArch.X86_64, Path.of("/usr/bin/qemu-system-x86_64"), Optional.empty(), false);
    assertFalse(plain.command(vm(List.of(), false, 256L << 20, 1)).contains("-bios"));
    Path rom = Path.of("/usr/share/qemu/qboot.rom");
    QemuHypervisor qboot = new QemuHypervisor(GuestArch.X86_64, Path.of("/usr/bin/qemu-system-x86_64"), Optional.empty(),
        false, Optional.of(rom));
    List<String> argv = qboot.command(vm(List.of(), false, 256L << 20, 1));
    assertEquals(rom.toString(), argv.get(argv.indexOf("-bios") + 1), argv.toString());
    QemuHypervisor found = QemuHypervisor.forGuest(GuestArch.X86_64);
    if (Files.isRegularFile(rom) && found.qemu().startsWith("/usr/bin")) { // Debian's qemu-system-data has it
      assertEquals(Optional.of(rom), found.firmware());
    }
    assertEquals(Optional.empty(), QemuHypervisor.forGuest(GuestArch.AARCH64).firmware(), "x86 firmware only");
  }

  @Test
  void kernelFeaturesFollowTheDevices() {
    QemuHypervisor qemu = new QemuHypervisor(GuestArch.X86_64, Path.of("/usr/bin/qemu-system-x86_64"), Optional.empty(), false);
    VfkitHypervisor vfkit = new VfkitHypervisor(Path.of("/usr/bin/vfkit"), Optional.empty());
    assertEquals(List.of("VIRTIO_PCI", "VIRTIO_CONSOLE", "VIRTIO_BALLOON"), List.copyOf(qemu.kernelFeatures(false).keySet()));
    assertEquals(List.of("VIRTIO_PCI", "VIRTIO_CONSOLE", "VIRTIO_BALLOON", "VIRTIO_FS"), List.copyOf(qemu.kernelFeatures(true).keySet()));
    assertEquals(List.of("VIRTIO_PCI", "VIRTIO_CONSOLE", "VIRTIO_VSOCKETS", "VIRTIO_FS"),
        List.copyOf(vfkit.kernelFeatures(true).keySet()));
  }
}
