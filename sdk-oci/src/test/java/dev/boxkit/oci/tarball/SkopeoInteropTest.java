package dev.boxkit.oci.tarball;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.layout.OciLayout;
import dev.boxkit.oci.validate.ImageValidator;
import dev.boxkit.testing.ExternalTools;
import dev.boxkit.testing.TestImages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** skopeo and umoci, the reference readers, accept what BoxKit writes. */
class SkopeoInteropTest {
  @TempDir Path tmp;

  static String run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES), String.join(" ", cmd));
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + out);
    return out;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> json(String text) {
    return dev.boxkit.oci.json.OciJson.read(text.getBytes(StandardCharsets.UTF_8), Map.class,
        "skopeo output");
  }

  @Test
  void skopeoInspectsTheOciLayout() throws Exception {
    Path skopeo = ExternalTools.require("skopeo", "skopeo");
    OciLayout layout = OciLayout.create(tmp.resolve("layout"));
    TestImages.Written w = TestImages.write(layout, "v1");
    Map<String, Object> info = json(run(List.of(skopeo.toString(), "inspect",
        "oci:" + layout.dir() + ":v1")));
    assertEquals("amd64", info.get("Architecture"));
    assertEquals("linux", info.get("Os"));
    assertEquals(w.manifestDescriptor().digest().toString(), info.get("Digest"));
    List<String> layers = new ArrayList<>();
    for (Descriptor d : w.manifest().layers()) {
      layers.add(d.digest().toString());
    }
    assertEquals(layers, info.get("Layers"));
    assertTrue(((List<?>) info.get("Env")).contains("PATH=/usr/local/bin:/usr/bin:/bin"));
    // A full copy reads and verifies every blob.
    run(List.of(skopeo.toString(), "copy", "oci:" + layout.dir() + ":v1",
        "oci:" + tmp.resolve("copy") + ":v1"));
    OciLayout copy = OciLayout.open(tmp.resolve("copy"));
    copy.verify();
    ImageValidator.validate(copy);
  }

  @Test
  void skopeoReadsTheDockerArchive() throws Exception {
    Path skopeo = ExternalTools.require("skopeo", "skopeo");
    OciLayout layout = OciLayout.create(tmp.resolve("layout"));
    TestImages.Written w = TestImages.write(layout, "v1");
    Path tar = tmp.resolve("image.tar");
    DockerArchive.write(tar, layout, w.manifestDescriptor(),
        List.of(ImageReference.parse("example.com/team/app:1.0")));
    Map<String, Object> info = json(run(List.of(skopeo.toString(), "inspect",
        "docker-archive:" + tar)));
    assertEquals("amd64", info.get("Architecture"));
    assertEquals(2, ((List<?>) info.get("Layers")).size());
    // The image is found by its repo tag (skopeo fails when no image has it).
    Map<String, Object> byTag = json(run(List.of(skopeo.toString(), "inspect",
        "docker-archive:" + tar + ":example.com/team/app:1.0")));
    assertEquals(info.get("Digest"), byTag.get("Digest"));
    // The same tarball is an OCI archive, tagged by the same references.
    Map<String, Object> oci = json(run(List.of(skopeo.toString(), "inspect",
        "oci-archive:" + tar + ":1.0")));
    assertEquals(w.manifestDescriptor().digest().toString(), oci.get("Digest"));
    // Copying out of the archive decompresses the gzip layers and checks them against diff_ids.
    run(List.of(skopeo.toString(), "copy", "docker-archive:" + tar,
        "oci:" + tmp.resolve("fromtar") + ":app"));
    OciLayout back = OciLayout.open(tmp.resolve("fromtar"));
    back.verify();
    ImageValidator.validate(back);
    assertEquals(w.config().diffIds(), back.readConfig(back.readManifest(back.resolve("app"))
        .config()).diffIds());
  }

  @Test
  void skopeoReadsAnArchiveBuiltFromPartsWithMixedLayers() throws Exception {
    Path skopeo = ExternalTools.require("skopeo", "skopeo");
    TestImages.Layer plain = TestImages.layer(Map.of("a/plain.txt", "plain"));
    TestImages.Layer gz = TestImages.layer(Map.of("b/gz.txt", "gz"));
    Path plainFile = Files.write(tmp.resolve("plain.tar"), plain.tar());
    Path gzFile = Files.write(tmp.resolve("gz.tar.gz"), gz.gzip());
    byte[] config = dev.boxkit.oci.json.OciJson.write(TestImages.config(List.of(plain, gz)));
    Path tar = tmp.resolve("parts.tar");
    DockerArchive.write(tar, config, List.of(
        new DockerArchive.LayerBlob(plainFile, plain.diffId(), MediaType.OCI_LAYER_TAR),
        new DockerArchive.LayerBlob(gzFile, gz.digest(), MediaType.DOCKER_LAYER_TAR_GZIP)),
        List.of(ImageReference.parse("parts:1")));
    run(List.of(skopeo.toString(), "inspect", "docker-archive:" + tar + ":docker.io/library/parts:1"));
    run(List.of(skopeo.toString(), "copy", "docker-archive:" + tar,
        "oci:" + tmp.resolve("a") + ":x"));
    run(List.of(skopeo.toString(), "copy", "oci-archive:" + tar + ":1",
        "oci:" + tmp.resolve("b") + ":x"));
    for (String d : List.of("a", "b")) {
      OciLayout copy = OciLayout.open(tmp.resolve(d));
      ImageValidator.validate(copy);
      assertEquals(List.of(plain.diffId(), gz.diffId()), copy.readConfig(
          copy.readManifest(copy.resolve("x")).config()).diffIds());
    }
  }

  @Test
  void umociUnpacksTheOciLayout() throws Exception {
    Path umoci = ExternalTools.require("umoci", "umoci");
    OciLayout layout = OciLayout.create(tmp.resolve("layout"));
    TestImages.write(layout, "v1");
    Path bundle = tmp.resolve("bundle");
    run(List.of(umoci.toString(), "unpack", "--rootless", "--image", layout.dir() + ":v1",
        bundle.toString()));
    assertEquals("hello\n", Files.readString(bundle.resolve("rootfs/etc/hello.txt")));
    assertEquals("data for v1\n", Files.readString(bundle.resolve("rootfs/app/data.txt")));
  }
}
