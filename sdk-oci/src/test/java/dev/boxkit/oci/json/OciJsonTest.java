package dev.boxkit.oci.json;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.ContainerConfig;
import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.Healthcheck;
import dev.boxkit.oci.History;
import dev.boxkit.oci.ImageConfig;
import dev.boxkit.oci.ImageIndex;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.MalformedContentException;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.Platform;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OciJsonTest {
  static final String D1 = "sha256:" + "a".repeat(64);
  static final String D2 = "sha256:" + "b".repeat(64);

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void writesCompactDeterministicManifest() {
    Descriptor config = Descriptor.of(MediaType.OCI_CONFIG, Digest.parse(D1), 10);
    Descriptor layer = Descriptor.of(MediaType.OCI_LAYER_TAR_GZIP, Digest.parse(D2), 20)
        .withAnnotation("z", "1").withAnnotation("a", "2");
    ImageManifest m = ImageManifest.of(config, List.of(layer));
    String expected = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\","
        + "\"config\":{\"mediaType\":\"" + MediaType.OCI_CONFIG + "\",\"digest\":\"" + D1
        + "\",\"size\":10},\"layers\":[{\"mediaType\":\"" + MediaType.OCI_LAYER_TAR_GZIP
        + "\",\"digest\":\"" + D2 + "\",\"size\":20,\"annotations\":{\"a\":\"2\",\"z\":\"1\"}}]}";
    assertEquals(expected, text(OciJson.write(m)));
    assertEquals(m, OciJson.read(OciJson.write(m), ImageManifest.class, "manifest"));
  }

  @Test
  void keepsUnknownFieldsOfManifestAndDescriptors() {
    String json = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\","
        + "\"config\":{\"mediaType\":\"" + MediaType.OCI_CONFIG + "\",\"digest\":\"" + D1
        + "\",\"size\":10,\"data\":\"e30=\"},\"layers\":[],"
        + "\"zz-extension\":{\"b\":[1,2,{\"y\":null,\"x\":true}],\"a\":\"s\"},\"aa\":1.5}";
    ImageManifest m = OciJson.read(utf8(json), ImageManifest.class, "manifest");
    assertEquals("e30=", m.config().unknownFields().get("data"));
    assertEquals(List.of("aa", "zz-extension"), List.copyOf(m.unknownFields().keySet()));
    byte[] out = OciJson.write(m);
    String s = text(out);
    assertTrue(s.contains("\"data\":\"e30=\""), s);
    assertTrue(s.contains("\"zz-extension\":{\"a\":\"s\",\"b\":[1,2,{\"x\":true,\"y\":null}]}"), s);
    ImageManifest again = OciJson.read(out, ImageManifest.class, "manifest");
    assertEquals(m, again);
    assertArrayEquals(out, OciJson.write(again));
  }

  @Test
  void readsDockerConfigKeepingItsExtraFields() {
    String json = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"container\":\"abc\","
        + "\"docker_version\":\"24.0.7\",\"created\":\"2024-05-01T10:20:30.123456789+02:00\","
        + "\"config\":{\"Hostname\":\"\",\"User\":\"app\",\"Env\":[\"B=2\",\"A=1\"],"
        + "\"Entrypoint\":null,\"Cmd\":[\"/bin/sh\"],\"ExposedPorts\":{\"80/tcp\":{}},"
        + "\"Volumes\":{\"/data\":{}},\"Labels\":{\"z\":\"1\",\"a\":\"2\"},"
        + "\"Healthcheck\":{\"Test\":[\"CMD\",\"true\"],\"Interval\":30000000000,"
        + "\"StartInterval\":5000000000,\"Retries\":3},\"OnBuild\":null},"
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + D1 + "\"]},"
        + "\"history\":[{\"created\":\"2024-05-01T08:20:30Z\",\"created_by\":\"ADD x\","
        + "\"comment\":\"c\",\"extra\":7},{\"created_by\":\"ENV A=1\",\"empty_layer\":true}]}";
    ImageConfig c = OciJson.read(utf8(json), ImageConfig.class, "config");
    assertEquals(Instant.parse("2024-05-01T08:20:30.123456789Z"), c.created());
    ContainerConfig cc = c.config();
    assertEquals(List.of("B=2", "A=1"), cc.env());
    assertNull(cc.entrypoint());
    assertEquals(List.of("/bin/sh"), cc.cmd());
    assertEquals(List.of("80/tcp"), List.copyOf(cc.exposedPorts()));
    assertEquals(List.of("/data"), List.copyOf(cc.volumes()));
    assertEquals(Duration.ofSeconds(30), cc.healthcheck().interval());
    assertEquals(3, cc.healthcheck().retries());
    assertEquals(5_000_000_000L, ((Number) cc.healthcheck().unknownFields().get("StartInterval"))
        .longValue());
    assertEquals("", cc.unknownFields().get("Hostname"));
    assertEquals("abc", c.unknownFields().get("container"));
    assertEquals(7, c.history().get(0).unknownFields().get("extra"));
    assertTrue(c.history().get(1).emptyLayer());
    assertEquals(List.of(Digest.parse(D1)), c.diffIds());
    String out = text(OciJson.write(c));
    assertTrue(out.startsWith("{\"created\":\"2024-05-01T08:20:30.123456789Z\",\"architecture\":"
        + "\"amd64\",\"os\":\"linux\",\"config\":{\"User\":\"app\",\"ExposedPorts\":{\"80/tcp\":{}},"
        + "\"Env\":[\"B=2\",\"A=1\"],\"Cmd\":[\"/bin/sh\"],\"Volumes\":{\"/data\":{}},"
        + "\"Labels\":{\"a\":\"2\",\"z\":\"1\"},\"Healthcheck\":{\"Test\":[\"CMD\",\"true\"],"
        + "\"Interval\":30000000000,\"Retries\":3,\"StartInterval\":5000000000},"), out);
    assertEquals(c, OciJson.read(utf8(out), ImageConfig.class, "config"));
  }

  @Test
  void buildsConfigWithWithers() {
    ImageConfig c = ImageConfig.of(Platform.LINUX_ARM64)
        .withEnv("PATH", "/usr/bin").withEnv("A", "1").withEnv("PATH", "/bin")
        .withEntrypoint(List.of("/app")).withWorkingDir("/w").withLabel("k", "v")
        .withExposedPort("8080").withCreated(Instant.EPOCH)
        .withLayerAppended(Digest.parse(D1), History.of(Instant.EPOCH, "layer 1"))
        .withHistoryAppended(History.of(null, "ENV").asEmptyLayer())
        .withConfig(cc -> cc.withHealthcheck(Healthcheck.of(List.of("NONE"), null)));
    assertEquals(List.of("PATH=/bin", "A=1"), c.config().env());
    assertEquals("/bin", c.config().envValue("PATH"));
    assertEquals(List.of("8080/tcp"), List.copyOf(c.config().exposedPorts()));
    assertEquals(1, c.diffIds().size());
    assertEquals(2, c.history().size());
    assertEquals(Platform.LINUX_ARM64, c.platform());
    assertEquals(c, OciJson.read(OciJson.write(c), ImageConfig.class, "config"));
    assertEquals("Env", assertThrows(InvalidInputException.class,
        () -> ContainerConfig.EMPTY.withEnv("A=B", "x")).field());
    assertEquals("WorkingDir", assertThrows(InvalidInputException.class,
        () -> ContainerConfig.EMPTY.withWorkingDir("rel")).field());
    assertEquals("ExposedPorts", assertThrows(InvalidInputException.class,
        () -> ContainerConfig.EMPTY.withExposedPort("http")).field());
    assertEquals("history", assertThrows(InvalidInputException.class,
        () -> c.withLayerAppended(Digest.parse(D2), History.of(null, "x").asEmptyLayer())).field());
  }

  @Test
  void readsIndexAndPicksPlatform() {
    Descriptor amd = Descriptor.of(MediaType.OCI_MANIFEST, Digest.parse(D1), 1)
        .withPlatform(Platform.LINUX_AMD64);
    Descriptor arm = Descriptor.of(MediaType.OCI_MANIFEST, Digest.parse(D2), 2)
        .withPlatform(Platform.parse("linux/arm64/v8"));
    ImageIndex idx = ImageIndex.of(List.of(amd, arm));
    byte[] json = OciJson.write(idx);
    assertTrue(text(json).contains("\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\","
        + "\"variant\":\"v8\"}"), text(json));
    ImageIndex back = OciJson.read(json, ImageIndex.class, "index");
    assertEquals(idx, back);
    assertEquals(arm, back.manifestFor(Platform.LINUX_ARM64).orElseThrow());
    assertEquals(amd, back.manifestFor(Platform.parse("linux/x86_64")).orElseThrow());
    assertTrue(back.manifestFor(Platform.parse("linux/s390x")).isEmpty());
  }

  @Test
  void keepsUnknownFieldsOfPlatformAndRootfs() {
    String index = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" + MediaType.OCI_MANIFEST
        + "\",\"digest\":\"" + D1 + "\",\"size\":1,\"platform\":{\"architecture\":\"arm64\","
        + "\"os\":\"linux\",\"features\":[\"sse4\"]}}]}"; // unknown fields follow known ones
    ImageIndex i = OciJson.read(utf8(index), ImageIndex.class, "index");
    assertEquals(List.of("sse4"), i.manifests().get(0).platform().unknownFields().get("features"));
    assertEquals(index, text(OciJson.write(i)));
    String config = "{\"architecture\":\"amd64\",\"os\":\"windows\",\"config\":{},"
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[],\"base_layer\":\"x\"}}";
    ImageConfig c = OciJson.read(utf8(config), ImageConfig.class, "config");
    assertEquals("x", c.rootfs().unknownFields().get("base_layer"));
    assertEquals(config, text(OciJson.write(c)));
  }

  @Test
  void rejectsMalformedDocumentsNamingThem() {
    String good = "\"config\":{\"mediaType\":\"" + MediaType.OCI_CONFIG + "\",\"digest\":\"" + D1
        + "\",\"size\":10},\"layers\":[]";
    expectMalformed("{\"schemaVersion\":1," + good + "}", ImageManifest.class,
        "manifest.schemaVersion");
    expectMalformed("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_INDEX + "\"," + good
        + "}", ImageManifest.class, "manifest.mediaType");
    expectMalformed("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST
        + "\",\"manifests\":[]}", ImageIndex.class, "index.mediaType");
    expectMalformed("{\"schemaVersion\":2,\"layers\":[]}", ImageManifest.class, "manifest.config");
    expectMalformed("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:00\","
        + "\"size\":1},\"layers\":[]}", ImageManifest.class, "digest");
    expectMalformed("{\"os\":\"linux\"}", ImageConfig.class, "config.architecture");
    expectMalformed("{\"os\":\"linux\",\"architecture\":\"amd64\",\"rootfs\":{\"type\":\"x\"}}",
        ImageConfig.class, "rootfs.type");
    expectMalformed("{\"os\":\"linux\",\"architecture\":\"amd64\",\"created\":\"yesterday\"}",
        ImageConfig.class, "created");
    expectMalformed("{\"schemaVersion\":2,\"schemaVersion\":2," + good + "}", ImageManifest.class,
        null);
    expectMalformed("{\"schemaVersion\":2," + good + "} {}", ImageManifest.class, null);
    expectMalformed("{\"schemaVersion\":2,", ImageManifest.class, null);
    expectMalformed("null", ImageManifest.class, null);
    expectMalformed("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"" + D1
        + "\"},\"layers\":[]}", ImageManifest.class, null);
  }

  private static void expectMalformed(String json, Class<?> type, String field) {
    MalformedContentException e = assertThrows(MalformedContentException.class,
        () -> OciJson.read(utf8(json), type, "blob X"), json);
    assertEquals("blob X", e.what());
    assertTrue(e.getMessage().startsWith("malformed blob X: "), e.getMessage());
    if (field != null) {
      InvalidInputException cause = assertInstanceOf(InvalidInputException.class, e.getCause(),
          e.getMessage());
      assertEquals(field, cause.field(), e.getMessage());
    }
  }

  @Test
  void writesMapsSortedAndLeavesOutAbsentFields() {
    assertEquals("{\"a\":1,\"b\":2}", text(OciJson.write(new java.util.LinkedHashMap<>(
        Map.of("b", 2, "a", 1)))));
    ImageConfig c = ImageConfig.of(Platform.LINUX_AMD64);
    assertEquals("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", text(OciJson.write(c)));
  }
}
