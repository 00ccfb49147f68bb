package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.boxkit.sandbox.Isolation;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Loading the VM provider (ServiceLoader does it for every sandbox, VM or not) looks for no
 * hypervisor: QEMU is found and KVM probed on the first question that needs them, once.
 */
class LazyHypervisorTest {
  @Test
  void theHypervisorIsLookedForOnFirstNeedOnly() {
    AtomicInteger looked = new AtomicInteger();
    VmSandboxProvider p = new VmSandboxProvider("qemu", () -> {
      looked.incrementAndGet();
      return QemuHypervisor.onHost();
    }, Optional.empty());

    assertEquals("vm-qemu", p.name());
    assertEquals(Isolation.VM, p.isolation());
    assertEquals(0, looked.get());

    p.unavailableReason();
    p.unavailableReason();
    assertEquals(1, looked.get());
  }

  @Test
  void theDefaultProviderNamesTheHostsHypervisor() {
    String expected = System.getProperty("os.name", "").startsWith("Mac") ? "vm-vfkit" : "vm-qemu";
    assertEquals(expected, new VmSandboxProvider().name());
  }
}
