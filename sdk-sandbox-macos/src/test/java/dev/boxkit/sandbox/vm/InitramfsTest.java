package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitramfsTest {
  @TempDir Path tmp;

  private record Item(long mode, long uid, long gid, byte[] data) {}

  private static Map<String, Item> read(byte[] archive) throws IOException {
    Map<String, Item> items = new LinkedHashMap<>();
    try (CpioArchiveInputStream in = new CpioArchiveInputStream(new ByteArrayInputStream(archive))) {
      CpioArchiveEntry e;
      while ((e = in.getNextCPIOEntry()) != null) {
        items.put(e.getName(), new Item(e.getMode(), e.getUID(), e.getGID(), in.readAllBytes()));
      }
    }
    return items;
  }

  private byte[] write(byte[] agent, List<Path> modules, Path root) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Initramfs.write(out, agent, modules, GuestRoot.of(root));
    return out.toByteArray();
  }

  @Test
  void holdsTheAgentAsInitTheModulesInOrderAndTheRootWithItsOwnersAndModes() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("root"));
    Files.createDirectories(root.resolve("etc"));
    Path secret = Files.writeString(root.resolve("etc/shadow"), "s3cret");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r-----"));
    Files.setAttribute(secret, "unix:uid", 1234);
    Files.setAttribute(secret, "unix:gid", 42);
    Files.createSymbolicLink(root.resolve("sh"), Path.of("/bin/dash"));
    Path m1 = Files.writeString(tmp.resolve("virtio.ko"), "one");
    Path m2 = Files.writeString(tmp.resolve("virtio_console.ko"), "two");
    byte[] agent = "\u007fELF agent".getBytes(StandardCharsets.UTF_8);

    byte[] archive = write(agent, List.of(m1, m2), root);
    Map<String, Item> items = read(archive);

    assertEquals(List.of("boxkit", "boxkit/modules", "dev", "proc", "sys", "dev/console", "init",
        "boxkit/modules/virtio.ko", "boxkit/modules/virtio_console.ko", "boxkit/modules.order",
        "rootfs", "rootfs/etc", "rootfs/etc/shadow", "rootfs/sh"), List.copyOf(items.keySet()));
    assertArrayEquals(agent, items.get("init").data());
    assertEquals(0100755, items.get("init").mode());
    assertEquals(020600, items.get("dev/console").mode());
    assertEquals("/boxkit/modules/virtio.ko\n/boxkit/modules/virtio_console.ko\n",
        new String(items.get("boxkit/modules.order").data(), StandardCharsets.UTF_8));
    Item shadow = items.get("rootfs/etc/shadow");
    assertEquals(0100640, shadow.mode());
    assertEquals(1234, shadow.uid());
    assertEquals(42, shadow.gid());
    assertEquals("s3cret", new String(shadow.data(), StandardCharsets.UTF_8));
    assertEquals(0120000, items.get("rootfs/sh").mode() & 0170000);
    assertEquals("/bin/dash", new String(items.get("rootfs/sh").data(), StandardCharsets.UTF_8));
  }

  @Test
  void sameInputsGiveTheSameBytes() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("root"));
    for (String f : List.of("b", "a", "c/d", "c/a")) {
      Files.createDirectories(root.resolve(f).getParent());
      Files.writeString(root.resolve(f), f);
    }
    byte[] agent = {1, 2, 3};
    assertArrayEquals(write(agent, List.of(), root), write(agent, List.of(), root));
  }
}
