package dev.boxkit.oci.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.json.OciJson;
import dev.boxkit.testing.ExternalTools;
import dev.boxkit.testing.TestRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What BoxKit pushes, skopeo reads back unchanged; what skopeo pushes, BoxKit fetches and verifies. */
class SkopeoInteropTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static TestRegistry registry;
  private static RegistryClient client;

  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    registry = TestRegistry.start();
    client = RegistryClient.builder().insecureRegistry(registry.host())
        .retryPolicy(RetryPolicy.of(2, Duration.ofMillis(10)))
        .credentials(CredentialsProvider.anonymous()).build();
  }

  @AfterAll
  static void stop() {
    if (registry != null) {
      registry.close();
    }
  }

  static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", cmd) + " failed:\n" + out);
    return out;
  }

  @Test
  void skopeoReadsWhatBoxKitPushed() throws Exception {
    Path skopeo = ExternalTools.require("skopeo", "skopeo");
    ImageReference r = ImageReference.of(registry.host(), "interop/boxkit", "v1");
    TestImage img = TestImage.of(Platform.LINUX_AMD64, Map.of("one.txt", "1", "two.txt", "22"));
    RegistryClientTest.pushAll(client, r, img);
    String ref = "docker://" + r;

    String raw = run(skopeo.toString(), "inspect", "--tls-verify=false", "--raw", ref);
    assertArrayEquals(img.manifest(), raw.getBytes(StandardCharsets.UTF_8));
    JsonNode info = JSON.readTree(run(skopeo.toString(), "inspect", "--tls-verify=false", ref));
    assertEquals(img.manifestDigest().toString(), info.path("Digest").asText());
    assertEquals(2, info.path("Layers").size());

    Path out = tmp.resolve("copy");
    run(skopeo.toString(), "copy", "--src-tls-verify=false", ref, "oci:" + out + ":v1");
    JsonNode index = JSON.readTree(out.resolve("index.json").toFile());
    assertEquals(img.manifestDigest().toString(), index.path("manifests").get(0).path("digest").asText());
    for (Map.Entry<Digest, byte[]> blob : img.blobs().entrySet()) {
      assertArrayEquals(blob.getValue(),
          Files.readAllBytes(out.resolve("blobs/sha256/" + blob.getKey().hex())));
    }
  }

  @Test
  void boxKitFetchesWhatSkopeoPushed() throws Exception {
    Path skopeo = ExternalTools.require("skopeo", "skopeo");
    Path umoci = ExternalTools.require("umoci", "umoci");
    Path layout = tmp.resolve("layout");
    run(umoci.toString(), "init", "--layout", layout.toString());
    run(umoci.toString(), "new", "--image", layout + ":t");
    Path bundle = tmp.resolve("bundle");
    run(umoci.toString(), "unpack", "--rootless", "--image", layout + ":t", bundle.toString());
    Files.writeString(bundle.resolve("rootfs/hello"), "hello from umoci\n");
    run(umoci.toString(), "repack", "--image", layout + ":t", bundle.toString());
    ImageReference r = ImageReference.of(registry.host(), "interop/skopeo", "t");
    run(skopeo.toString(), "copy", "--dest-tls-verify=false", "oci:" + layout + ":t", "docker://" + r);
    String expected = JSON.readTree(layout.resolve("index.json").toFile()).path("manifests").get(0)
        .path("digest").asText();

    RegistryManifest m = client.fetchManifest(r);
    assertEquals(expected, m.digest().toString());
    assertEquals(MediaType.OCI_MANIFEST, m.mediaType());
    ImageManifest manifest = OciJson.read(m.content(), ImageManifest.class, "manifest");
    List<Descriptor> blobs = new ArrayList<>(manifest.layers());
    blobs.add(manifest.config());
    assertEquals(1, manifest.layers().size());
    for (Descriptor d : blobs) {
      Path target = tmp.resolve("fetched-" + d.digest().hex());
      client.fetchBlob(r, d.digest(), d.size(), target);
      assertArrayEquals(Files.readAllBytes(layout.resolve("blobs/sha256/" + d.digest().hex())),
          Files.readAllBytes(target));
    }
    assertTrue(client.listTags(r).contains("t"));
  }
}
