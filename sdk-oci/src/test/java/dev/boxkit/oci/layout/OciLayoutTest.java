package dev.boxkit.oci.layout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Annotations;
import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.DigestMismatchException;
import dev.boxkit.oci.ImageIndex;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.MalformedContentException;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.OciException;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.json.OciJson;
import dev.boxkit.testing.OciSchemas;
import dev.boxkit.testing.TestImages;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OciLayoutTest {
  @TempDir Path tmp;

  @Test
  void createsALayoutThatOpensAndValidates() throws IOException {
    Path dir = tmp.resolve("layout");
    OciLayout layout = OciLayout.create(dir);
    assertEquals("{\"imageLayoutVersion\":\"1.0.0\"}",
        Files.readString(dir.resolve("oci-layout")));
    assertTrue(Files.isDirectory(dir.resolve("blobs/sha256")));
    assertEquals(List.of(), layout.tags());
    OciSchemas schemas = OciSchemas.load();
    schemas.assertValid(OciSchemas.Kind.LAYOUT, dir.resolve("oci-layout"));
    schemas.assertValid(OciSchemas.Kind.INDEX, dir.resolve("index.json"));
    assertEquals(dir, OciLayout.open(dir).dir());
    // Creating again opens what is there and loses nothing.
    TestImages.write(layout, "v1");
    assertEquals(List.of("v1"), OciLayout.create(dir).tags());
  }

  @Test
  void refusesDirectoriesThatAreNotLayouts() throws IOException {
    Path user = Files.createDirectories(tmp.resolve("user"));
    Files.writeString(user.resolve("notes.txt"), "mine");
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> OciLayout.create(user));
    assertEquals("layout", e.field());
    try (Stream<Path> s = Files.list(user)) {
      assertEquals(List.of(user.resolve("notes.txt")), s.toList());
    }
    assertEquals("layout",
        assertThrows(InvalidInputException.class, () -> OciLayout.open(user)).field());
    Files.writeString(user.resolve("oci-layout"), "{\"imageLayoutVersion\":\"2.0.0\"}");
    assertTrue(assertThrows(MalformedContentException.class, () -> OciLayout.open(user))
        .getMessage().contains("2.0.0"));
    Files.writeString(user.resolve("oci-layout"), "{");
    assertThrows(MalformedContentException.class, () -> OciLayout.open(user));
  }

  @Test
  void storesBlobsByDigestOnce() throws IOException {
    OciLayout layout = OciLayout.create(tmp.resolve("l"));
    byte[] content = "hello".getBytes(StandardCharsets.UTF_8);
    Descriptor a = layout.writeBlob(content, MediaType.OCI_LAYER_TAR);
    Descriptor b = layout.writeBlob(new ByteArrayInputStream(content), MediaType.OCI_LAYER_TAR);
    Path f = Files.writeString(tmp.resolve("f"), "hello");
    Descriptor c = layout.writeBlob(f, MediaType.OCI_LAYER_TAR);
    assertEquals(a, b);
    assertEquals(a, c);
    assertEquals(Descriptor.of(MediaType.OCI_LAYER_TAR, content), a);
    assertTrue(layout.hasBlob(a.digest()));
    assertEquals(tmp.resolve("l/blobs/sha256").resolve(a.digest().hex()), layout.blobPath(a.digest()));
    assertArrayEquals(content, Files.readAllBytes(layout.blobPath(a.digest())));
    try (InputStream in = layout.openBlob(a)) {
      assertArrayEquals(content, in.readAllBytes());
    }
    assertOnlyBlobs(layout, a.digest());
    assertThrows(BlobNotFoundException.class,
        () -> layout.openBlob(Descriptor.of(MediaType.OCI_LAYER_TAR, new byte[] {1})));
  }

  @Test
  void openBlobDetectsCorruptionTruncationAndGrowth() throws IOException {
    OciLayout layout = OciLayout.create(tmp.resolve("l"));
    Descriptor d = layout.writeBlob("hello world".getBytes(StandardCharsets.UTF_8),
        MediaType.OCI_LAYER_TAR);
    Path p = layout.blobPath(d.digest());
    Files.writeString(p, "hello World");
    assertThrows(DigestMismatchException.class, () -> drain(layout.openBlob(d)));
    Files.writeString(p, "hello");
    DigestMismatchException e =
        assertThrows(DigestMismatchException.class, () -> drain(layout.openBlob(d)));
    assertTrue(e.getMessage().contains("5 bytes instead of 11"), e.getMessage());
    Files.writeString(p, "hello world and more");
    assertThrows(DigestMismatchException.class, () -> drain(layout.openBlob(d)));
  }

  @Test
  void writingATruncatedBlobAgainRepairsIt() throws IOException {
    OciLayout layout = OciLayout.create(tmp.resolve("l"));
    byte[] content = "hello world".getBytes(StandardCharsets.UTF_8);
    Descriptor d = layout.writeBlob(content, MediaType.OCI_LAYER_TAR);
    Files.writeString(layout.blobPath(d.digest()), "hello");
    layout.writeBlob(content, MediaType.OCI_LAYER_TAR);
    drain(layout.openBlob(d)); // verifies: the blob was replaced
  }

  @Test
  void aFailureMidWriteLeavesNoPartialBlob() throws IOException {
    OciLayout layout = OciLayout.create(tmp.resolve("l"));
    InputStream failing = new InputStream() {
      int n;

      @Override
      public int read() throws IOException {
        if (n++ > 300_000) {
          throw new IOException("disk pulled out");
        }
        return 'x';
      }
    };
    OciException e = assertThrows(OciException.class,
        () -> layout.writeBlob(failing, MediaType.OCI_LAYER_TAR));
    assertTrue(e.getMessage().contains("disk pulled out"), e.getMessage());
    assertOnlyBlobs(layout);
    // A content check failing leaves nothing either.
    byte[] content = "abc".getBytes(StandardCharsets.UTF_8);
    Descriptor wrong = Descriptor.of(MediaType.OCI_LAYER_TAR, Digest.sha256("abd"), 3);
    assertThrows(DigestMismatchException.class,
        () -> layout.writeBlob(new ByteArrayInputStream(content), wrong));
    Descriptor tooShort = Descriptor.of(MediaType.OCI_LAYER_TAR, Digest.sha256("ab"), 2);
    assertThrows(DigestMismatchException.class,
        () -> layout.writeBlob(new ByteArrayInputStream(content), tooShort));
    assertOnlyBlobs(layout);
    Descriptor right = Descriptor.of(MediaType.OCI_LAYER_TAR, content);
    assertEquals(right, layout.writeBlob(new ByteArrayInputStream(content), right));
    assertOnlyBlobs(layout, right.digest());
  }

  @Test
  void tagsResolveAndReplaceWithoutLosingOthers() throws IOException {
    OciLayout layout = OciLayout.create(tmp.resolve("l"));
    TestImages.Written one = TestImages.write(layout, "one");
    TestImages.Written two = TestImages.write(layout, "two");
    assertEquals(List.of("one", "two"), layout.tags());
    assertEquals(one.manifestDescriptor().withAnnotation(Annotations.REF_NAME, "one"),
        layout.resolve("one"));
    layout.tag("one", two.manifestDescriptor());
    assertEquals(two.manifestDescriptor().digest(), layout.resolve("one").digest());
    assertEquals(List.of("one", "two"), layout.tags());
    assertEquals(2, layout.index().manifests().size());
    // Entries without a ref name written by other tools are kept.
    ImageIndex withUntagged = layout.index().withManifestAppended(one.manifestDescriptor());
    Files.write(layout.dir().resolve("index.json"), OciJson.write(withUntagged));
    layout.tag("three", one.manifestDescriptor());
    assertEquals(4, layout.index().manifests().size());
    TagNotFoundException e = assertThrows(TagNotFoundException.class, () -> layout.resolve("nope"));
    assertEquals(List.of("one", "three", "two"), e.available());
    assertTrue(e.getMessage().contains("nope") && e.getMessage().contains(layout.dir().toString())
        && e.getMessage().contains("one, three, two"), e.getMessage());
    assertEquals(one.manifest(), layout.readManifest(layout.resolve("three")));
    assertEquals(one.config(), layout.readConfig(one.manifest().config()));
    layout.verify();
    OciSchemas.load().assertValid(OciSchemas.Kind.INDEX, layout.dir().resolve("index.json"));
  }

  @Test
  void tagRejectsBadInputAndMissingBlobs() {
    OciLayout layout = OciLayout.create(tmp.resolve("l"));
    TestImages.Written w = TestImages.write(layout, "v");
    assertEquals("tag", assertThrows(InvalidInputException.class,
        () -> layout.tag("bad tag", w.manifestDescriptor())).field());
    assertEquals("tag", assertThrows(InvalidInputException.class,
        () -> layout.tag("-x", w.manifestDescriptor())).field());
    assertEquals("descriptor.mediaType", assertThrows(InvalidInputException.class,
        () -> layout.tag("v2", w.manifest().config())).field());
    Descriptor absent = Descriptor.of(MediaType.OCI_MANIFEST, new byte[] {9});
    assertThrows(BlobNotFoundException.class, () -> layout.tag("v2", absent));
    assertEquals(List.of("v"), layout.tags());
    layout.tag("registry.example.com/app:1.0", w.manifestDescriptor());
    assertEquals(List.of("registry.example.com/app:1.0", "v"), layout.tags());
  }

  @Test
  void readRefusesContentOfAnotherKind() {
    OciLayout layout = OciLayout.create(tmp.resolve("l"));
    TestImages.Written w = TestImages.write(layout, "v");
    Descriptor asIndex = w.manifestDescriptor().withMediaType(MediaType.OCI_INDEX);
    MalformedContentException e =
        assertThrows(MalformedContentException.class, () -> layout.readIndex(asIndex));
    assertTrue(e.getMessage().contains(w.manifestDescriptor().digest().toString()), e.getMessage());
    Descriptor asDocker = w.manifestDescriptor().withMediaType(MediaType.DOCKER_MANIFEST);
    assertTrue(assertThrows(MalformedContentException.class, () -> layout.readManifest(asDocker))
        .getMessage().contains("contradicts"));
    assertEquals("descriptor.mediaType", assertThrows(InvalidInputException.class,
        () -> layout.readManifest(w.manifest().config())).field());
  }

  @Test
  void verifyWalksIndexesAndFindsACorruptLayer() throws IOException {
    OciLayout layout = OciLayout.create(tmp.resolve("l"));
    TestImages.Written w = TestImages.write(layout, "v");
    Descriptor nested = layout.writeIndex(ImageIndex.of(List.of(
        w.manifestDescriptor().withPlatform(Platform.LINUX_AMD64))));
    layout.tag("multi", nested);
    layout.verify();
    assertEquals(w.manifest(), layout.readManifest(
        layout.readIndex(layout.resolve("multi")).manifestFor(Platform.LINUX_AMD64).orElseThrow()));
    Descriptor layer = w.manifest().layers().get(1);
    byte[] bytes = Files.readAllBytes(layout.blobPath(layer.digest()));
    bytes[bytes.length / 2] ^= 1;
    Files.write(layout.blobPath(layer.digest()), bytes);
    DigestMismatchException e = assertThrows(DigestMismatchException.class, layout::verify);
    assertEquals(layer.digest(), e.expected());
    Files.delete(layout.blobPath(layer.digest()));
    assertEquals(layer.digest(),
        assertThrows(BlobNotFoundException.class, layout::verify).digest());
  }

  @Test
  void everythingWrittenValidatesAgainstTheSchemas() throws IOException {
    OciSchemas schemas = OciSchemas.load();
    OciLayout layout = OciLayout.create(tmp.resolve("l"));
    TestImages.Written w = TestImages.write(layout, "v");
    Descriptor idx = layout.writeIndex(ImageIndex.of(List.of(
        w.manifestDescriptor().withPlatform(Platform.parse("linux/arm64/v8")))));
    schemas.assertValid(OciSchemas.Kind.MANIFEST,
        Files.readAllBytes(layout.blobPath(w.manifestDescriptor().digest())));
    schemas.assertValid(OciSchemas.Kind.CONFIG,
        Files.readAllBytes(layout.blobPath(w.manifest().config().digest())));
    schemas.assertValid(OciSchemas.Kind.INDEX, Files.readAllBytes(layout.blobPath(idx.digest())));
    schemas.assertValid(OciSchemas.Kind.DESCRIPTOR, OciJson.write(w.manifestDescriptor()));
    schemas.assertValid(OciSchemas.Kind.DESCRIPTOR, OciJson.write(layout.resolve("v")));
    schemas.assertValid(OciSchemas.Kind.INDEX, layout.dir().resolve("index.json"));
    schemas.assertValid(OciSchemas.Kind.LAYOUT, layout.dir().resolve("oci-layout"));
    // The schemas are really checked: a bad document is refused.
    assertFalse(schemas.problems(OciSchemas.Kind.MANIFEST,
        "{\"schemaVersion\":3,\"layers\":[]}".getBytes(StandardCharsets.UTF_8)).isEmpty());
    assertFalse(schemas.problems(OciSchemas.Kind.DESCRIPTOR,
        "{\"mediaType\":\"x\",\"digest\":\"sha256:ab\",\"size\":-1}".getBytes(StandardCharsets.UTF_8))
        .isEmpty());
    assertFalse(schemas.problems(OciSchemas.Kind.INDEX, ("{\"schemaVersion\":2,\"manifests\":[{"
        + "\"mediaType\":\"a/b\",\"size\":1,\"digest\":\"sha256:ab\",\"platform\":{\"os\":\"linux\"}}]}")
        .getBytes(StandardCharsets.UTF_8)).isEmpty());
    assertFalse(schemas.problems(OciSchemas.Kind.CONFIG,
        "{\"os\":\"linux\",\"architecture\":\"amd64\",\"rootfs\":{\"type\":\"x\",\"diff_ids\":[]}}"
            .getBytes(StandardCharsets.UTF_8)).isEmpty());
  }

  @Test
  void concurrentTaggersInThreadsAndAnotherProcessLoseNoTags() throws Exception {
    Path dir = tmp.resolve("l");
    OciLayout shared = OciLayout.create(dir);
    Descriptor m = TestImages.write(shared, "base").manifestDescriptor();
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process other = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"),
        TagWriterMain.class.getName(), dir.toString(), m.digest().toString(),
        Long.toString(m.size()), m.mediaType(), "proc-", "150")
        .redirectErrorStream(true).start();
    // Start the threads once the other process is tagging, so that both really overlap.
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    while (!shared.tags().contains("proc-0") && other.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    int threads = 6;
    int perThread = 25;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      // Half the threads share one instance, the others open their own, one through a symlink:
      // all must take turns.
      OciLayout layout = id % 2 == 0 ? shared
          : id == 1 ? OciLayout.open(Files.createSymbolicLink(tmp.resolve("link"), dir))
          : OciLayout.open(dir);
      futures.add(pool.submit(() -> {
        for (int i = 0; i < perThread; i++) {
          layout.tag("t" + id + "-" + i, m);
        }
      }));
    }
    for (Future<?> f : futures) {
      f.get(2, TimeUnit.MINUTES);
    }
    pool.shutdown();
    String output = new String(other.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(other.waitFor(2, TimeUnit.MINUTES));
    assertEquals(0, other.exitValue(), output);
    List<String> tags = shared.tags();
    assertEquals(1 + threads * perThread + 150, tags.size());
    for (int i = 0; i < 150; i++) {
      assertTrue(tags.contains("proc-" + i), "proc-" + i);
    }
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of("blobs", "index.json", "oci-layout"), // no lock file left behind
          s.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  private static void drain(InputStream in) throws IOException {
    try (in) {
      in.transferTo(OutputStream.nullOutputStream());
    }
  }

  private static void assertOnlyBlobs(OciLayout layout, Digest... digests) throws IOException {
    List<String> expected = new ArrayList<>();
    for (Digest d : digests) {
      expected.add("sha256" + File.separator + d.hex());
    }
    Path blobs = layout.dir().resolve("blobs");
    try (Stream<Path> s = Files.walk(blobs)) {
      assertEquals(expected.stream().sorted().toList(), s.filter(Files::isRegularFile)
          .map(p -> blobs.relativize(p).toString()).sorted().toList());
    }
  }

}
