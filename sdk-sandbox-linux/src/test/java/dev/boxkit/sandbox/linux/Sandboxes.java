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

  /** An unprivileged host user's id, for trees a root JVM lets a sandbox write. */
  static final int USER = 1000;

  /**
   * Gives {@code paths} to {@link #USER} when the JVM is root: a root JVM refuses to let a
   * sandbox write into a tree only the host's root may write (WritableIdMap).
   */
  static java.nio.file.Path userOwned(java.nio.file.Path... paths) {
    if (LibC.INSTANCE.geteuid() == 0) {
      for (java.nio.file.Path p : paths) {
        try {
          java.nio.file.Files.setAttribute(p, "unix:uid", USER, java.nio.file.LinkOption.NOFOLLOW_LINKS);
          java.nio.file.Files.setAttribute(p, "unix:gid", USER, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    }
    return paths[0];
  }

  static ExecResult run(String script) {
    return sh(script).run();
  }
}
