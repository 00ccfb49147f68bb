package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Initramfs archives kept by content: hits, misses on any change, the disabled cache. */
class InitramfsCacheTest {
  @TempDir Path tmp;
  private static final byte[] AGENT = "agent".getBytes(StandardCharsets.US_ASCII);

  private Path root() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("root/bin"));
    Files.writeString(root.resolve("tool"), "one\n");
    return root.getParent();
  }

  @Test
  void anUnchangedRootBootsTheArchiveWrittenBeforeAndAChangeMakesANewOne() throws IOException {
    Path root = root();
    Path work = Files.createDirectories(tmp.resolve("work"));
    InitramfsCache cache = new InitramfsCache(Optional.of(tmp.resolve("cache")));
    Path first = cache.initramfs(AGENT, List.of(), GuestRoot.of(root), work);
    assertEquals(tmp.resolve("cache"), first.getParent());
    assertEquals(Initramfs.digest(AGENT, List.of(), GuestRoot.of(root)) + ".cpio", first.getFileName().toString());
    ByteArrayOutputStream direct = new ByteArrayOutputStream();
    Initramfs.write(direct, AGENT, List.of(), GuestRoot.of(root));
    assertArrayEquals(direct.toByteArray(), Files.readAllBytes(first), "the cached archive is the archive");
    assertEquals(first, cache.initramfs(AGENT, List.of(), GuestRoot.of(root), work));

    Files.writeString(root.resolve("bin/tool"), "two\n"); // same size, other bytes
    Path second = cache.initramfs(AGENT, List.of(), GuestRoot.of(root), work);
    assertNotEquals(first, second);
    assertNotEquals(second, cache.initramfs("agent2".getBytes(StandardCharsets.US_ASCII), List.of(), GuestRoot.of(root), work));
    assertEquals("rwx------", String.join("", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(tmp.resolve("cache")))));
    try (var files = Files.list(work)) {
      assertEquals(0, files.count(), "nothing written into the VM's work directory");
    }
  }

  @Test
  void withoutACacheTheArchiveIsWrittenIntoTheWorkDirectory() throws IOException {
    Path work = Files.createDirectories(tmp.resolve("work"));
    Path initrd = new InitramfsCache(Optional.empty()).initramfs(AGENT, List.of(), GuestRoot.of(root()), work);
    assertEquals(work.resolve("initrd.cpio"), initrd);
    assertTrue(Files.size(initrd) > 0);
  }

  @Test
  void onlyTheNewestArchivesAreKept() throws IOException {
    Path root = root();
    Path work = Files.createDirectories(tmp.resolve("work"));
    InitramfsCache cache = new InitramfsCache(Optional.of(tmp.resolve("cache")));
    for (int i = 0; i < InitramfsCache.KEEP + 3; i++) {
      Files.writeString(root.resolve("bin/tool"), "version " + i + "\n");
      Path archive = cache.initramfs(AGENT, List.of(), GuestRoot.of(root), work);
      // used minutes apart: files used in the last minute are never pruned
      Files.setLastModifiedTime(archive, java.nio.file.attribute.FileTime.fromMillis(
          System.currentTimeMillis() - (InitramfsCache.KEEP + 3 - i) * 120_000L));
    }
    try (var files = Files.list(tmp.resolve("cache"))) {
      assertEquals(InitramfsCache.KEEP, files.filter(p -> p.toString().endsWith(".cpio")).count());
    }
  }
}
