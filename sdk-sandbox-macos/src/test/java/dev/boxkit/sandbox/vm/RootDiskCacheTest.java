package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.unpack.FileOwner;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which roots get a disk, and how disks are named, kept and found again; no VM is booted. */
class RootDiskCacheTest {
  @TempDir Path tmp;

  @AfterEach
  void clearPolicy() {
    System.clearProperty(RootDiskCache.PROPERTY);
  }

  private Path tree() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root/bin"));
    Files.writeString(root.resolve("tool"), "one\n");
    return root.getParent();
  }

  @Test
  void autoKeepsSmallRootsInTheInitramfs() throws Exception {
    RootDiskCache cache = new RootDiskCache(Optional.of(tmp.resolve("cache")));
    assertEquals(Optional.empty(), cache.disk(GuestRoot.of(tree()), tmp));
    System.setProperty(RootDiskCache.PROPERTY, "initramfs");
    assertEquals(Optional.empty(), cache.disk(GuestRoot.of(tree()), tmp));
  }

  @Test
  void aDirectoryRootIsKeptByItsMetadataAndRewrittenWhenAFileChanges() throws Exception {
    System.setProperty(RootDiskCache.PROPERTY, "disk");
    RootDiskCache cache = new RootDiskCache(Optional.of(tmp.resolve("cache")));
    Path root = tree();
    Path first = cache.disk(GuestRoot.of(root), tmp).orElseThrow();
    assertTrue(first.getFileName().toString().startsWith("erofs1-tree-"), first.toString());
    Object inode = Files.getAttribute(first, "unix:ino");
    assertEquals(first, cache.disk(GuestRoot.of(root), tmp).orElseThrow());
    assertEquals(inode, Files.getAttribute(first, "unix:ino"), "a hit is not rewritten");
    Files.writeString(root.resolve("bin/tool"), "two\n"); // same size, rewritten in place: new ctime
    Path second = cache.disk(GuestRoot.of(root), tmp).orElseThrow();
    assertNotEquals(first, second);
    Path owned = cache.disk(new GuestRoot(root, Map.of("bin/tool", new FileOwner(7, 8)), Optional.empty()), tmp)
        .orElseThrow();
    assertNotEquals(second, owned, "owners that replace the host's are part of the name");
  }

  @Test
  void anImageRootIsFoundByItsChainIdWithoutReadingTheTree() throws Exception {
    System.setProperty(RootDiskCache.PROPERTY, "disk");
    RootDiskCache cache = new RootDiskCache(Optional.of(tmp.resolve("cache")));
    Digest chain = Digest.sha256("chain".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    Path root = tree();
    Path disk = cache.disk(new GuestRoot(root, Map.of(), Optional.of(chain)), tmp).orElseThrow();
    assertEquals("erofs1-chain-" + chain.hex() + ".erofs", disk.getFileName().toString());
    dev.boxkit.oci.io.FileTrees.deleteRecursively(root);
    assertEquals(disk, cache.disk(new GuestRoot(root, Map.of(), Optional.of(chain)), tmp).orElseThrow());
  }

  @Test
  void withoutACacheTheDiskLivesInTheWorkDirectory() throws Exception {
    System.setProperty(RootDiskCache.PROPERTY, "disk");
    Path work = Files.createDirectories(tmp.resolve("work"));
    assertEquals(work.resolve("root.erofs"), new RootDiskCache(Optional.empty()).disk(GuestRoot.of(tree()), work).orElseThrow());
  }

  @Test
  void anUnknownPolicyIsRefusedByName() {
    System.setProperty(RootDiskCache.PROPERTY, "sometimes");
    InvalidSandboxSpecException e = assertThrows(InvalidSandboxSpecException.class, RootDiskCache::policy);
    assertTrue(e.getMessage().contains(RootDiskCache.PROPERTY), e.getMessage());
  }
}
