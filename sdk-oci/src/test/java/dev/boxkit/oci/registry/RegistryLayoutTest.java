package dev.boxkit.oci.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.DigestMismatchException;
import dev.boxkit.oci.ImageConfig;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.layer.Compression;
import dev.boxkit.oci.layer.LayerBlob;
import dev.boxkit.oci.layer.LayerBuilder;
import dev.boxkit.oci.layer.LayerReader;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.layout.OciLayout;
import dev.boxkit.oci.validate.ImageValidator;
import dev.boxkit.testing.ExternalTools;
import dev.boxkit.testing.TestProxy;
import dev.boxkit.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pull into and push from OCI image layouts, checked against skopeo and umoci. */
class RegistryLayoutTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static TestRegistry registry;

  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    registry = TestRegistry.start();
  }

  @AfterAll
  static void stop() {
    if (registry != null) {
      registry.close();
    }
  }

  private static RegistryClient client(List<BlobProgress> events, String host) {
    return RegistryClient.builder().insecureRegistry(host)
        .retryPolicy(RetryPolicy.of(2, Duration.ofMillis(10)))
        .credentials(CredentialsProvider.anonymous()).progressListener(events::add).build();
  }

  @Test
  void pullsIntoALayoutThatSkopeoReadsAndSkipsBlobsItHas() throws Exception {
    try (TestProxy proxy = TestProxy.start(registry.url())) {
      List<BlobProgress> events = new CopyOnWriteArrayList<>();
      RegistryClient c = client(events, proxy.host());
      ImageReference src = ImageReference.of(proxy.host(), "layout/pull", "1");
      TestImage img = TestImage.of(Platform.LINUX_AMD64, Map.of("p", "1", "q", "2"));
      RegistryClientTest.pushAll(c, src, img);
      OciLayout layout = OciLayout.create(tmp.resolve("layout"));

      Descriptor d = RegistryCopy.using(c).pull(src, layout, "v1", Platform.LINUX_AMD64);

      assertEquals(img.manifestDigest(), d.digest());
      layout.verify();
      assertEquals(List.of(), ImageValidator.problems(layout));
      assertEquals(img.manifestDigest(), layout.resolve("v1").digest());
      for (Map.Entry<Digest, byte[]> blob : img.blobs().entrySet()) {
        assertArrayEquals(blob.getValue(), Files.readAllBytes(layout.blobPath(blob.getKey())));
      }
      Path skopeo = ExternalTools.require("skopeo", "skopeo");
      String raw = SkopeoInteropTest.run(skopeo.toString(), "inspect", "--raw", "oci:" + layout.dir() + ":v1");
      assertEquals(new String(img.manifest()), raw);

      proxy.clearRequests();
      events.clear();
      RegistryCopy.using(c).pull(src, layout, "v2", null);
      assertEquals(0, proxy.count("GET", "/blobs/"), "blobs present locally are not fetched");
      assertEquals(3, events.size());
      assertTrue(events.stream().allMatch(e -> e.kind() == BlobProgress.Kind.SKIPPED));
      assertEquals(List.of("v1", "v2"), layout.tags());
    }
  }

  @Test
  void zstdLayersArePushedAndPulledWithTheirMediaTypeAndSkopeoSeesIt() throws Exception {
    OciLayout src = OciLayout.create(tmp.resolve("src"));
    LayerBlob blob = LayerBuilder.create().compression(Compression.ZSTD)
        .addFile("/hello", "hello from zstd\n".getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .buildInto(src.dir().resolve("blobs/sha256"));
    Descriptor layer = Descriptor.of(blob.mediaType(), blob.digest(), blob.sizeBytes());
    ImageConfig config = ImageConfig.of(Platform.LINUX_AMD64)
        .withLayerAppended(blob.diffId(), dev.boxkit.oci.History.of(java.time.Instant.EPOCH, "zstd layer"));
    Descriptor manifest = src.writeManifest(ImageManifest.of(src.writeConfig(config), List.of(layer)));
    src.tag("z", manifest);
    assertEquals(List.of(), ImageValidator.problems(src));

    RegistryClient c = client(new CopyOnWriteArrayList<>(), registry.host());
    ImageReference ref = ImageReference.of(registry.host(), "layout/zstd", "1");
    assertEquals(manifest.digest(), RegistryCopy.using(c).push(src, "z", ref).digest());
    OciLayout back = OciLayout.create(tmp.resolve("back"));
    RegistryCopy.using(c).pull(ref, back, "z", null);
    back.verify();
    assertEquals(List.of(), ImageValidator.problems(back));
    Descriptor pulled = back.readManifest(back.resolve("z")).layers().get(0);
    assertEquals(MediaType.OCI_LAYER_TAR_ZSTD, pulled.mediaType());
    assertEquals(blob.digest(), pulled.digest());
    assertEquals(Compression.ZSTD, LayerReader.read(back.blobPath(pulled.digest())).compression());

    Path skopeo = ExternalTools.require("skopeo", "skopeo");
    String raw = SkopeoInteropTest.run(skopeo.toString(), "inspect", "--raw", "--tls-verify=false",
        "docker://" + ref);
    assertTrue(raw.contains(MediaType.OCI_LAYER_TAR_ZSTD), raw);
  }

  @Test
  void tamperedLayerFailsThePullAndLeavesNoTraceInTheLayout() throws Exception {
    try (TestProxy proxy = TestProxy.start(registry.url())) {
      RegistryClient c = client(new CopyOnWriteArrayList<>(), proxy.host());
      ImageReference src = ImageReference.of(proxy.host(), "layout/tamper", "1");
      TestImage img = TestImage.of(Platform.LINUX_AMD64, Map.of("t", "tampered"));
      RegistryClientTest.pushAll(c, src, img);
      Digest layer = img.layers().get(0).digest();
      proxy.rewrite(Integer.MAX_VALUE, "GET", "/blobs/" + layer, b -> {
        byte[] copy = b.clone();
        copy[copy.length - 1] ^= 0x55;
        return copy;
      });
      OciLayout layout = OciLayout.create(tmp.resolve("layout"));

      assertThrows(DigestMismatchException.class,
          () -> RegistryCopy.using(c).pull(src, layout, "v1", null));

      assertEquals(List.of(), layout.tags());
      try (Stream<Path> s = Files.walk(layout.dir().resolve("blobs"))) {
        List<String> files = s.filter(Files::isRegularFile).map(p -> p.getFileName().toString())
            .collect(Collectors.toList());
        assertTrue(!files.contains(layer.hex()), files.toString());
        assertTrue(files.stream().noneMatch(f -> f.startsWith(".")), "no partial file: " + files);
      }
    }
  }

  @Test
  void pushesAUmociLayoutThatSkopeoSeesUnchangedAndASecondPushUploadsNothing() throws Exception {
    Path skopeo = ExternalTools.require("skopeo", "skopeo");
    Path umoci = ExternalTools.require("umoci", "umoci");
    Path dir = tmp.resolve("umoci");
    SkopeoInteropTest.run(umoci.toString(), "init", "--layout", dir.toString());
    SkopeoInteropTest.run(umoci.toString(), "new", "--image", dir + ":t");
    Path bundle = tmp.resolve("bundle");
    SkopeoInteropTest.run(umoci.toString(), "unpack", "--rootless", "--image", dir + ":t", bundle.toString());
    Files.writeString(bundle.resolve("rootfs/greeting"), "hello\n");
    SkopeoInteropTest.run(umoci.toString(), "repack", "--image", dir + ":t", bundle.toString());
    OciLayout layout = OciLayout.open(dir);
    Digest expected = layout.resolve("t").digest();

    try (TestProxy proxy = TestProxy.start(registry.url())) {
      List<BlobProgress> events = new CopyOnWriteArrayList<>();
      RegistryClient c = client(events, proxy.host());
      ImageReference dst = ImageReference.of(proxy.host(), "layout/pushed", "t");
      assertEquals(expected, RegistryCopy.using(c).push(layout, "t", dst).digest());
      assertEquals(2, proxy.count("PUT", "/blobs/uploads/"), "config and one layer");

      JsonNode info = JSON.readTree(SkopeoInteropTest.run(skopeo.toString(), "inspect",
          "--tls-verify=false", "docker://" + registry.host() + "/layout/pushed:t"));
      assertEquals(expected.toString(), info.path("Digest").asText());

      proxy.clearRequests();
      events.clear();
      RegistryCopy.using(c).push(layout, "t", dst.withTag("again"));
      assertEquals(0, proxy.count("PUT", "/blobs/uploads/"), "second push uploads no blob");
      assertEquals(0, proxy.count("PATCH", "/blobs/uploads/"));
      assertEquals(2, events.stream().filter(e -> e.kind() == BlobProgress.Kind.SKIPPED).count());
      assertEquals(MediaType.OCI_MANIFEST, c.fetchManifest(dst.withTag("again")).mediaType());
    }
  }

  @Test
  void indexWithEveryPlatformRoundTripsThroughALayout() {
    RegistryClient c = client(new CopyOnWriteArrayList<>(), registry.host());
    TestImage amd = TestImage.of(Platform.LINUX_AMD64, Map.of("a", "amd"));
    TestImage arm = TestImage.of(Platform.LINUX_ARM64, Map.of("a", "arm"));
    ImageReference src = ImageReference.of(registry.host(), "layout/multi", "1");
    for (TestImage i : List.of(amd, arm)) {
      i.blobs().forEach((d, b) -> c.pushBlob(src, d, b.length, BlobSource.of(b)));
      c.pushManifest(new ImageReference(src.registry(), src.repository(), null, i.manifestDigest()),
          i.manifest(), i.mediaType());
    }
    byte[] index = TestImage.index(false, amd, arm);
    c.pushManifest(src, index, MediaType.OCI_INDEX);

    OciLayout all = OciLayout.create(tmp.resolve("all"));
    assertEquals(Digest.sha256(index), RegistryCopy.using(c).pull(src, all, "all", null).digest());
    all.verify();
    assertEquals(List.of(), ImageValidator.problems(all));
    ImageReference back = ImageReference.of(registry.host(), "layout/multi-back", "1");
    assertEquals(Digest.sha256(index), RegistryCopy.using(c).push(all, "all", back).digest());
    assertArrayEquals(index, c.fetchManifest(back).content());
  }
}
