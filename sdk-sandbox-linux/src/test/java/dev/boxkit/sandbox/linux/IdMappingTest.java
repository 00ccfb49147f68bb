package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.boxkit.image.Image;
import dev.boxkit.image.Layer;
import dev.boxkit.oci.layer.EntryAttributes;
import dev.boxkit.oci.unpack.RootfsCache;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.Sandbox;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A root JVM maps the sandbox's ids to an unprivileged host range, so host files owned by root
 * stay out of reach; trees the spec names keep their owners through idmapped mounts.
 */
class IdMappingTest {
  @TempDir
  Path tmp;

  private static boolean root() {
    return LibC.INSTANCE.geteuid() == 0;
  }

  @Test
  void hostShadowIsUnreadableFromTheHostRoot() {
    Sandboxes.require();
    ExecResult r = Sandboxes.run("id -u; cat /etc/shadow >/dev/null 2>&1 && echo READ || echo DENIED;"
        + " cat /proc/self/uid_map");
    assertEquals(0, r.exitCode(), r.stderrText());
    String[] lines = r.stdoutText().split("\n");
    assertEquals("0", lines[0], "the program is root inside");
    assertEquals("DENIED", lines[1], "host /etc/shadow (root-owned) must not be readable");
    if (root()) {
      assertEquals("0 1879048192 65536", lines[2].trim().replaceAll("\\s+", " "),
          "inside 0..65535 are host 0x70000000..");
    }
  }

  @Test
  void hostIdentityMappingIsTheWeakerOptIn() {
    Sandboxes.require();
    assumeTrue(root(), "identity mapping of all ids needs a root JVM");
    ExecResult r = Sandboxes.sh("cat /etc/shadow >/dev/null 2>&1 && echo READ || echo DENIED")
        .hostIdentityMapping().run();
    assertEquals("READ\n", r.stdoutText(), "with host identity, inside root is the host's root");
    assertEquals("uid", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandboxes.sh("true").user(70000, 0).run()).field(), "above the shifted range");
    assertEquals(0, Sandboxes.sh("true").user(70000, 0).hostIdentityMapping().run().exitCode());
  }

  @Test
  void boundTreesKeepTheirOwnersBothWays() throws IOException {
    Sandboxes.require();
    Path dir = Files.createDirectory(tmp.resolve("data"));
    Files.writeString(dir.resolve("secret"), "mine\n");
    Files.setPosixFilePermissions(dir.resolve("secret"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    Sandboxes.userOwned(dir, dir.resolve("secret"));
    ExecResult r = Sandboxes.sh("stat -c %u /mnt/secret && cat /mnt/secret && echo new > /mnt/made")
        .mount(Mount.bind(dir, "/mnt").readWrite()).run();
    assertEquals(0, r.exitCode(), r.stderrText());
    assertEquals("0\nmine\n", r.stdoutText(), "the bound file is the sandbox root's own");
    assertEquals(Files.getAttribute(dir, "unix:uid"), Files.getAttribute(dir.resolve("made"), "unix:uid"),
        "a file the sandbox made belongs to the host user that owns the bound tree");
  }

  @Test
  void imageFilesHaveTheirOwnersInside() throws IOException {
    Sandboxes.require();
    Image image = Image.builder().cacheDir(tmp.resolve("store"))
        .layer(Layer.fromExecutables(Path.of("/bin/sh"), Path.of("/bin/stat"), Path.of("/bin/touch")))
        .layer(Layer.of("owned", b -> b
            .addFile("/etc/passwd", "root:x:0:0::/:/bin/sh\n".getBytes(StandardCharsets.UTF_8))
            .addFile("/srv/owned", "x".getBytes(StandardCharsets.UTF_8),
                EntryAttributes.DEFAULTS.withOwner(1234, 2345))))
        .build();
    Path kept = tmp.resolve("upper");
    ExecResult r = Sandbox.builder().image(image)
        .root(Rootfs.image(image).withCache(RootfsCache.open(tmp.resolve("rootfs"))).keepUpper(kept))
        .command("/bin/sh", "-c", "stat -c %u:%g /etc/passwd /srv/owned && touch /srv/new").run();
    assertEquals(0, r.exitCode(), r.stderrText());
    String[] owners = r.stdoutText().split("\n");
    assertEquals("0:0", owners[0]);
    if (root()) {
      assertEquals("1234:2345", owners[1], "image ownership survives the shifted map");
      assertEquals(0, Files.getAttribute(kept.resolve("srv/new"), "unix:uid"),
          "the upper layer stores the ids the image uses, not the shifted host ids");
    } else {
      assertNotEquals("", owners[1]);
    }
    assertTrue(Files.exists(kept.resolve("srv/new")));
  }
}
