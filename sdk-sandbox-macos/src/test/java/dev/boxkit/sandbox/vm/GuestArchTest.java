package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.InvalidSandboxSpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Guest architecture names, and a kernel image's architecture read from its boot header. */
class GuestArchTest {
  @TempDir Path tmp;

  @Test
  void parsesKernelAndDebianNamesAndRefusesOthersNamingTheProperty() {
    assertEquals(GuestArch.AARCH64, GuestArch.parse("aarch64"));
    assertEquals(GuestArch.AARCH64, GuestArch.parse("ARM64"));
    assertEquals(GuestArch.X86_64, GuestArch.parse("x86_64"));
    assertEquals(GuestArch.X86_64, GuestArch.parse("amd64"));
    InvalidSandboxSpecException e = assertThrows(InvalidSandboxSpecException.class, () -> GuestArch.parse("riscv64"));
    assertTrue(e.getMessage().contains(GuestArch.PROPERTY) && e.getMessage().contains("riscv64"), e.getMessage());
    assertEquals("qemu-system-aarch64", GuestArch.AARCH64.qemuProgram());
    assertEquals("qemu-system-arm", GuestArch.AARCH64.qemuPackage());
    assertEquals("BOXKIT_VM_KERNEL_ARM64", GuestArch.AARCH64.kernelEnv());
  }

  @Test
  void aKernelImageSaysWhichArchitectureItBoots() throws IOException {
    byte[] arm = new byte[0x40];
    arm[0x38] = 'A';
    arm[0x39] = 'R';
    arm[0x3a] = 'M';
    arm[0x3b] = 0x64;
    byte[] x86 = new byte[0x300];
    x86[0x202] = 'H';
    x86[0x203] = 'd';
    x86[0x204] = 'r';
    x86[0x205] = 'S';
    byte[] gzip = {0x1f, (byte) 0x8b, 8, 0};
    assertEquals(Optional.of(GuestArch.AARCH64), KernelImage.of(Files.write(tmp.resolve("Image"), arm)).imageArch());
    assertEquals(Optional.of(GuestArch.X86_64), KernelImage.of(Files.write(tmp.resolve("bzImage"), x86)).imageArch());
    assertEquals(Optional.empty(), KernelImage.of(Files.write(tmp.resolve("vmlinuz.gz"), gzip)).imageArch());
  }

  @Test
  void aBadGuestArchPropertyMakesTheDefaultProviderUnavailableNamingIt() throws Exception {
    TestVms.withProperty(GuestArch.PROPERTY, "sparc", () -> {
      VmSandboxProvider p = new VmSandboxProvider();
      Optional<String> why = p.unavailableReason();
      assertTrue(why.isPresent() && why.get().contains(GuestArch.PROPERTY) && why.get().contains("sparc"),
          why.toString());
      assertEquals("vm", p.name());
      return null;
    });
  }

  @Test
  void aProviderWhoseKernelIsOfTheOtherArchitectureSaysSoBeforeBooting() throws IOException {
    byte[] x86 = new byte[0x300];
    x86[0x202] = 'H';
    x86[0x203] = 'd';
    x86[0x204] = 'r';
    x86[0x205] = 'S';
    KernelImage kernel = KernelImage.of(Files.write(tmp.resolve("bzImage"), x86));
    QemuHypervisor qemu = new QemuHypervisor(GuestArch.AARCH64, Path.of("/bin/sh"), Optional.empty(), false);
    Optional<String> why = new VmSandboxProvider(qemu, Optional.of(kernel), 1).unavailableReason();
    assertTrue(why.isPresent() && why.get().contains("x86_64 kernel") && why.get().contains("BOXKIT_VM_KERNEL_ARM64"),
        why.toString());
  }

  @Test
  void bootParametersSkipOnlyWhatAnEmulatedThrowawayGuestDoesNotNeed() {
    assertEquals("cryptomgr.notests no_timer_check", GuestArch.X86_64.bootParameters());
    assertEquals("cryptomgr.notests", GuestArch.AARCH64.bootParameters(), "no_timer_check is x86's IO-APIC check");
  }
}
