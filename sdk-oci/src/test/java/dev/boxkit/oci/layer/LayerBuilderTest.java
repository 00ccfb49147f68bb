package dev.boxkit.oci.layer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.OciException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerBuilderTest {
  @TempDir Path tmp;

  private static LayerBuilder builder() {
    return new LayerBuilder(Map.of());
  }

  private static Map<String, TarEntryInfo> byName(LayerListing listing) {
    return listing.entries().stream().collect(Collectors.toMap(TarEntryInfo::name, Function.identity(),
        (a, b) -> {
          throw new AssertionError("duplicate entry " + a.name());
        }));
  }

  @Test
  void writesEveryEntryKindWithSynthesisedParentsInSortedOrder() throws IOException {
    LayerBlob blob = builder()
        .addFile("/etc/app/conf", "x=1\n".getBytes(UTF_8))
        .addFile("/usr/bin/tool", "#!/bin/sh\n".getBytes(UTF_8),
            EntryAttributes.DEFAULTS.withMode(FileMode.of(0750)).withOwner(1000, 1001)
                .withOwnerNames("app", "staff").withMtime(Instant.ofEpochSecond(1_700_000_000)))
        .addSymlink("/usr/bin/alias", "../../etc/app/conf")
        .addHardlink("/usr/bin/a-link", "/usr/bin/tool")
        .addDirectory("/var/empty", EntryAttributes.DEFAULTS.withMode(FileMode.of(01777)))
        .addWhiteout("/etc/old")
        .addOpaqueWhiteout("/opt")
        .build(tmp.resolve("layer.tar.gz"));

    LayerListing listing = LayerReader.read(blob.file());
    assertEquals(List.of("etc/", "etc/.wh.old", "etc/app/", "etc/app/conf", "opt/", "opt/.wh..wh..opq",
        "usr/", "usr/bin/", "usr/bin/alias", "usr/bin/tool", "usr/bin/a-link", "var/", "var/empty/"),
        listing.entries().stream().map(TarEntryInfo::name).toList(),
        "sorted, parents first, a hardlink right after its later-sorting target");
    Map<String, TarEntryInfo> e = byName(listing);

    TarEntryInfo tool = e.get("usr/bin/tool");
    assertEquals(TarEntryInfo.Type.FILE, tool.type());
    assertEquals(0750, tool.mode());
    assertEquals(1000, tool.uid());
    assertEquals(1001, tool.gid());
    assertEquals("app", tool.uname());
    assertEquals("staff", tool.gname());
    assertEquals(Instant.ofEpochSecond(1_700_000_000), tool.mtime());
    assertEquals(Digest.sha256("#!/bin/sh\n"), tool.contentDigest());

    TarEntryInfo link = e.get("usr/bin/a-link");
    assertEquals(TarEntryInfo.Type.HARDLINK, link.type());
    assertEquals("usr/bin/tool", link.linkName());

    TarEntryInfo alias = e.get("usr/bin/alias");
    assertEquals(TarEntryInfo.Type.SYMLINK, alias.type());
    assertEquals("../../etc/app/conf", alias.linkName());
    assertEquals(0777, alias.mode());
    assertNull(alias.contentDigest());
    assertEquals(0, alias.sizeBytes());

    TarEntryInfo wh = e.get("etc/.wh.old");
    assertEquals(TarEntryInfo.Type.FILE, wh.type());
    assertEquals(0, wh.sizeBytes());
    assertTrue(wh.isWhiteout());
    assertTrue(e.get("opt/.wh..wh..opq").isOpaqueWhiteout());
    assertFalse(e.get("opt/.wh..wh..opq").isWhiteout());

    assertEquals(01777, e.get("var/empty/").mode());
    for (String parent : List.of("etc/", "etc/app/", "usr/", "usr/bin/", "opt/", "var/")) {
      TarEntryInfo d = e.get(parent);
      assertEquals(TarEntryInfo.Type.DIRECTORY, d.type(), parent);
      assertEquals(0755, d.mode(), parent);
      assertEquals(0, d.uid(), parent);
      assertEquals("", d.uname(), parent);
      assertEquals(Instant.EPOCH, d.mtime(), parent);
    }
    assertEquals(0644, e.get("etc/app/conf").mode());
  }

  @Test
  void digestsMatchTheFileAndTheGunzippedTar() throws IOException {
    LayerBlob blob = builder().addFile("/hello", "hello\n".getBytes(UTF_8)).build(tmp.resolve("l.tgz"));
    byte[] file = Files.readAllBytes(blob.file());
    assertEquals(Digest.sha256(file), blob.digest());
    assertEquals(file.length, blob.sizeBytes());
    byte[] tar;
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(file))) {
      tar = in.readAllBytes();
    }
    assertEquals(Digest.sha256(tar), blob.diffId());
    assertEquals(tar.length, blob.uncompressedSizeBytes());
    assertEquals(MediaType.OCI_LAYER_TAR_GZIP, blob.mediaType());

    LayerListing listing = LayerReader.read(blob.file());
    assertEquals(blob.digest(), listing.digest());
    assertEquals(blob.diffId(), listing.diffId());
    assertEquals(blob.sizeBytes(), listing.sizeBytes());
    assertEquals(blob.uncompressedSizeBytes(), listing.uncompressedSizeBytes());
    assertEquals(Compression.GZIP, listing.compression());
  }

  @Test
  void gzipHeaderIsFixed() throws IOException {
    LayerBlob blob = builder().addFile("/a", new byte[] {1}).build(tmp.resolve("l.tgz"));
    byte[] head = Arrays.copyOf(Files.readAllBytes(blob.file()), 10);
    // magic, deflate, no flags (so no name/comment), mtime 0, XFL 0 at level 6, OS 255 (unknown)
    assertArrayEquals(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff}, head);
  }

  @Test
  void uncompressedLayerHasDigestEqualToDiffId() throws IOException {
    LayerBlob blob = builder().compression(Compression.NONE).addFile("/a", new byte[] {1})
        .build(tmp.resolve("l.tar"));
    assertEquals(blob.digest(), blob.diffId());
    assertEquals(blob.sizeBytes(), blob.uncompressedSizeBytes());
    assertEquals(MediaType.OCI_LAYER_TAR, blob.mediaType());
    assertEquals(Digest.sha256(Files.readAllBytes(blob.file())), blob.digest());
    assertEquals(Compression.NONE, LayerReader.read(blob.file()).compression());
  }

  @Test
  void compressionLevelChangesTheDigestButNotTheDiffId() {
    byte[] data = "abc".repeat(10_000).getBytes(UTF_8);
    LayerDigests fast = builder().compressionLevel(1).addFile("/a", data).writeTo(OutputStream.nullOutputStream());
    LayerDigests best = builder().compressionLevel(9).addFile("/a", data).writeTo(OutputStream.nullOutputStream());
    assertEquals(fast.diffId(), best.diffId());
    assertNotEquals(fast.digest(), best.digest());
    assertThrows(InvalidInputException.class, () -> builder().compressionLevel(10));
  }

  @Test
  void duplicatePathsAreRejectedNamingThePath() {
    LayerBuilder b = builder().addFile("/a/b", new byte[0]);
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> b.addSymlink("/a/./b", "x"));
    assertEquals("/a/b", e.value());
    assertTrue(e.getMessage().contains("added twice"), e.getMessage());
    // Identical directories collapse; different ones do not.
    builder().addDirectory("/d").addDirectory("/d/");
    assertThrows(InvalidInputException.class, () -> builder().addDirectory("/d")
        .addDirectory("/d", EntryAttributes.DEFAULTS.withOwner(1, 1)));
  }

  @Test
  void replaceOverridesEarlierAndTreeEntries() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("tree"));
    Files.writeString(dir.resolve("f"), "from host");
    ImagePath f = ImagePath.parse("/app/f");
    LayerBuilder b = builder().addTree(dir, "/app")
        .replace(LayerEntry.RegularFile.ofBytes(f, "replaced".getBytes(UTF_8), EntryAttributes.DEFAULTS));
    LayerListing l = LayerReader.read(b.build(tmp.resolve("l.tgz")).file());
    assertEquals(Digest.sha256("replaced"), byName(l).get("app/f").contentDigest());

    LayerBuilder clash = builder().addTree(dir, "/app").addFile("/app/f", new byte[0]);
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> clash.build(tmp.resolve("x")));
    assertEquals("/app/f", e.value());
    assertFalse(Files.exists(tmp.resolve("x")));
  }

  @Test
  void conflictingEntriesAreRejected() {
    // A whiteout and the path it hides in one layer.
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> builder().addWhiteout("/a/b").addFile("/a/b", new byte[0]).entries());
    assertEquals("/a/b", e.value());
    // ... also when the hidden path only appears as a parent of another entry.
    e = assertThrows(InvalidInputException.class,
        () -> builder().addWhiteout("/a/b").addFile("/a/b/c", new byte[0]).entries());
    assertEquals("/a/b", e.value());
    // A file under a symlink.
    e = assertThrows(InvalidInputException.class,
        () -> builder().addSymlink("/a", "/b").addFile("/a/x", new byte[0]).entries());
    assertEquals("/a/x", e.value());
    // A hardlink to a directory of the same layer.
    e = assertThrows(InvalidInputException.class,
        () -> builder().addDirectory("/d").addHardlink("/l", "/d").entries());
    assertEquals("/d", e.value());
    // Whiteout names only through the whiteout methods.
    e = assertThrows(InvalidInputException.class, () -> builder().addFile("/a/.wh.b", new byte[0]));
    assertEquals("/a/.wh.b", e.value());
    assertThrows(InvalidInputException.class, () -> builder().addWhiteout("/"));
    assertThrows(InvalidInputException.class, () -> builder().addDirectory("/"));
    assertThrows(InvalidInputException.class, () -> builder().addSymlink("/s", ""));
    assertThrows(InvalidInputException.class, () -> builder().addFile("/../x", new byte[0]));
    // An opaque whiteout plus new content below it is fine (directory replaced in one layer).
    assertEquals(3, builder().addOpaqueWhiteout("/a").addFile("/a/new", new byte[0]).entries().size());
  }

  @Test
  void missingSourceFailsNamingItAndLeavesNoOutput() throws IOException {
    Path src = Files.writeString(tmp.resolve("src.txt"), "data");
    Path out = Files.createDirectories(tmp.resolve("out"));
    Path existing = Files.writeString(out.resolve("layer.tgz"), "previous");
    LayerBuilder b = builder().addFile("/a", new byte[10]).addFile(src, "/src.txt");
    Files.delete(src);
    LayerSourceException e = assertThrows(LayerSourceException.class, () -> b.build(existing));
    assertEquals(src.toString(), e.source());
    assertTrue(e.getMessage().contains(src.toString()), e.getMessage());
    assertEquals("previous", Files.readString(existing), "the existing output is untouched");
    assertTrue(Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.getName().equals("boxkit-layer-compress") && t.isAlive()),
        "the compression thread ends with the failed build");
    try (Stream<Path> s = Files.list(out)) {
      assertEquals(List.of(existing), s.toList(), "no temporary file is left");
    }
    // Missing at add time: rejected at once.
    e = assertThrows(LayerSourceException.class, () -> builder().addFile(src, "/x"));
    assertEquals(src.toString(), e.source());
    e = assertThrows(LayerSourceException.class, () -> builder().addTree(tmp.resolve("nope"), "/x"));
    assertEquals(tmp.resolve("nope").toString(), e.source());
  }

  @Test
  void streamOfTheWrongSizeFailsNamingTheEntry() throws IOException {
    Path out = Files.createDirectories(tmp.resolve("out"));
    LayerSourceException shorter = assertThrows(LayerSourceException.class, () -> builder()
        .addFile("/short", 10, () -> new ByteArrayInputStream(new byte[5])).buildInto(out));
    assertTrue(shorter.source().contains("/short"), shorter.source());
    assertThrows(LayerSourceException.class, () -> builder()
        .addFile("/long", 1, () -> new ByteArrayInputStream(new byte[2])).buildInto(out));
    LayerSourceException failing = assertThrows(LayerSourceException.class, () -> builder()
        .addFile("/io", 1, () -> {
          throw new IOException("boom");
        }).buildInto(out));
    assertTrue(failing.getMessage().contains("boom"));
    try (Stream<Path> s = Files.list(out)) {
      assertEquals(0, s.count());
    }
  }

  @Test
  void buildIntoNamesTheBlobByDigestAndKeepsAnExistingOne() {
    LayerBuilder b = builder().addFile("/a", new byte[] {1, 2, 3});
    LayerBlob first = b.buildInto(tmp);
    assertEquals(tmp.resolve(first.digest().hex()), first.file());
    LayerBlob second = b.buildInto(tmp);
    assertEquals(first, second);
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(1, s.count());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void sourceDateEpochFromEnvironmentOrOptionSetsDefaultMtimes() {
    Instant t = Instant.ofEpochSecond(1_234_567_890);
    LayerBuilder fromEnv = new LayerBuilder(Map.of("SOURCE_DATE_EPOCH", "1234567890"))
        .addFile("/a/b", new byte[0]).addFile("/own", new byte[0],
            EntryAttributes.DEFAULTS.withMtime(Instant.ofEpochSecond(5)));
    Map<String, TarEntryInfo> e = byName(read(fromEnv));
    assertEquals(t, e.get("a/").mtime());
    assertEquals(t, e.get("a/b").mtime());
    assertEquals(Instant.ofEpochSecond(5), e.get("own").mtime(), "per-entry mtime wins");

    LayerBuilder option = new LayerBuilder(Map.of("SOURCE_DATE_EPOCH", "1"))
        .sourceDateEpoch(Instant.ofEpochSecond(77, 999)).addFile("/a", new byte[0]);
    assertEquals(Instant.ofEpochSecond(77), byName(read(option)).get("a").mtime());

    assertEquals(Instant.EPOCH, byName(read(builder().addFile("/a", new byte[0]))).get("a").mtime());

    InvalidInputException bad = assertThrows(InvalidInputException.class,
        () -> new LayerBuilder(Map.of("SOURCE_DATE_EPOCH", "yesterday")).addFile("/a", new byte[0])
            .writeTo(OutputStream.nullOutputStream()));
    assertEquals("SOURCE_DATE_EPOCH", bad.field());
  }

  @Test
  void progressListenerSeesEveryEntry() {
    List<long[]> calls = new ArrayList<>();
    builder().addFile("/a/b", new byte[1000]).addFile("/c", new byte[1])
        .progressListener((n, total, bytes) -> calls.add(new long[] {n, total, bytes}))
        .writeTo(OutputStream.nullOutputStream());
    assertEquals(3, calls.size());
    assertEquals(3, calls.get(2)[0]);
    assertEquals(3, calls.get(2)[1]);
    assertTrue(calls.get(2)[2] >= 1001 && calls.get(1)[2] > calls.get(0)[2]);
  }

  @Test
  void uidsAboveTheOctalLimitAndLongNonAsciiOwnerNamesRoundTrip() {
    EntryAttributes a = EntryAttributes.DEFAULTS.withOwner(4_000_000_000L, 2_097_152L)
        .withOwnerNames("ü".repeat(40), "g".repeat(33));
    TarEntryInfo e = byName(read(builder().addFile("/a", new byte[0], a))).get("a");
    assertEquals(4_000_000_000L, e.uid());
    assertEquals(2_097_152L, e.gid());
    assertEquals("ü".repeat(40), e.uname());
    assertEquals("g".repeat(33), e.gname());
  }

  @Test
  void fileLargerThan8GiBGetsAPaxSizeHeader() throws IOException {
    long size = 8L * 1024 * 1024 * 1024 + 1;
    // Capture the headers, then abort: no 8 GiB is ever written or held.
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    OutputStream capture = new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        head.write(b, off, len);
        if (head.size() > 64 * 1024) {
          throw new IOException("enough");
        }
      }
    };
    LayerBuilder big = builder().compression(Compression.NONE).addFile("/big", size, ZeroStream::new);
    OciException e = assertThrows(OciException.class, () -> big.writeTo(capture));
    assertTrue(e.getMessage().contains("enough"), e.getMessage());
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(head.toByteArray()))) {
      TarArchiveEntry entry = in.getNextEntry();
      assertEquals("big", entry.getName());
      assertEquals(size, entry.getSize());
    }
    String paxBody = new String(head.toByteArray(), 512, 19, UTF_8);
    assertEquals("19 size=8589934593\n", paxBody);
    // The pax header itself: fixed name prefix, owner 0:0 without names, the layer's mtime.
    TarArchiveEntry pax = new TarArchiveEntry(Arrays.copyOf(head.toByteArray(), 512));
    assertEquals('x', pax.getLinkFlag());
    assertEquals("PaxHeaders/big", pax.getName());
    assertEquals("", pax.getUserName());
    assertEquals(0, pax.getLongUserId());
    assertEquals(Instant.EPOCH, pax.getLastModifiedTime().toInstant());
  }

  @Test
  void failingOutputSurfacesFromTheCompressionThread() {
    byte[] noise = new byte[4 * 1024 * 1024];
    new Random(1).nextBytes(noise);
    OutputStream failing = new OutputStream() {
      private long seen;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        seen += len;
        if (seen > 1024 * 1024) {
          throw new IOException("disk full");
        }
      }
    };
    OciException e = assertThrows(OciException.class,
        () -> builder().addFile("/noise", noise).addFile("/z", noise).writeTo(failing));
    assertTrue(e.getMessage().contains("disk full"), e.getMessage());
  }

  private static LayerListing read(LayerBuilder b) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    b.writeTo(out);
    try {
      return LayerReader.read(new ByteArrayInputStream(out.toByteArray()));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Endless zeros, never allocated beyond one read buffer. */
  static final class ZeroStream extends InputStream {
    @Override
    public int read() {
      return 0;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      Arrays.fill(b, off, off + len, (byte) 0);
      return len;
    }
  }
}
