package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.boxkit.testing.ExternalTools;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What vfkit gets for the arm64 guest on Apple silicon, checked byte for byte on Linux: its command
 * line (Linux boot loader with kernel, initrd and command line; serial console; vsock control
 * channel; virtio-fs tags), its REST calls, and the initramfs for Debian's arm64 cloud kernel
 * (the aarch64 agent as {@code /init}, the arm64 modules for vfkit's devices in load order). What
 * only a Mac can check is listed in the module README ("Mac-only checks").
 */
class VfkitArm64GuestTest {
  private static final Path W = Path.of("/private/var/folders/xy/T/boxkit-vm-7");
  @TempDir Path tmp;

  private static String golden(String name) throws IOException {
    try (InputStream in = VfkitArm64GuestTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void commandLineForTheArm64GuestWithSharesAndRestEndpoint() throws IOException {
    VfkitHypervisor vfkit = new VfkitHypervisor(Path.of("/opt/homebrew/bin/vfkit"), Optional.of(W.resolve("rest.sock")));
    List<VmConfig.Share> shares = List.of(
        new VmConfig.Share("b0", Path.of("/Users/dev/project"), W.resolve("fs0.sock")),
        new VmConfig.Share("b1", Path.of("/Users/dev/data"), W.resolve("fs1.sock")));
    VmConfig vm = new VmConfig(Path.of("/Users/dev/boxkit-kernel-arm64/boot/vmlinuz-6.1.0-57-cloud-arm64"),
        Path.of("/Users/dev/.cache/boxkit/vm-initramfs/"
            + "0f3a9c5e7d1b2a4c6e8f0a1b3c5d7e9f1a2b3c4d5e6f708192a3b4c5d6e7f809.cpio"),
        "quiet panic=-1", 2, 1024L << 20, W.resolve("ctl.sock"), W.resolve("console.log"), shares, false);
    assertEquals(golden("vfkit-arm64.args"), String.join("\n", vfkit.command(vm)) + "\n");
    assertEquals(List.of(), vfkit.helperCommands(shares), "vfkit serves virtio-fs itself: no virtiofsd");
  }

  @Test
  void restCallsAreExactlyTheseBytes() {
    assertEquals("GET /vm/state HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        new String(VfkitRest.request("GET", "/vm/state", null), StandardCharsets.US_ASCII));
    Map<String, Integer> lengths = new LinkedHashMap<>();
    lengths.put("Stop", 16);
    lengths.put("HardStop", 20);
    lengths.put("Pause", 17);
    lengths.put("Resume", 18);
    for (Map.Entry<String, Integer> e : lengths.entrySet()) {
      String body = "{\"state\":\"" + e.getKey() + "\"}";
      assertEquals("POST /vm/state HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + e.getValue() + "\r\n\r\n" + body,
          new String(VfkitRest.request("POST", "/vm/state", body), StandardCharsets.US_ASCII));
    }
  }

  @Test
  void initramfsForDebiansArm64KernelCarriesTheAarch64AgentAndVfkitsModules() throws IOException {
    Optional<KernelImage> kernel = KernelImage.fromEnvironment(GuestArch.AARCH64);
    ExternalTools.requireHost(kernel.isPresent(), "no arm64 VM kernel: set " + GuestArch.AARCH64.kernelEnv()
        + " (sdk-sandbox-macos/scripts/fetch-debian-kernel-arm64.sh prints it)");
    ExternalTools.requireHost(GuestAgent.bundled(GuestArch.AARCH64), "the build left out the linux-aarch64 guest"
        + " agent: install gcc-aarch64-linux-gnu and libc6-dev-arm64-cross, and rebuild");
    // vfkit's Linux boot loader takes only an uncompressed arm64 Image.
    assertEquals(Optional.of(GuestArch.AARCH64), kernel.get().imageArch());
    VfkitHypervisor vfkit = new VfkitHypervisor(Path.of("/opt/homebrew/bin/vfkit"), Optional.empty());
    List<Path> modules = kernel.get().modulesFor(vfkit.kernelFeatures(true));
    List<String> names = modules.stream().map(p -> p.getFileName().toString()).toList();
    // Debian's kernel has these drivers as modules; BoxKit's own (scripts/build-kernel.sh) builds
    // them in, and then nothing is loaded.
    assertEquals(kernel.get().modules().isEmpty() ? List.of() : List.of("virtio_ring.ko",
        "virtio_pci_modern_dev.ko", "virtio_pci_legacy_dev.ko", "virtio.ko", "virtio_pci.ko", "virtio_console.ko",
        "vsock.ko", "vmw_vsock_virtio_transport_common.ko", "vmw_vsock_virtio_transport.ko", "fuse.ko",
        "virtiofs.ko"), names);
    for (Path ko : modules) {
      assertEquals(183, ByteBuffer.wrap(Files.readAllBytes(ko)).order(ByteOrder.LITTLE_ENDIAN).getShort(18),
          ko + ": e_machine EM_AARCH64");
    }
    Path root = Files.createDirectories(tmp.resolve("root/bin"));
    Files.writeString(root.resolve("hello"), "hi\n");
    byte[] agent = GuestAgent.load(GuestArch.AARCH64);
    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    Initramfs.write(archive, agent, modules, GuestRoot.of(root.getParent()));
    List<String> entries = new ArrayList<>();
    byte[] init = null;
    String order = null;
    try (CpioArchiveInputStream cpio = new CpioArchiveInputStream(new ByteArrayInputStream(archive.toByteArray()))) {
      for (CpioArchiveEntry e; (e = cpio.getNextCPIOEntry()) != null; ) {
        entries.add(e.getName());
        if (e.getName().equals("init")) {
          init = cpio.readAllBytes();
        } else if (e.getName().equals("boxkit/modules.order")) {
          order = new String(cpio.readAllBytes(), StandardCharsets.UTF_8);
        }
      }
    }
    assertArrayEquals(agent, init);
    assertEquals(183, ByteBuffer.wrap(init).order(ByteOrder.LITTLE_ENDIAN).getShort(18), "/init is an aarch64 ELF");
    StringBuilder expectedOrder = new StringBuilder();
    names.forEach(n -> expectedOrder.append("/boxkit/modules/").append(n).append('\n'));
    assertEquals(expectedOrder.toString(), order);
    List<String> expectedEntries = new ArrayList<>(List.of("boxkit", "boxkit/modules", "dev", "proc", "sys",
        "dev/console", "init"));
    names.forEach(n -> expectedEntries.add("boxkit/modules/" + n));
    expectedEntries.addAll(List.of("boxkit/modules.order", "rootfs", "rootfs/bin", "rootfs/bin/hello"));
    assertEquals(expectedEntries, entries);
  }
}
