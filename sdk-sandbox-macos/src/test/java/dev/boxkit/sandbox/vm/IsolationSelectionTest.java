package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Isolation;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code SandboxSpec.isolation(VM)} reaches the VM provider through ServiceLoader. */
class IsolationSelectionTest {
  @TempDir Path tmp;

  @Test
  void theIsolationPicksTheProvider() throws Exception {
    TestVms.qemuProvider(); // skips (fails under BOXKIT_REQUIRE_TOOLS=1) without QEMU or a kernel
    Path root = TestVms.rootWith(Files.createDirectories(tmp.resolve("root")), List.of("/bin/sh"));
    SandboxSpec vm = SandboxSpec.builder().root(Rootfs.directory(root)).isolation(Isolation.VM)
        .command("/bin/sh", "-c", "echo in-vm; exit 4").build();
    assertEquals(Isolation.VM, Sandbox.provider(vm).isolation());
    ExecResult r = Sandbox.run(vm);
    assertEquals("in-vm\n", r.stdoutText());
    assertEquals(4, r.exitCode());

    // Both backends are on this module's test class path: the isolation picks the provider.
    SandboxSpec ns = vm.toBuilder().isolation(Isolation.NAMESPACES).build();
    assertEquals(Isolation.NAMESPACES, Sandbox.provider(ns).isolation());
    // A spec no provider can run says why each one cannot.
    SandboxSpec none = SandboxSpec.builder().root(Rootfs.directory(root)).isolation(Isolation.VM)
        .limits(dev.boxkit.sandbox.ResourceLimits.builder().pidsMax(5).build()).command("/bin/true").build();
    assertThrows(dev.boxkit.sandbox.InvalidSandboxSpecException.class, () -> Sandbox.run(none));
  }
}
