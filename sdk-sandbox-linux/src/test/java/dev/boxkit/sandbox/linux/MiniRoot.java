package dev.boxkit.sandbox.linux;

import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A tiny read-only root for escape tests: only {@code /usr} of the host (bound read-only), the
 * merged-usr links, and empty mount points. Nothing else of the host is in it.
 */
final class MiniRoot {
  private MiniRoot() {}

  static Path create(Path dir) {
    try {
      for (String d : List.of("usr", "proc", "dev", "tmp", "data", "work")) {
        Files.createDirectories(dir.resolve(d));
      }
      for (String l : List.of("bin", "lib", "lib64", "sbin")) {
        if (Files.exists(Path.of("/usr", l)) && !Files.exists(dir.resolve(l), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          Files.createSymbolicLink(dir.resolve(l), Path.of("usr", l));
        }
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code sh -c script} in a mini root made in {@code dir}. */
  static SandboxSpec.Builder sh(Path dir, String script) {
    Sandboxes.require();
    return Sandbox.builder()
        .root(Rootfs.directory(create(dir)))
        .mount(Mount.bind(Path.of("/usr"), "/usr"))
        .command("/bin/sh", "-c", script)
        .env("PATH", "/usr/bin:/bin");
  }
}
