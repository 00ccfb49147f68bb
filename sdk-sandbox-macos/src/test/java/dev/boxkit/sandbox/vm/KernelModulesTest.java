package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.SandboxException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelModulesTest {
  @TempDir Path tmp;

  /** A minimal 64-bit little-endian ELF file whose only content is a {@code .modinfo} section. */
  static byte[] module(String name, String depends) {
    byte[] modinfo = ("license=GPL\0depends=" + depends + "\0name=" + name + "\0").getBytes(StandardCharsets.US_ASCII);
    byte[] shstrtab = "\0.modinfo\0.shstrtab\0".getBytes(StandardCharsets.US_ASCII);
    int shoff = 64 + modinfo.length + shstrtab.length;
    ByteBuffer b = ByteBuffer.allocate(shoff + 3 * 64).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
    b.putLong(0x28, shoff).putShort(0x3A, (short) 64).putShort(0x3C, (short) 3).putShort(0x3E, (short) 2);
    b.put(64, modinfo).put(64 + modinfo.length, shstrtab);
    int sh1 = shoff + 64;
    b.putInt(sh1, 1).putLong(sh1 + 0x18, 64).putLong(sh1 + 0x20, modinfo.length);
    int sh2 = shoff + 128;
    b.putInt(sh2, 10).putLong(sh2 + 0x18, 64 + modinfo.length).putLong(sh2 + 0x20, shstrtab.length);
    return b.array();
  }

  private Path modulesDir(Map<String, String> deps) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("lib/modules/6.1.0-test/kernel/drivers"));
    for (Map.Entry<String, String> e : deps.entrySet()) {
      Files.write(dir.resolve(e.getKey().replace('_', '-') + ".ko"), module(e.getKey(), e.getValue()));
    }
    return tmp.resolve("lib/modules/6.1.0-test");
  }

  @Test
  void readsDependsFromTheModinfoSection() throws IOException {
    Path ko = tmp.resolve("virtio_pci.ko");
    Files.write(ko, module("virtio_pci", "virtio_ring,virtio"));
    assertEquals(List.of("virtio_ring", "virtio"), KernelModules.dependencies(ko));
    Files.write(ko, module("virtio_ring", ""));
    assertEquals(List.of(), KernelModules.dependencies(ko));
  }

  @Test
  void loadOrderPutsEveryModuleAfterItsDependenciesOnce() throws IOException {
    Map<String, String> deps = new LinkedHashMap<>();
    deps.put("virtio_ring", "");
    deps.put("virtio", "virtio_ring");
    deps.put("virtio_pci", "virtio_ring,virtio");
    deps.put("virtio_console", "virtio,virtio_ring");
    KernelModules m = KernelModules.index(modulesDir(deps));
    List<String> order = m.loadOrder(List.of("virtio_console", "virtio-pci")).stream()
        .map(p -> p.getFileName().toString()).toList();
    assertEquals(List.of("virtio-ring.ko", "virtio.ko", "virtio-console.ko", "virtio-pci.ko"), order);
  }

  @Test
  void missingDependencyAndCycleAreNamed() throws IOException {
    Map<String, String> deps = new LinkedHashMap<>();
    deps.put("a", "b");
    deps.put("b", "a");
    deps.put("c", "nowhere");
    KernelModules m = KernelModules.index(modulesDir(deps));
    SandboxException missing = assertThrows(SandboxException.class, () -> m.loadOrder(List.of("c")));
    assertTrue(missing.getMessage().contains("nowhere"), missing.getMessage());
    SandboxException cycle = assertThrows(SandboxException.class, () -> m.loadOrder(List.of("a")));
    assertTrue(cycle.getMessage().contains("cycle"), cycle.getMessage());
  }

  @Test
  void notAnElfModuleIsRejected() throws IOException {
    Path ko = tmp.resolve("x.ko");
    Files.write(ko, new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 0, 0, 0, 0});
    SandboxException e = assertThrows(SandboxException.class, () -> KernelModules.dependencies(ko));
    assertTrue(e.getMessage().contains("not a 64-bit little-endian ELF"), e.getMessage());
  }

  @Test
  void kernelImageFindsModulesAndConfigBesideItAndChecksFeatures() throws IOException {
    Map<String, String> deps = new LinkedHashMap<>();
    deps.put("virtio_ring", "");
    deps.put("virtio", "virtio_ring");
    deps.put("virtio_console", "virtio,virtio_ring");
    modulesDir(deps);
    Path boot = Files.createDirectories(tmp.resolve("boot"));
    Path vmlinuz = Files.write(boot.resolve("vmlinuz-6.1.0-test"), new byte[] {1});
    Files.writeString(boot.resolve("config-6.1.0-test"),
        "CONFIG_VIRTIO_PCI=y\nCONFIG_VIRTIO_CONSOLE=m\n# CONFIG_VIRTIO_FS is not set\nCONFIG_FUSE_FS=m\n");
    KernelImage k = KernelImage.of(vmlinuz);
    assertEquals(tmp.resolve("lib/modules/6.1.0-test"), k.modules().orElseThrow());
    assertEquals(boot.resolve("config-6.1.0-test"), k.config().orElseThrow());

    Map<String, String> wanted = new LinkedHashMap<>();
    wanted.put("VIRTIO_PCI", "virtio_pci");
    wanted.put("VIRTIO_CONSOLE", "virtio_console");
    assertEquals(List.of("virtio-ring.ko", "virtio.ko", "virtio-console.ko"),
        k.modulesFor(wanted).stream().map(p -> p.getFileName().toString()).toList());

    wanted.put("VIRTIO_FS", "virtiofs");
    SandboxException e = assertThrows(SandboxException.class, () -> k.modulesFor(wanted));
    assertTrue(e.getMessage().contains("CONFIG_VIRTIO_FS"), e.getMessage());
  }

  /** sign-file's layout: module, PKCS#7 blob, struct module_signature (sig_len big-endian last), marker. */
  static byte[] signed(byte[] ko, int sigLen) {
    byte[] marker = "~Module signature appended~\n".getBytes(StandardCharsets.US_ASCII);
    ByteBuffer b = ByteBuffer.allocate(ko.length + sigLen + 12 + marker.length);
    b.put(ko).put(new byte[sigLen]).put(new byte[] {0, 0, 2, 0, 0, 0, 0, 0}).putInt(sigLen).put(marker);
    return b.array();
  }

  @Test
  void theAppendedSignatureIsStrippedAndNothingElse() throws IOException {
    byte[] ko = module("virtio", "");
    assertTrue(java.util.Arrays.equals(ko, KernelModules.unsigned(signed(ko, 400))));
    assertTrue(ko == KernelModules.unsigned(ko), "an unsigned module is kept as it is");
    byte[] lying = signed(ko, 400);
    ByteBuffer.wrap(lying).putInt(lying.length - 28 - 4, 1 << 30); // sig_len past the file's start
    assertTrue(lying == KernelModules.unsigned(lying), "a trailer that does not fit is left alone");
    // The real kernel's modules (Debian signs them) lose exactly their trailer.
    Path modules = DebianKernelTest.debianKernel().or(() -> KernelImage.fromEnvironment(GuestArch.X86_64))
        .flatMap(KernelImage::modules).orElse(null);
    if (modules != null) {
      Path virtio = KernelModules.index(modules).find("virtio").orElseThrow();
      byte[] real = Files.readAllBytes(virtio);
      byte[] stripped = KernelModules.unsigned(real);
      assertTrue(stripped.length < real.length - 28, virtio + " carries a signature");
      assertEquals(KernelModules.dependencies(virtio),
          KernelModules.dependencies(Files.write(tmp.resolve("virtio.ko"), stripped)), "still an ELF with its .modinfo");
      assertTrue(java.util.Arrays.equals(real, 0, stripped.length, stripped, 0, stripped.length));
    }
  }
}
