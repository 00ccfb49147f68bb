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

/** Initramfs archives kept by their inputs: hits, misses on any change, the disabled cache. */
class InitramfsCacheTest {
  @TempDir Path tmp;
  private static final byte[] AGENT = "agent".getBytes(StandardCharsets.US_ASCII);

  /** The tree key as a VM run gets it: from the walk that decides where the root travels. */
  private Path archive(InitramfsCache cache, byte[] agent, Path root, Path work) {
    String treeKey = new RootDiskCache(Optional.empty()).place(GuestRoot.of(root), work).treeKey();
    return cache.initramfs(agent, List.of(), GuestRoot.of(root), treeKey, work);
  }

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
    Path first = archive(cache, AGENT, root, work);
    assertEquals(tmp.resolve("cache"), first.getParent());
    String treeKey = new RootDiskCache(Optional.empty()).place(GuestRoot.of(root), work).treeKey();
    assertEquals(Initramfs.key(AGENT, List.of(), treeKey) + ".cpio", first.getFileName().toString());
    ByteArrayOutputStream direct = new ByteArrayOutputStream();
    Initramfs.write(direct, AGENT, List.of(), GuestRoot.of(root));
    assertArrayEquals(direct.toByteArray(), Files.readAllBytes(first), "the cached archive is the archive");
    assertEquals(first, archive(cache, AGENT, root, work));

    Files.writeString(root.resolve("bin/tool"), "two\n"); // same size, other bytes, likely the same time tick
    Path second = archive(cache, AGENT, root, work);
    assertNotEquals(first, second);
    assertNotEquals(second, archive(cache, "agent2".getBytes(StandardCharsets.US_ASCII), root, work));
    assertEquals("rwx------", String.join("", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(tmp.resolve("cache")))));
    try (var files = Files.list(work)) {
      assertEquals(0, files.count(), "nothing written into the VM's work directory");
    }
  }

  @Test
  void withoutACacheTheArchiveIsWrittenIntoTheWorkDirectory() throws IOException {
    Path work = Files.createDirectories(tmp.resolve("work"));
    Path initrd = archive(new InitramfsCache(Optional.empty()), AGENT, root(), work);
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
      Path archive = archive(cache, AGENT, root, work);
      // used minutes apart: files used in the last minute are never pruned
      Files.setLastModifiedTime(archive, java.nio.file.attribute.FileTime.fromMillis(
          System.currentTimeMillis() - (InitramfsCache.KEEP + 3 - i) * 120_000L));
    }
    try (var files = Files.list(tmp.resolve("cache"))) {
      assertEquals(InitramfsCache.KEEP, files.filter(p -> p.toString().endsWith(".cpio")).count());
    }
  }

  @Test
  void aTreeIsNamedByItsMetadataUnlessAnEntryChangedWithinTheRacyWindow() throws IOException {
    Path root = root();
    GuestRoot g = GuestRoot.of(root);
    long later = System.currentTimeMillis() + RootDiskCache.RACY_MILLIS + 60_000;
    String byMetadata = RootDiskCache.treeKey(g, null, later);
    assertTrue(byMetadata.startsWith("erofs1-tree-"), byMetadata);
    String byContent = RootDiskCache.treeKey(g, null, System.currentTimeMillis());
    assertEquals("content-" + Initramfs.treeDigest(g), byContent, "just written: named by content");
    Files.writeString(root.resolve("bin/tool"), "two\n");
    assertNotEquals(byContent, RootDiskCache.treeKey(g, null, System.currentTimeMillis()));
    assertNotEquals(byMetadata, RootDiskCache.treeKey(g, null, later + 60_000), "the ctime moved");
    Path image = Files.createDirectories(tmp.resolve("image"));
    dev.boxkit.oci.Digest chain = dev.boxkit.oci.Digest.sha256("chain".getBytes(StandardCharsets.UTF_8));
    assertEquals("erofs1-chain-" + chain.hex(),
        RootDiskCache.treeKey(new GuestRoot(image, java.util.Map.of(), Optional.of(chain)), null, later));
  }
}
