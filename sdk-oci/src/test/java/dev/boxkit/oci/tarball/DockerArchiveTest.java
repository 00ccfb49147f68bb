package dev.boxkit.oci.tarball;

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
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.json.OciJson;
import dev.boxkit.oci.layout.OciLayout;
import dev.boxkit.testing.OciSchemas;
import dev.boxkit.testing.TestImages;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerArchiveTest {
  @TempDir Path tmp;

  static Map<String, byte[]> entries(Path tar, List<TarArchiveEntry> headers) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (InputStream raw = Files.newInputStream(tar);
        TarArchiveInputStream in = new TarArchiveInputStream(raw)) {
      for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
        out.put(e.getName(), in.readAllBytes());
        headers.add(e);
      }
    }
    return out;
  }

  @Test
  void writesDockerSaveLayoutReproducibly() throws IOException {
    OciLayout layout = OciLayout.create(tmp.resolve("l"));
    TestImages.Written w = TestImages.write(layout, "v1");
    Path tar = tmp.resolve("image.tar");
    List<ImageReference> tags = List.of(ImageReference.parse("alpine:3"),
        ImageReference.parse("localhost:5000/team/app:1.0"));
    DockerArchive.write(tar, layout, w.manifestDescriptor(), tags);

    List<TarArchiveEntry> headers = new java.util.ArrayList<>();
    Map<String, byte[]> files = entries(tar, headers);
    String cfg = w.manifest().config().digest().hex();
    String l0 = w.manifest().layers().get(0).digest().hex();
    String l1 = w.manifest().layers().get(1).digest().hex();
    String man = w.manifestDescriptor().digest().hex();
    List<String> expectedNames = new java.util.ArrayList<>(List.of("blobs/", "blobs/sha256/"));
    expectedNames.addAll(Stream.of(cfg, l0, l1, man).sorted().map(h -> "blobs/sha256/" + h).toList());
    expectedNames.addAll(List.of("index.json", "manifest.json", "oci-layout", "repositories"));
    assertEquals(expectedNames, List.copyOf(files.keySet()));
    assertEquals("[{\"Config\":\"blobs/sha256/" + cfg + "\",\"Layers\":[\"blobs/sha256/" + l0
        + "\",\"blobs/sha256/" + l1 + "\"],\"RepoTags\":[\"alpine:3\",\"localhost:5000/team/app:1.0\"]}]",
        new String(files.get("manifest.json"), StandardCharsets.UTF_8));
    String top = w.config().diffIds().get(1).hex();
    assertEquals("{\"alpine\":{\"3\":\"" + top + "\"},\"localhost:5000/team/app\":{\"1.0\":\"" + top
        + "\"}}", new String(files.get("repositories"), StandardCharsets.UTF_8));
    assertArrayEquals(w.layers().get(0).gzip(), files.get("blobs/sha256/" + l0));
    assertArrayEquals(Files.readAllBytes(layout.blobPath(w.manifestDescriptor().digest())),
        files.get("blobs/sha256/" + man));
    ImageIndex index = OciJson.read(files.get("index.json"), ImageIndex.class, "index.json");
    assertEquals(List.of(
        w.manifestDescriptor().withAnnotation("io.containerd.image.name", "docker.io/library/alpine:3")
            .withAnnotation(Annotations.REF_NAME, "3"),
        w.manifestDescriptor().withAnnotation("io.containerd.image.name",
            "localhost:5000/team/app:1.0").withAnnotation(Annotations.REF_NAME, "1.0")),
        index.manifests());
    OciSchemas schemas = OciSchemas.load();
    schemas.assertValid(OciSchemas.Kind.INDEX, files.get("index.json"));
    schemas.assertValid(OciSchemas.Kind.LAYOUT, files.get("oci-layout"));
    assertArrayEquals(OciJson.write(w.config()), files.get("blobs/sha256/" + cfg));
    for (TarArchiveEntry h : headers) {
      assertEquals(0, h.getModTime().getTime(), h.getName());
      assertEquals(0, h.getLongUserId());
      assertEquals(h.isDirectory() ? 0755 : 0644, h.getMode() & 07777, h.getName());
    }
    byte[] first = Files.readAllBytes(tar);
    DockerArchive.write(tar, layout, w.manifestDescriptor(), tags);
    assertArrayEquals(first, Files.readAllBytes(tar));
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(List.of("image.tar", "l"), s.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void kernelCopyWritesTheSameBytesAsCommonsCompress() throws IOException {
    // Sizes around record (512) and block (10240) boundaries, so every padding case is met.
    java.util.Random random = new java.util.Random(7);
    for (int[] sizes : new int[][] {{0}, {1, 511}, {512, 10240}, {10239, 9728, 3}, {100_000, 20_000}}) {
      java.util.TreeMap<String, Object> files = new java.util.TreeMap<>();
      Map<String, Long> lengths = new java.util.TreeMap<>();
      for (int i = 0; i < sizes.length; i++) {
        byte[] data = new byte[sizes[i]];
        random.nextBytes(data);
        Path f = Files.write(tmp.resolve("layer-" + sizes.length + "-" + i), data);
        String name = "blobs/sha256/" + Digest.sha256(data).hex();
        files.put(name, new DockerArchive.LayerBlob(f, Digest.sha256(data), MediaType.OCI_LAYER_TAR));
        lengths.put(name, (long) data.length);
      }
      byte[] small = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
      files.put("manifest.json", small);
      lengths.put("manifest.json", (long) small.length);
      assertTrue(UstarWriter.fits(lengths));
      Path direct = tmp.resolve("direct.tar");
      Path streamed = tmp.resolve("streamed.tar");
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(direct,
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE,
          java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
          DockerArchive.writeDirect(ch, files, lengths, DockerArchive.plan(files, lengths), pool);
        } finally {
          pool.shutdown();
        }
      }
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(streamed,
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE,
          java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
        DockerArchive.writeStreamed(ch, files);
      }
      assertArrayEquals(Files.readAllBytes(streamed), Files.readAllBytes(direct),
          "sizes " + java.util.Arrays.toString(sizes));
      assertEquals(Files.size(direct), DockerArchive.plan(files, lengths).size());
    }
  }

  @Test
  void targetThatHoldsTheArchiveAlreadyIsLeftAloneAndAnyDifferenceIsRewritten() throws IOException {
    OciLayout layout = OciLayout.create(tmp.resolve("l"));
    TestImages.Written w = TestImages.write(layout, "v1");
    Path tar = tmp.resolve("image.tar");
    List<ImageReference> tags = List.of(ImageReference.parse("app:1"));
    DockerArchive.write(tar, layout, w.manifestDescriptor(), tags);
    byte[] good = Files.readAllBytes(tar);
    java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.fromMillis(1_000_000L);
    Files.setLastModifiedTime(tar, old);

    DockerArchive.write(tar, layout, w.manifestDescriptor(), tags);
    assertEquals(old, Files.getLastModifiedTime(tar), "an unchanged archive is not written again");
    assertArrayEquals(good, Files.readAllBytes(tar));

    // One byte changed inside a layer's content (same length): found by hashing, rewritten.
    String l0 = "blobs/sha256/" + w.manifest().layers().get(0).digest().hex();
    long at = offsetOfContent(tar, l0) + 3;
    byte[] bad = good.clone();
    bad[(int) at] ^= 1;
    Files.write(tar, bad);
    Files.setLastModifiedTime(tar, old);
    DockerArchive.write(tar, layout, w.manifestDescriptor(), tags);
    assertArrayEquals(good, Files.readAllBytes(tar));
    assertTrue(Files.getLastModifiedTime(tar).compareTo(old) > 0);

    // Another tag: other bytes in manifest.json, index.json and repositories.
    DockerArchive.write(tar, layout, w.manifestDescriptor(), List.of(ImageReference.parse("app:2")));
    assertTrue(new String(entries(tar, new java.util.ArrayList<>()).get("manifest.json"),
        StandardCharsets.UTF_8).contains("\"RepoTags\":[\"app:2\"]"));
    // Truncated by one byte: rewritten whole.
    Files.write(tar, java.util.Arrays.copyOf(good, good.length - 1));
    DockerArchive.write(tar, layout, w.manifestDescriptor(), tags);
    assertArrayEquals(good, Files.readAllBytes(tar));
  }

  /** @return the offset in {@code tar} of the first content byte of entry {@code name} */
  private static long offsetOfContent(Path tar, String name) throws IOException {
    try (InputStream raw = Files.newInputStream(tar);
        TarArchiveInputStream in = new TarArchiveInputStream(raw)) {
      for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
        if (e.getName().equals(name)) {
          return e.getDataOffset();
        }
      }
    }
    throw new AssertionError(name + " not in " + tar);
  }

  @Test
  void entriesUstarCannotHoldGoThroughCommonsCompress() {
    assertTrue(UstarWriter.fits(Map.of("blobs/sha256/" + "a".repeat(64), UstarWriter.MAX_SIZE)));
    assertFalse(UstarWriter.fits(Map.of("big", UstarWriter.MAX_SIZE + 1)));
    assertFalse(UstarWriter.fits(Map.of("n".repeat(100), 1L)));
    assertFalse(UstarWriter.fits(Map.of("caf\u00e9", 1L)));
  }

  @Test
  void acceptsUncompressedLayersWhoseDigestIsTheDiffId() throws IOException {
    TestImages.Layer layer = TestImages.layer(Map.of("a.txt", "a"));
    Path file = Files.write(tmp.resolve("layer.tar"), layer.tar());
    byte[] config = OciJson.write(TestImages.config(List.of(layer)));
    Path tar = tmp.resolve("out.tar");
    DockerArchive.write(tar, config, List.of(new DockerArchive.LayerBlob(file, layer.diffId(),
        MediaType.OCI_LAYER_TAR)), List.of());
    Map<String, byte[]> files = entries(tar, new java.util.ArrayList<>());
    assertArrayEquals(layer.tar(), files.get("blobs/sha256/" + layer.diffId().hex()));
    assertFalse(files.containsKey("repositories"));
    ImageIndex index = OciJson.read(files.get("index.json"), ImageIndex.class, "index.json");
    Descriptor md = index.manifests().get(0);
    byte[] manifestBytes = files.get("blobs/sha256/" + md.digest().hex());
    assertEquals(Descriptor.of(MediaType.OCI_MANIFEST, manifestBytes), md);
    ImageManifest m = OciJson.read(manifestBytes, ImageManifest.class, "manifest");
    assertEquals(Descriptor.of(MediaType.OCI_CONFIG, config), m.config());
    assertEquals(List.of(Descriptor.of(MediaType.OCI_LAYER_TAR, layer.tar())), m.layers());
    OciSchemas.load().assertValid(OciSchemas.Kind.MANIFEST, manifestBytes);
  }

  @Test
  void rejectsBadInputAndLeavesTheOldTarget() throws IOException {
    TestImages.Layer layer = TestImages.layer(Map.of("a.txt", "a"));
    Path gz = Files.write(tmp.resolve("layer.tar.gz"), layer.gzip());
    byte[] config = OciJson.write(TestImages.config(List.of(layer)));
    Path tar = Files.writeString(tmp.resolve("out.tar"), "previous");
    DockerArchive.LayerBlob good =
        new DockerArchive.LayerBlob(gz, layer.digest(), MediaType.OCI_LAYER_TAR_GZIP);

    assertEquals("layer.mediaType", assertThrows(InvalidInputException.class,
        () -> new DockerArchive.LayerBlob(gz, layer.digest(), MediaType.OCI_LAYER_TAR_ZSTD)).field());
    assertEquals("repoTag", assertThrows(InvalidInputException.class,
        () -> DockerArchive.write(tar, config, List.of(good), List.of(ImageReference.parse(
            "app@sha256:" + "a".repeat(64))))).field());
    assertEquals("config", assertThrows(InvalidInputException.class,
        () -> DockerArchive.write(tar, config, List.of(good, good), List.of())).field());
    DockerArchive.LayerBlob wrongDiffId = new DockerArchive.LayerBlob(gz, layer.digest(),
        MediaType.OCI_LAYER_TAR);
    assertEquals("config", assertThrows(InvalidInputException.class,
        () -> DockerArchive.write(tar, config, List.of(wrongDiffId), List.of())).field());
    DockerArchive.LayerBlob lying = new DockerArchive.LayerBlob(gz, Digest.sha256("other"),
        MediaType.OCI_LAYER_TAR_GZIP);
    assertThrows(DigestMismatchException.class,
        () -> DockerArchive.write(tar, config, List.of(lying), List.of()));
    assertEquals("previous", Files.readString(tar));
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(List.of("layer.tar.gz", "out.tar"),
          s.map(p -> p.getFileName().toString()).sorted().toList());
    }
    DockerArchive.write(tar, config, List.of(good), List.of(ImageReference.parse("app")));
    assertTrue(Files.size(tar) > 1024);
  }

  @Test
  void readsWhatItWroteBackToTheSameManifestWithoutTagging() throws IOException {
    OciLayout layout = OciLayout.create(tmp.resolve("l"));
    TestImages.Written w = TestImages.write(layout, "v1");
    Path tar = tmp.resolve("image.tar");
    DockerArchive.write(tar, layout, w.manifestDescriptor(), List.of(ImageReference.parse("app:1")));

    OciLayout back = OciLayout.create(tmp.resolve("back"));
    Descriptor d = DockerArchive.read(tar, back);
    assertEquals(w.manifestDescriptor().digest(), d.digest(), "same config and layers, same manifest");
    assertEquals(List.of(), back.tags());
    assertTrue(dev.boxkit.oci.validate.ImageValidator.problems(back, d).isEmpty(),
        dev.boxkit.oci.validate.ImageValidator.problems(back, d).toString());
    // Reading it again keeps what the layout has and gives the same manifest.
    assertEquals(d, DockerArchive.read(tar, back));
  }

  @Test
  void readRefusesArchivesThatAreNotOneImageAndNamesThem() throws IOException {
    TestImages.Layer layer = TestImages.layer(Map.of("a.txt", "a"));
    byte[] config = OciJson.write(TestImages.config(List.of(layer)));
    OciLayout into = OciLayout.create(tmp.resolve("into"));

    Path noManifest = tarOf(tmp.resolve("none.tar"), Map.of("config.json", config));
    assertTrue(assertThrows(dev.boxkit.oci.OciException.class, () -> DockerArchive.read(noManifest, into))
        .getMessage().contains("no manifest.json"));

    String one = "{\"Config\":\"config.json\",\"Layers\":[\"l/layer.tar\"]}";
    Path two = tarOf(tmp.resolve("two.tar"), Map.of("manifest.json",
        ("[" + one + "," + one + "]").getBytes(StandardCharsets.UTF_8), "config.json", config,
        "l/layer.tar", layer.tar()));
    assertTrue(assertThrows(dev.boxkit.oci.OciException.class, () -> DockerArchive.read(two, into))
        .getMessage().contains("exactly one image"));

    Path missing = tarOf(tmp.resolve("missing.tar"), Map.of("manifest.json",
        ("[" + one + "]").getBytes(StandardCharsets.UTF_8), "config.json", config));
    String msg = assertThrows(dev.boxkit.oci.OciException.class, () -> DockerArchive.read(missing, into))
        .getMessage();
    assertTrue(msg.contains(missing.toString()) && msg.contains("l/layer.tar"), msg);

    // An uncompressed layer whose digest is not the config's diffID.
    TestImages.Layer other = TestImages.layer(Map.of("b.txt", "b"));
    Path lying = tarOf(tmp.resolve("lying.tar"), Map.of("manifest.json",
        ("[" + one + "]").getBytes(StandardCharsets.UTF_8), "config.json", config,
        "l/layer.tar", other.tar()));
    assertThrows(DigestMismatchException.class, () -> DockerArchive.read(lying, into));
    // Hostile names are only matched, never used as paths: nothing appears beside the layout.
    Path hostile = tarOf(tmp.resolve("hostile.tar"), Map.of("manifest.json",
        "[{\"Config\":\"../../escape.json\",\"Layers\":[\"../x.tar\"]}]".getBytes(StandardCharsets.UTF_8),
        "../../escape.json", config));
    assertThrows(dev.boxkit.oci.OciException.class, () -> DockerArchive.read(hostile, into));
    assertFalse(Files.exists(tmp.resolve("escape.json")));
    assertFalse(Files.exists(tmp.getParent().resolve("escape.json")));
    assertEquals(List.of(), into.tags());
  }

  private static Path tarOf(Path file, Map<String, byte[]> entries) throws IOException {
    try (var out = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(
        Files.newOutputStream(file))) {
      for (Map.Entry<String, byte[]> e : new java.util.TreeMap<>(entries).entrySet()) {
        TarArchiveEntry h = new TarArchiveEntry(e.getKey(), true);
        h.setSize(e.getValue().length);
        out.putArchiveEntry(h);
        out.write(e.getValue());
        out.closeArchiveEntry();
      }
    }
    return file;
  }
}
