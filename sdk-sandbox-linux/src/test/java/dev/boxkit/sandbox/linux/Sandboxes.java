package dev.boxkit.sandbox.linux;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.testing.ExternalTools;

/** Test support: skips (fails under BOXKIT_REQUIRE_TOOLS=1) when this host cannot sandbox. */
final class Sandboxes {
  private Sandboxes() {}

  static void require() {
    LinuxSandboxProvider p = new LinuxSandboxProvider();
    ExternalTools.requireHost(p.unavailableReason().isEmpty(),
        "Linux sandbox unavailable: " + p.unavailableReason().orElse("")
        + " (the native helper needs gcc and libc6-dev at build time)");
  }

  /** A builder for {@code sh -c script} on the host's read-only root. */
  static SandboxSpec.Builder sh(String script) {
    require();
    return Sandbox.builder().command("/bin/sh", "-c", script).env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin");
  }

  static <T> T require0(java.util.function.Supplier<T> body) {
    require();
    return body.get();
  }

  static ExecResult run(String script) {
    return sh(script).run();
  }
}
