package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.boxkit.sandbox.Isolation;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Loading the VM provider (ServiceLoader does it for every sandbox, VM or not) looks for no
 * hypervisor: QEMU is found and KVM probed on the first question that needs them, once per
 * guest architecture.
 */
class LazyHypervisorTest {
  @Test
  void theHypervisorIsLookedForOnFirstNeedOnly() {
    AtomicInteger looked = new AtomicInteger();
    VmSandboxProvider p = new VmSandboxProvider(arch -> {
      looked.incrementAndGet();
      return QemuHypervisor.forGuest(arch);
    });

    assertEquals(System.getProperty("os.name", "").startsWith("Mac") ? "vm-vfkit" : "vm-qemu", p.name());
    assertEquals(Isolation.VM, p.isolation());
    assertEquals(0, looked.get());

    p.unavailableReason();
    p.unavailableReason();
    assertEquals(1, looked.get());
  }
}
