package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.boxkit.image.Image;
import dev.boxkit.image.OciLayoutSource;
import dev.boxkit.oci.unpack.RootfsCache;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An image that umoci built (its layers, its config) runs from its own OCI layout. */
class UmociImageTest {
  @TempDir
  Path tmp;

  private static void run(Path dir, String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
    }
  }

  /** A 64-bit little-endian ELF file without a PT_INTERP program header. */
  private static boolean isStatic(byte[] elf) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(elf).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    if (elf.length < 64 || b.getInt(0) != 0x464c457f || elf[4] != 2 || elf[5] != 1) {
      return false;
    }
    long phoff = b.getLong(0x20);
    int size = Short.toUnsignedInt(b.getShort(0x36));
    int count = Short.toUnsignedInt(b.getShort(0x38));
    for (int i = 0; i < count; i++) {
      if (b.getInt((int) (phoff + (long) i * size)) == 3) { // PT_INTERP
        return false;
      }
    }
    return true;
  }

  @Test
  void umociBuiltImageRunsWithItsConfig() throws Exception {
    Sandboxes.require();
    Path umoci = ExternalTools.require("umoci", "umoci");
    Path busybox = ExternalTools.require("busybox", "busybox-static");
    byte[] bb = Files.readAllBytes(busybox);
    ExternalTools.requireHost(isStatic(bb), busybox + " is not statically linked (install busybox-static)");
    boolean root = LibC.INSTANCE.geteuid() == 0;
    Path layout = tmp.resolve("layout");
    Path bundle = tmp.resolve("bundle");
    run(tmp, umoci.toString(), "init", "--layout", layout.toString());
    run(tmp, umoci.toString(), "new", "--image", layout + ":t");
    List<String> unpack = new ArrayList<>(List.of(umoci.toString(), "unpack"));
    if (!root) {
      unpack.add("--rootless");
    }
    unpack.addAll(List.of("--image", layout + ":t", bundle.toString()));
    run(tmp, unpack.toArray(String[]::new));
    Path rootfs = bundle.resolve("rootfs");
    Files.createDirectories(rootfs.resolve("bin"));
    Files.createDirectories(rootfs.resolve("etc"));
    Files.write(rootfs.resolve("bin/busybox"), bb);
    Files.setPosixFilePermissions(rootfs.resolve("bin/busybox"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    for (String applet : List.of("sh", "id", "cat", "pwd")) {
      Files.createSymbolicLink(rootfs.resolve("bin").resolve(applet), Path.of("busybox"));
    }
    Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0::/:/bin/sh\nsvc:x:4242:4343::/:/bin/sh\n");
    run(tmp, umoci.toString(), "repack", "--image", layout + ":t", bundle.toString());
    run(tmp, umoci.toString(), "config", "--image", layout + ":t",
        "--config.entrypoint", "/bin/sh", "--config.entrypoint", "-c",
        "--config.cmd", "echo $WHO; id -u; id -g; pwd",
        "--config.env", "WHO=umoci", "--config.env", "PATH=/bin",
        "--config.user", "svc", "--config.workingdir", "/etc");

    Image image = Image.load(OciLayoutSource.of(layout, "t"), null);
    ExecResult r = Sandbox.builder().image(image)
        .root(Rootfs.image(image).withCache(RootfsCache.open(tmp.resolve("cache"))))
        .run();
    assertEquals(0, r.exitCode(), r.stderrText());
    assertEquals("umoci\n4242\n4343\n/etc\n", r.stdoutText());
  }
}
