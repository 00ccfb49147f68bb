package dev.boxkit.oci.unpack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.DigestMismatchException;
import dev.boxkit.oci.InvalidInputException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RootfsCacheTest {
  @TempDir Path tmp;

  private List<LayerSource> image(String name, String content) {
    return List.of(
        TestLayer.of().file("etc/os-release", "base").writeGzip(tmp, name + "-base"),
        TestLayer.of().file("app/" + name, content).hardlink("app/link", "app/" + name)
            .writeTar(tmp, name + "-app"));
  }

  private Path cacheRoot() {
    return tmp.resolve("cache");
  }

  private static Object inode(Path p) throws IOException {
    return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
  }

  private List<String> leftovers() throws IOException {
    try (Stream<Path> s = Files.list(cacheRoot())) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
    }
  }

  /** Unpacked images may hold setuid-root programs and device nodes: only the owner may reach them. */
  @Test
  void cacheRootAndEntriesAreReachableByTheOwnerOnly() throws IOException {
    RootfsCache cache = RootfsCache.open(cacheRoot());
    CachedRootfs r = cache.get(image("private", "x"));
    assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(cacheRoot())));
    assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(r.rootfs().getParent())));
  }

  @Test
  void chainIdFollowsConfigMd() {
    Digest a = Digest.sha256("a");
    Digest b = Digest.sha256("b");
    Digest c = Digest.sha256("c");
    assertEquals(a, RootfsCache.chainId(List.of(a)));
    Digest ab = Digest.sha256(a.toString() + " " + b.toString());
    assertEquals(ab, RootfsCache.chainId(List.of(a, b)));
    assertEquals(Digest.sha256(ab + " " + c), RootfsCache.chainId(List.of(a, b, c)));
    assertThrows(InvalidInputException.class, () -> RootfsCache.chainId(List.of()));
  }

  @Test
  void secondGetReusesTheTreeWithoutUnpacking() throws IOException {
    RootfsCache cache = RootfsCache.open(cacheRoot());
    List<LayerSource> img = image("one", "hello");
    CachedRootfs first = cache.get(img);
    assertTrue(first.unpacked());
    assertEquals(RootfsCache.chainId(List.of(img.get(0).diffId(), img.get(1).diffId())), first.chainId());
    assertEquals("hello", Files.readString(first.rootfs().resolve("app/one")));
    Object inode = inode(first.rootfs().resolve("app/one"));
    // The blobs are gone: a second unpack would fail, so success proves reuse.
    for (LayerSource l : img) {
      Files.delete(l.blobFile());
    }
    CachedRootfs second = RootfsCache.open(cacheRoot()).get(img);
    assertFalse(second.unpacked());
    assertEquals(first.rootfs(), second.rootfs());
    assertEquals(inode, inode(second.rootfs().resolve("app/one")));
    assertEquals(List.of(), leftovers());
  }

  @Test
  void concurrentGetsInOneJvmUnpackOnce() throws Exception {
    List<LayerSource> img = image("c", "concurrent");
    RootfsCache shared = RootfsCache.open(cacheRoot());
    RootfsCache other = RootfsCache.open(cacheRoot()); // a second instance: file-lock path
    int n = 6;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<CachedRootfs>> results = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        RootfsCache cache = i % 2 == 0 ? shared : other;
        Callable<CachedRootfs> task = () -> {
          start.await();
          return cache.get(img);
        };
        results.add(pool.submit(task));
      }
      start.countDown();
      int unpacked = 0;
      for (Future<CachedRootfs> f : results) {
        CachedRootfs r = f.get(2, TimeUnit.MINUTES);
        unpacked += r.unpacked() ? 1 : 0;
        assertEquals("concurrent", Files.readString(r.rootfs().resolve("app/c")));
      }
      assertEquals(1, unpacked);
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, shared.sizeReport().size());
  }

  @Test
  void concurrentGetsInTwoJvmsUnpackOnce() throws Exception {
    LayerSource l = TestLayer.of().file("big", "x".repeat(4 << 20)).writeTar(tmp, "big");
    List<Process> procs = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      procs.add(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), CacheGetMain.class.getName(),
          cacheRoot().toString(), l.blobFile().toString(), l.diffId().toString())
          .redirectErrorStream(true).start());
    }
    int unpacked = 0;
    for (Process p : procs) {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(2, TimeUnit.MINUTES));
      assertEquals(0, p.exitValue(), out);
      assertTrue(out.contains("unpacked="), out);
      unpacked += out.contains("unpacked=true") ? 1 : 0;
    }
    assertEquals(1, unpacked);
    assertEquals(List.of(), leftovers());
  }

  @Test
  void aFailedUnpackAddsNothing() throws IOException {
    RootfsCache cache = RootfsCache.open(cacheRoot());
    LayerSource good = TestLayer.of().file("a", "a").writeTar(tmp, "a");
    LayerSource bad = new LayerSource(good.blobFile(), null, Digest.sha256("wrong"), dev.boxkit.oci.layer.Compression.NONE);
    assertThrows(DigestMismatchException.class, () -> cache.get(List.of(bad)));
    assertEquals(List.of(), cache.sizeReport());
    assertEquals(List.of(), leftovers());
    assertTrue(cache.get(List.of(good)).unpacked());
  }

  @Test
  void sizeReportCountsHardlinkedFilesOnce() throws IOException {
    RootfsCache cache = RootfsCache.open(cacheRoot());
    CachedRootfs a = cache.get(image("a", "12345"));
    cache.get(image("b", "1234567890"));
    List<CacheEntry> report = cache.sizeReport();
    assertEquals(2, report.size());
    CacheEntry ea = report.stream().filter(e -> e.chainId().equals(a.chainId())).findFirst().orElseThrow();
    assertEquals(a.rootfs(), ea.rootfs());
    assertEquals("base".length() + 5, ea.sizeBytes());
    assertEquals(4 + 10, report.stream().mapToLong(CacheEntry::sizeBytes).sum() - ea.sizeBytes());
  }

  @Test
  void pruneRemovesIdleUnlockedTrees() throws IOException {
    RootfsCache cache = RootfsCache.open(cacheRoot());
    List<LayerSource> imgA = image("a", "a");
    CachedRootfs a = cache.get(imgA);
    CachedRootfs b = cache.get(image("b", "b"));
    Files.createDirectories(cacheRoot().resolve(".tmp-sha256-" + a.chainId().hex() + "-crashed/rootfs"));

    assertEquals(List.of(), cache.prune(Duration.ofDays(1)), "both were just used");
    try (FileChannel ch = FileChannel.open(cacheRoot().resolve("sha256-" + b.chainId().hex() + ".lock"),
        StandardOpenOption.WRITE);
        FileLock held = ch.lock()) {
      assertTrue(held.isValid());
      List<CacheEntry> removed = cache.prune(Duration.ZERO);
      assertEquals(List.of(a.chainId()), removed.stream().map(CacheEntry::chainId).toList());
    }
    assertFalse(Files.exists(a.rootfs()));
    assertTrue(Files.exists(b.rootfs()), "a locked tree is kept");
    assertEquals(List.of(), leftovers(), "stale temporary directory removed");
    assertTrue(cache.get(imgA).unpacked(), "a pruned tree is unpacked again");
  }

  @Test
  void unappliedOwnersSurviveInTheCache() {
    RootfsUnpacker recording = RootfsUnpacker.builder().ownership(OwnershipPolicy.RECORD).build();
    List<LayerSource> img = image("o", "o");
    CachedRootfs first = RootfsCache.open(cacheRoot(), recording).get(img);
    assertEquals(new FileOwner(0, 0), first.ownersNotApplied().get("app/o"));
    CachedRootfs second = RootfsCache.open(cacheRoot(), recording).get(img);
    assertFalse(second.unpacked());
    assertEquals(first.ownersNotApplied(), second.ownersNotApplied());
  }
}
