package dev.boxkit.oci.unpack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.DigestMismatchException;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.layer.Compression;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RootfsUnpackerTest {
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
  private static final FileTime T1 = FileTime.from(Instant.parse("2001-02-03T04:05:06Z"));
  private static final FileTime T2 = FileTime.from(Instant.parse("2011-12-13T14:15:16Z"));

  @TempDir Path tmp;

  private Path target() {
    return tmp.resolve("rootfs");
  }

  private UnpackResult unpack(LayerSource... layers) {
    return RootfsUnpacker.defaults().unpack(List.of(layers), target());
  }

  private Path at(String rel) {
    return target().resolve(rel);
  }

  private static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW) & 07777;
  }

  private static String ls(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return String.join(",", s.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  private static TarArchiveEntry entry(String name, byte type, int mode, int uid, int gid, FileTime mtime) {
    TarArchiveEntry e = new TarArchiveEntry(name, type, true);
    e.setMode(mode);
    e.setUserId(uid);
    e.setGroupId(gid);
    e.setLastModifiedTime(mtime);
    return e;
  }

  private static boolean isRoot() {
    return RootfsUnpacker.ProcessIdentity.isEffectiveRoot();
  }

  @Test
  void unpacksContentModesAndMtimesOfEveryKind() throws IOException {
    byte[] su = "su binary".getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry link = entry("bin", TarConstants.LF_SYMLINK, 0777, 0, 0, T2);
    link.setLinkName("usr/bin");
    LayerSource l = TestLayer.of()
        .entry(entry("./", TarConstants.LF_DIR, 0755, 0, 0, T1), null)
        .entry(entry("usr/", TarConstants.LF_DIR, 0755, 0, 0, T1), null)
        .entry(entry("usr/bin/", TarConstants.LF_DIR, 0555, 0, 0, T2), null)
        .entry(entry("usr/bin/su", TarConstants.LF_NORMAL, 04755, 0, 0, T1), su)
        .entry(entry("tmp/", TarConstants.LF_DIR, 01777, 0, 0, T1), null)
        .entry(entry("setgid/", TarConstants.LF_DIR, 02775, 0, 0, T1), null)
        .entry(entry("secret", TarConstants.LF_NORMAL, 0, 0, 0, T1), new byte[] {1, 2, 3})
        .entry(link, null)
        .file("implicit/parent/file", "made")
        .writeTar(tmp, "l");
    UnpackResult r = unpack(l);

    assertEquals(target().toAbsolutePath(), r.root());
    assertArrayEquals(su, Files.readAllBytes(at("usr/bin/su")));
    assertEquals(04755, mode(at("usr/bin/su")));
    assertEquals(0555, mode(at("usr/bin")), "read-only dir got its children first, then its mode");
    assertEquals(01777, mode(at("tmp")));
    assertEquals(02775, mode(at("setgid")));
    assertEquals(0, mode(at("secret")));
    assertEquals(0755, mode(target()));
    assertEquals(0755, mode(at("implicit/parent")), "missing parents are created 0755");
    assertEquals("usr/bin", Files.readSymbolicLink(at("bin")).toString());
    assertEquals(T2, Files.getLastModifiedTime(at("usr/bin"), NOFOLLOW), "dir mtime set after its children");
    assertEquals(T1, Files.getLastModifiedTime(at("usr"), NOFOLLOW));
    assertEquals(T1, Files.getLastModifiedTime(target(), NOFOLLOW));
    assertEquals(T1, Files.getLastModifiedTime(at("usr/bin/su"), NOFOLLOW));
    assertEquals(T2, Files.getLastModifiedTime(at("bin"), NOFOLLOW), "symlink's own mtime");
    assertEquals(su.length + 3 + 4, r.fileBytes());
    assertEquals(9, r.entryCount());
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(List.of("l.tar", "rootfs"), s.map(p -> p.getFileName().toString()).sorted().toList(),
          "no temporary directory left next to the target");
    }
  }

  @Test
  void ownershipIsAppliedWhenRoot() throws IOException {
    ExternalTools.requireHost(isRoot(), "applying ownership needs root (or root in a user namespace)");
    TarArchiveEntry shadow = entry("etc/shadow", TarConstants.LF_NORMAL, 04640, 0, 42, T1);
    TarArchiveEntry home = entry("home/u/", TarConstants.LF_DIR, 0700, 1000, 1001, T1);
    TarArchiveEntry link = entry("home/u/l", TarConstants.LF_SYMLINK, 0777, 1000, 1001, T1);
    link.setLinkName("/etc/shadow");
    UnpackResult r = unpack(TestLayer.of().entry(shadow, new byte[] {1}).entry(home, null)
        .entry(link, null).writeGzip(tmp, "l"));
    assertEquals(0, Files.getAttribute(at("etc/shadow"), "unix:uid", NOFOLLOW));
    assertEquals(42, Files.getAttribute(at("etc/shadow"), "unix:gid", NOFOLLOW));
    assertEquals(04640, mode(at("etc/shadow")), "setuid kept: chown happens before chmod");
    assertEquals(1000, Files.getAttribute(at("home/u"), "unix:uid", NOFOLLOW));
    assertEquals(1001, Files.getAttribute(at("home/u"), "unix:gid", NOFOLLOW));
    assertEquals(1000, Files.getAttribute(at("home/u/l"), "unix:uid", NOFOLLOW), "lchown, not chown");
    assertEquals(0, Files.getAttribute(at("etc/shadow"), "unix:uid", NOFOLLOW));
    assertTrue(r.ownersNotApplied().isEmpty(), r.ownersNotApplied().toString());
  }

  @Test
  void ownershipIsRecordedWhenNotApplied() throws IOException {
    TarArchiveEntry shadow = entry("etc/shadow", TarConstants.LF_NORMAL, 0640, 0, 42, T1);
    TarArchiveEntry home = entry("home/u/", TarConstants.LF_DIR, 0700, 1000, 1001, T1);
    LayerSource l1 = TestLayer.of().entry(shadow, new byte[] {1}).entry(home, null)
        .entry(entry("gone", TarConstants.LF_NORMAL, 0644, 7, 7, T1), new byte[0]).writeTar(tmp, "l1");
    LayerSource l2 = TestLayer.of().file(".wh.gone", "").writeTar(tmp, "l2");
    UnpackResult r = RootfsUnpacker.builder().ownership(OwnershipPolicy.RECORD).build()
        .unpack(List.of(l1, l2), target());
    assertEquals(new FileOwner(0, 42), r.ownersNotApplied().get("etc/shadow"));
    assertEquals(new FileOwner(1000, 1001), r.ownersNotApplied().get("home/u"));
    assertFalse(r.ownersNotApplied().containsKey("gone"), "whited-out paths are forgotten");
    long me = ((Number) Files.getAttribute(tmp, "unix:uid")).longValue();
    assertEquals(me, ((Number) Files.getAttribute(at("home/u"), "unix:uid", NOFOLLOW)).longValue());
  }

  @Test
  void whiteoutRemovesFromLowerLayersOnly() throws IOException {
    LayerSource l1 = TestLayer.of().file("a/x", "x").file("a/y", "y").file("f", "lower").writeTar(tmp, "l1");
    // The same layer writes f before and g after their whiteouts: both must survive.
    LayerSource l2 = TestLayer.of().file("a/.wh.x", "").file("f", "upper").file(".wh.f", "")
        .file(".wh.g", "").file("g", "g").writeTar(tmp, "l2");
    unpack(l1, l2);
    assertEquals("y", ls(at("a")));
    assertEquals("upper", Files.readString(at("f")));
    assertEquals("g", Files.readString(at("g")));
  }

  @Test
  void whiteoutOfAMissingPathIsANoOp() throws IOException {
    unpack(TestLayer.of().file("a", "a").writeTar(tmp, "l1"),
        TestLayer.of().file("nope/.wh.x", "").file(".wh.missing", "").writeTar(tmp, "l2"));
    assertEquals("a", ls(target()));
  }

  @Test
  void opaqueWhiteoutHidesLowerChildrenButNotThisLayers() throws IOException {
    LayerSource l1 = TestLayer.of().file("d/old", "o").file("d/sub/old2", "o").file("e/old", "o")
        .writeTar(tmp, "l1");
    // Marker after this layer's children in d, before them in e.
    LayerSource l2 = TestLayer.of().dir("d").file("d/new", "n").dir("d/sub").file("d/sub/new2", "n")
        .file("d/.wh..wh..opq", "")
        .file("e/.wh..wh..opq", "").file("e/new", "n")
        .writeTar(tmp, "l2");
    unpack(l1, l2);
    assertEquals("new,sub", ls(at("d")));
    assertEquals("new2", ls(at("d/sub")), "a merged lower subdirectory is hidden too");
    assertEquals("new", ls(at("e")));
  }

  @Test
  void directoryRemovedThenReAddedInOneLayerSurvives() throws IOException {
    LayerSource l1 = TestLayer.of().file("d/old", "o").file("c/old", "o").writeTar(tmp, "l1");
    LayerSource l2 = TestLayer.of()
        .file(".wh.d", "").dir("d", 0750).file("d/new", "n")     // whiteout first
        .dir("c", 0750).file("c/new", "n").file(".wh.c", "")     // whiteout last
        .writeTar(tmp, "l2");
    unpack(l1, l2);
    assertEquals("new", ls(at("d")));
    assertEquals("new", ls(at("c")));
    assertEquals(0750, mode(at("d")));
    assertEquals(0750, mode(at("c")));
  }

  @Test
  void directoryAndFileReplaceEachOther() throws IOException {
    LayerSource l1 = TestLayer.of().file("d/x", "x").file("f", "f").symlink("s", "d").writeTar(tmp, "l1");
    LayerSource l2 = TestLayer.of().file("d", "now a file").dir("f").file("f/y", "y").dir("s")
        .writeTar(tmp, "l2");
    unpack(l1, l2);
    assertEquals("now a file", Files.readString(at("d")));
    assertEquals("y", ls(at("f")));
    assertTrue(Files.isDirectory(at("s"), NOFOLLOW));
  }

  @Test
  void laterDuplicateEntryWins() throws IOException {
    unpack(TestLayer.of().file("f", "one").file("f", "two", 0600).writeTar(tmp, "l"));
    assertEquals("two", Files.readString(at("f")));
    assertEquals(0600, mode(at("f")));
  }

  @Test
  void hardlinksResolveWithinAndAcrossLayers() throws IOException {
    LayerSource l1 = TestLayer.of().file("bin/busybox", "bb", 0755).hardlink("bin/ls", "bin/busybox")
        .writeTar(tmp, "l1");
    LayerSource l2 = TestLayer.of().hardlink("bin/sh", "/bin/busybox").hardlink("sbin/init", "./bin/ls")
        .writeGzip(tmp, "l2");
    unpack(l1, l2);
    Object key = Files.readAttributes(at("bin/busybox"), BasicFileAttributes.class).fileKey();
    for (String p : List.of("bin/ls", "bin/sh", "sbin/init")) {
      assertEquals(key, Files.readAttributes(at(p), BasicFileAttributes.class, NOFOLLOW).fileKey(), p);
    }
    assertEquals(4, Files.getAttribute(at("bin/busybox"), "unix:nlink"));
  }

  @Test
  void replacingOneHardlinkLeavesTheOtherNamesAlone() throws IOException {
    LayerSource l1 = TestLayer.of().file("bin/busybox", "bb").hardlink("bin/ls", "bin/busybox")
        .writeTar(tmp, "l1");
    LayerSource l2 = TestLayer.of().file("bin/ls", "real ls").writeTar(tmp, "l2");
    unpack(l1, l2);
    assertEquals("bb", Files.readString(at("bin/busybox")));
    assertEquals("real ls", Files.readString(at("bin/ls")));
    assertEquals(1, Files.getAttribute(at("bin/busybox"), "unix:nlink"));
  }

  @Test
  void fifosAreCreatedWhenPermittedAndSkippedOtherwise() throws IOException {
    LayerSource l = TestLayer.of().fifo("run/fifo").file("after", "a").writeTar(tmp, "l");
    UnpackResult skipped = RootfsUnpacker.builder().specialFiles(false).build().unpack(List.of(l), target());
    assertFalse(Files.exists(at("run/fifo"), NOFOLLOW));
    assertEquals(List.of(new SkippedEntry(l.displayDigest(), "run/fifo",
        "device nodes and fifos are created only when running as root")), skipped.skipped());
    assertTrue(Files.exists(at("after")));

    ExternalTools.requireHost(isRoot(), "creating fifos by default needs root");
    Path other = tmp.resolve("rootfs2");
    UnpackResult made = RootfsUnpacker.defaults().unpack(List.of(l), other);
    assertTrue(made.skipped().isEmpty(), made.skipped().toString());
    int m = (Integer) Files.getAttribute(other.resolve("run/fifo"), "unix:mode", NOFOLLOW);
    assertEquals(0010000, m & 0170000, "S_IFIFO");
    assertEquals(0640, m & 07777);
  }

  @Test
  void compressionIsDetectedByMagicWhenNotGiven() throws IOException {
    LayerSource gz = TestLayer.of().file("a", "gz").writeGzip(tmp, "gz");
    LayerSource tar = TestLayer.of().file("b", "tar").writeTar(tmp, "tar");
    LayerSource zst = TestLayer.of().file("c", "zst").writeZstd(tmp, "zst");
    unpack(new LayerSource(gz.blobFile(), gz.digest(), gz.diffId(), null),
        new LayerSource(tar.blobFile(), null, tar.diffId(), null),
        new LayerSource(zst.blobFile(), zst.digest(), zst.diffId(), null));
    assertEquals("a,b,c", ls(target()));
  }

  @Test
  void zstdLayersAreUnpackedAndVerified() throws IOException {
    LayerSource base = TestLayer.of().file("a", "a").writeGzip(tmp, "base");
    LayerSource top = TestLayer.of().file("b", "from zstd").writeZstd(tmp, "top");
    unpack(base, top);
    assertEquals("a,b", ls(target()));
    assertEquals("from zstd", Files.readString(target().resolve("b")));

    Digest wrong = Digest.sha256("other");
    DigestMismatchException e = assertThrows(DigestMismatchException.class, () -> RootfsUnpacker
        .defaults().unpack(List.of(new LayerSource(top.blobFile(), top.digest(), wrong, Compression.ZSTD)),
            tmp.resolve("x")));
    assertEquals(wrong, e.expected());
    assertFalse(Files.exists(tmp.resolve("x"), NOFOLLOW));
  }

  @Test
  void truncatedZstdIsAnUnpackExceptionNamingTheLayer() throws IOException {
    Path f = tmp.resolve("z.tar.zst");
    byte[] zstdMagic = {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 0, 0, 0, 0};
    Files.write(f, zstdMagic);
    Digest d = Digest.sha256(zstdMagic);
    LayerSource ok = TestLayer.of().file("a", "a").writeTar(tmp, "ok");
    for (Compression c : java.util.Arrays.asList(Compression.ZSTD, null)) {
      UnpackException e = assertThrows(UnpackException.class,
          () -> unpack(ok, new LayerSource(f, d, Digest.sha256("other"), c)));
      assertEquals(d, e.layer());
      assertTrue(e.getMessage().contains(d.toString()), e.getMessage());
      assertFalse(Files.exists(target(), NOFOLLOW));
    }
  }

  @Test
  void diffIdMismatchAbortsAndLeavesNoTarget() throws IOException {
    LayerSource good = TestLayer.of().file("a", "a").writeTar(tmp, "good");
    LayerSource l = TestLayer.of().file("b", "b").writeGzip(tmp, "l");
    Digest wrong = Digest.sha256("not this");
    DigestMismatchException e = assertThrows(DigestMismatchException.class,
        () -> unpack(good, new LayerSource(l.blobFile(), l.digest(), wrong, Compression.GZIP)));
    assertEquals(wrong, e.expected());
    assertEquals(l.diffId().toString(), e.actual());
    assertTrue(e.getMessage().contains(l.digest().toString()), e.getMessage());
    assertFalse(Files.exists(target(), NOFOLLOW));
    assertEquals("good.tar,l.tar.gz", ls(tmp), "no partial tree or temporary directory left");
  }

  @Test
  void blobDigestMismatchAbortsAndLeavesNoTarget() throws IOException {
    LayerSource l = TestLayer.of().file("b", "b").writeGzip(tmp, "l");
    Digest wrong = Digest.sha256("not this");
    DigestMismatchException e = assertThrows(DigestMismatchException.class,
        () -> unpack(new LayerSource(l.blobFile(), wrong, l.diffId(), Compression.GZIP)));
    assertEquals(l.digest().toString(), e.actual());
    assertFalse(Files.exists(target(), NOFOLLOW));

    LayerSource tar = TestLayer.of().file("c", "c").writeTar(tmp, "t");
    DigestMismatchException plain = assertThrows(DigestMismatchException.class,
        () -> unpack(new LayerSource(tar.blobFile(), wrong, tar.diffId(), Compression.NONE)));
    assertEquals(tar.diffId().toString(), plain.actual(), "uncompressed: blob digest == diffID");
    assertFalse(Files.exists(target(), NOFOLLOW));
  }

  @Test
  void digestsCoverBytesAfterTheEndOfArchiveMarker() throws IOException {
    byte[] junk = "appended after the two zero blocks".getBytes(StandardCharsets.UTF_8);
    TestLayer t = TestLayer.of().file("a", "a").trailer(junk);
    byte[] withTrailer = t.tarBytes();
    byte[] withoutTrailer = java.util.Arrays.copyOf(withTrailer, withTrailer.length - junk.length);
    Path f = tmp.resolve("l.tar");
    Files.write(f, withTrailer);
    // The tar reader stops at the marker; a digest of what it read would equal this one.
    Digest tarOnly = Digest.sha256(withoutTrailer);
    assertThrows(DigestMismatchException.class,
        () -> unpack(new LayerSource(f, null, tarOnly, Compression.NONE)));
    unpack(new LayerSource(f, null, Digest.sha256(withTrailer), Compression.NONE));
    assertEquals("a", ls(target()));

    byte[] gz = TestLayer.gzip(withTrailer);
    Path g = tmp.resolve("l.tar.gz");
    Files.write(g, gz);
    assertThrows(DigestMismatchException.class, () -> RootfsUnpacker.defaults().unpack(
        List.of(new LayerSource(g, Digest.sha256(gz), tarOnly, Compression.GZIP)), tmp.resolve("x")));
    assertFalse(Files.exists(tmp.resolve("x")));
  }

  @Test
  void corruptGzipIsAnUnpackExceptionNamingTheLayer() throws IOException {
    LayerSource l = TestLayer.of().file("a", "a").writeGzip(tmp, "l");
    byte[] b = Files.readAllBytes(l.blobFile());
    b[b.length / 2] ^= 0x55;
    Files.write(l.blobFile(), b);
    UnpackException e = assertThrows(UnpackException.class, () -> unpack(l));
    assertEquals(l.digest(), e.layer());
    assertFalse(Files.exists(target(), NOFOLLOW));
  }

  @Test
  void existingTargetIsRefusedAndUntouched() throws IOException {
    Files.createDirectories(at("keep"));
    LayerSource l = TestLayer.of().file("a", "a").writeTar(tmp, "l");
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> unpack(l));
    assertEquals("target", e.field());
    assertEquals("keep", ls(target()));
  }

  @Test
  void aLinkInTheTargetPathIsNeverFollowed() throws IOException {
    // As a sandbox with a writable bind of "shared" could have planted it.
    Path shared = Files.createDirectories(tmp.resolve("shared"));
    Path victim = Files.createDirectories(tmp.resolve("victim"));
    Files.createSymbolicLink(shared.resolve("stage"), victim);
    LayerSource l = TestLayer.of().file("a", "a").writeTar(tmp, "l");
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> RootfsUnpacker.defaults().unpack(List.of(l), shared.resolve("stage/rootfs")));
    assertEquals("target", e.field());
    assertTrue(e.getMessage().contains(shared.resolve("stage") + " is a symbolic link"), e.getMessage());
    assertEquals("", ls(victim));
  }

  @Test
  void noLayersGiveAnEmptyDirectory() throws IOException {
    RootfsUnpacker.defaults().unpack(List.of(), target());
    assertEquals("", ls(target()));
  }
}
