package dev.boxkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.layout.OciLayout;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** build, inspect, unpack and copy: the commands that make and move images. */
class ImageCommandsTest {
  @TempDir Path tmp;

  private Path appDir() throws IOException {
    Path app = tmp.resolve("src/app");
    if (!Files.exists(app)) {
      Files.createDirectories(app.resolve("conf"));
      Files.writeString(app.resolve("run.sh"), "#!/bin/sh\necho hello\n");
      Files.setPosixFilePermissions(app.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.writeString(app.resolve("conf/app.properties"), "mode=prod\n");
    }
    return app;
  }

  private Cli.Result build(String... args) {
    List<String> all = new ArrayList<>(List.of("build", "--cache-dir", tmp.resolve("cache").toString()));
    all.addAll(List.of(args));
    return Cli.run(all.toArray(String[]::new));
  }

  private static Digest digestOf(Cli.Result r) {
    assertEquals(0, r.exitCode(), r.toString());
    String[] lines = r.out().split("\n");
    assertEquals(1, lines.length, "stdout holds the digest only: " + r);
    return Digest.parse(lines[0]);
  }

  @Test
  void buildsFromADirectoryAndSkopeoSeesTheDigestAndConfig() throws Exception {
    Path skopeo = ExternalTools.require("skopeo", "skopeo");
    Path out = tmp.resolve("out");
    Digest digest = digestOf(build("--layer", appDir() + ":/app", "--entrypoint", "/app/run.sh",
        "--cmd", "--verbose", "--env", "MODE=prod", "--label", "org.opencontainers.image.title=demo",
        "--expose", "8080/tcp", "--workdir", "/app", "--user", "1000:1000",
        "--output", "oci:" + out + ":demo:1"));

    String inspect = Cli.exec(List.of(skopeo.toString(), "inspect", "oci:" + out + ":demo:1")).out();
    assertTrue(inspect.contains("\"Digest\": \"" + digest + "\""), inspect);
    String config = Cli.exec(List.of(skopeo.toString(), "inspect", "--config", "oci:" + out + ":demo:1")).out();
    for (String expected : new String[] {"\"MODE=prod\"", "\"/app/run.sh\"", "\"--verbose\"",
        "\"8080/tcp\"", "\"WorkingDir\": \"/app\"", "\"User\": \"1000:1000\"", "\"demo\""}) {
      assertTrue(config.contains(expected), expected + " in " + config);
    }
    OciLayout.open(out).verify();
  }

  @Test
  void sameInputsGiveTheSameDigest() throws IOException {
    String layer = appDir() + ":/app";
    Digest a = digestOf(build("--layer", layer, "--cmd", "/app/run.sh", "--output", "oci:" + tmp.resolve("a") + ":x"));
    Digest b = digestOf(Cli.run("build", "--cache-dir", tmp.resolve("other-cache").toString(), "--layer", layer,
        "--cmd", "/app/run.sh", "--output", "oci:" + tmp.resolve("b") + ":x"));
    assertEquals(a, b);
    Digest c = digestOf(build("--layer", layer, "--cmd", "/app/run.sh", "--env", "X=1",
        "--output", "oci:" + tmp.resolve("c") + ":x"));
    assertNotEquals(a, c);
  }

  @Test
  void permissionFlagsChooseHowHostModesLand() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("private"));
    Path key = Files.writeString(dir.resolve("key"), "k");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-rw----"));
    assertEquals(0640, keyMode(build("--layer", dir + ":/s", "--output", "oci:" + tmp.resolve("d") + ":x"), "d"));
    assertEquals(0660, keyMode(build("--preserve-permissions", "--layer", dir + ":/s",
        "--output", "oci:" + tmp.resolve("p") + ":x"), "p"));
    assertEquals(0644, keyMode(build("--normalize-permissions", "--layer", dir + ":/s",
        "--output", "oci:" + tmp.resolve("n") + ":x"), "n"));
    Cli.Result both = Cli.run("build", "--cache-dir", tmp.resolve("cache").toString(), "--preserve-permissions",
        "--normalize-permissions", "--layer", dir + ":/s", "--output", "oci:" + tmp.resolve("e") + ":x");
    assertNotEquals(0, both.exitCode(), both.toString());
    assertTrue(both.toString().contains("--normalize-permissions"), both.toString());
  }

  @Test
  void compressionFlagChoosesTheLayerMediaType() throws IOException {
    String layer = appDir() + ":/app";
    digestOf(build("--compression", "zstd", "--layer", layer, "--output", "oci:" + tmp.resolve("z") + ":x"));
    OciLayout layout = OciLayout.open(tmp.resolve("z"));
    dev.boxkit.oci.ImageManifest m = layout.readManifest(layout.resolve("x"));
    assertEquals(dev.boxkit.oci.MediaType.OCI_LAYER_TAR_ZSTD, m.layers().get(0).mediaType());
    layout.verify();
    Cli.Result bad = build("--compression", "brotli", "--layer", layer, "--output", "oci:" + tmp.resolve("b") + ":x");
    assertNotEquals(0, bad.exitCode(), bad.toString());
    assertTrue(bad.toString().contains("expected gzip, zstd or none"), bad.toString());
  }

  private int keyMode(Cli.Result r, String layoutName) throws IOException {
    digestOf(r);
    OciLayout layout = OciLayout.open(tmp.resolve(layoutName));
    dev.boxkit.oci.ImageManifest m = dev.boxkit.oci.json.OciJson.read(
        layout.readBlob(layout.resolve("x")), dev.boxkit.oci.ImageManifest.class, "manifest");
    try (java.io.InputStream in = layout.openBlob(m.layers().get(0))) {
      return dev.boxkit.oci.layer.LayerReader.read(in).entries().stream()
          .filter(e -> e.name().equals("s/key")).findFirst().orElseThrow().mode();
    }
  }

  @Test
  void writesADockerArchiveThatSkopeoReads() throws Exception {
    Path skopeo = ExternalTools.require("skopeo", "skopeo");
    Path archive = tmp.resolve("app.tar");
    digestOf(build("--layer", appDir() + ":/app", "--platform", "linux/arm64",
        "--output", "docker-archive:" + archive + ":app:1"));
    Cli.Result inspect = Cli.exec(List.of(skopeo.toString(), "inspect", "docker-archive:" + archive));
    assertEquals(0, inspect.exitCode(), inspect.toString());
    assertTrue(inspect.out().contains("\"Architecture\": \"arm64\""), inspect.out());
    String manifest = Cli.exec(List.of("tar", "-xOf", archive.toString(), "manifest.json")).out();
    assertTrue(manifest.contains("\"RepoTags\":[\"app:1\"]"), manifest);
  }

  @Test
  void buildsOnADockerArchiveWrittenByBoxkitOrBySkopeo() throws Exception {
    Path skopeo = ExternalTools.require("skopeo", "skopeo");
    Path ours = tmp.resolve("ours.tar");
    digestOf(build("--layer", appDir() + ":/app", "--env", "MODE=prod", "--output", "docker-archive:" + ours + ":base:1"));
    Path layout = tmp.resolve("layout");
    digestOf(build("--layer", appDir() + ":/app", "--env", "MODE=prod", "--output", "oci:" + layout + ":base"));
    Path theirs = tmp.resolve("theirs.tar");
    Cli.Result copy = Cli.exec(List.of(skopeo.toString(), "copy", "oci:" + layout + ":base",
        "docker-archive:" + theirs + ":base:1"));
    assertEquals(0, copy.exitCode(), copy.toString());

    Path extra = Files.writeString(tmp.resolve("extra.txt"), "extra\n");
    for (Path archive : List.of(ours, theirs)) {
      Path out = tmp.resolve("child-" + archive.getFileName());
      digestOf(build("--from", "docker-archive:" + archive, "--layer", extra + ":/etc/extra.txt",
          "--output", "oci:" + out + ":child"));
      OciLayout.open(out).verify();
      Cli.Result inspect = Cli.run("inspect", "oci:" + out + ":child");
      assertTrue(inspect.out().contains("MODE=prod"), inspect.toString());
      assertEquals(2, inspect.out().split("application/vnd.oci.image.layer.v1.tar", -1).length - 1, inspect.out());
      Cli.Result direct = Cli.run("inspect", "docker-archive:" + archive);
      assertEquals(0, direct.exitCode(), direct.toString());
      assertTrue(direct.out().contains("MODE=prod"), direct.toString());
    }
  }

  @Test
  void unpackWritesTheTreeIntoANewDirectoryOnly() throws IOException {
    Path layout = tmp.resolve("layout");
    digestOf(build("--layer", appDir() + ":/app", "--output", "oci:" + layout + ":app"));
    Path tree = tmp.resolve("tree");
    Cli.Result r = Cli.run("unpack", "oci:" + layout + ":app", tree.toString());
    assertEquals(0, r.exitCode(), r.toString());
    assertEquals("#!/bin/sh\necho hello\n", Files.readString(tree.resolve("app/run.sh")));
    assertTrue(Files.isExecutable(tree.resolve("app/run.sh")));
    assertEquals("mode=prod\n", Files.readString(tree.resolve("app/conf/app.properties")));

    Cli.Result again = Cli.run("unpack", "oci:" + layout + ":app", tree.toString());
    assertEquals(125, again.exitCode(), again.toString());
    assertTrue(again.err().contains("already exists"), again.toString());
  }

  @Test
  void copyMovesAnImageBetweenLayoutsAndArchives() throws Exception {
    Path skopeo = ExternalTools.require("skopeo", "skopeo");
    Path layout = tmp.resolve("layout");
    Digest built = digestOf(build("--layer", appDir() + ":/app", "--output", "oci:" + layout + ":app"));

    Cli.Result toLayout = Cli.run("copy", "oci:" + layout + ":app", "oci:" + tmp.resolve("copy") + ":app:2");
    assertEquals(built, digestOf(toLayout), "blobs copied as stored");
    assertEquals(built, OciLayout.open(tmp.resolve("copy")).resolve("app:2").digest());

    Path archive = tmp.resolve("app.tar");
    digestOf(Cli.run("copy", "oci:" + layout + ":app", "docker-archive:" + archive + ":app:1"));
    Cli.Result inspect = Cli.exec(List.of(skopeo.toString(), "inspect", "docker-archive:" + archive));
    assertEquals(0, inspect.exitCode(), inspect.toString());

    Digest back = digestOf(Cli.run("copy", "docker-archive:" + archive, "oci:" + tmp.resolve("back") + ":app"));
    assertEquals(built, back, "the same layers and config give the same OCI manifest");

    Cli.Result later = Cli.run("copy", "oci:" + layout + ":app", "oci-archive:" + tmp.resolve("a.tar"));
    assertEquals(2, later.exitCode(), later.toString());
    assertTrue(later.err().contains("not supported yet"), later.toString());
  }

  @Test
  void buildsOnABaseFromALayout() throws IOException {
    Path layout = tmp.resolve("layout");
    Digest base = digestOf(build("--layer", appDir() + ":/app", "--env", "MODE=prod", "--entrypoint", "/app/run.sh",
        "--output", "oci:" + layout + ":base"));
    Path extra = Files.writeString(tmp.resolve("extra.txt"), "extra\n");
    Digest child = digestOf(build("--from", "oci:" + layout + ":base", "--layer", extra + ":/etc/extra.txt",
        "--env", "EXTRA=1", "--output", "oci:" + layout + ":child"));
    assertNotEquals(base, child);

    Cli.Result inspect = Cli.run("inspect", "oci:" + layout + ":child");
    assertEquals(0, inspect.exitCode(), inspect.toString());
    String json = inspect.out();
    assertTrue(json.startsWith("{\"digest\":\"" + child + "\""), json);
    assertTrue(json.contains("MODE=prod") && json.contains("EXTRA=1") && json.contains("/app/run.sh"), json);
    assertEquals(2, json.split("application/vnd.oci.image.layer.v1.tar", -1).length - 1, "two layers: " + json);
    assertEquals(base, OciLayout.open(layout).resolve("base").digest(), "the base tag is kept");

    digestOf(build("--from", "oci:" + layout + ":base", "--entrypoint", "", "--cmd", "/bin/true",
        "--output", "oci:" + layout + ":cleared"));
    String cleared = Cli.run("inspect", "oci:" + layout + ":cleared").out();
    assertFalse(cleared.contains("\"Entrypoint\""), cleared);
    assertTrue(cleared.contains("\"Cmd\":[\"/bin/true\"]"), cleared);
  }

  @Test
  void badLayerFlagsAreUsageErrorsNamingTheFlag() throws IOException {
    Path out = tmp.resolve("out");
    String[][] cases = {
        {appDir().toString(), "HOSTPATH:IMAGEPATH"},
        {appDir() + ":app", "image path"},
        {tmp.resolve("missing") + ":/app", "does not exist"},
    };
    for (String[] c : cases) {
      Cli.Result r = build("--layer", c[0], "--output", "oci:" + out + ":x");
      assertEquals(2, r.exitCode(), r.toString());
      assertTrue(r.err().contains("--layer") && r.err().contains(c[1]), r.toString());
      assertEquals("", r.out());
    }
    assertFalse(Files.exists(out), "nothing written");
  }

  @Test
  void otherBadInput() throws IOException {
    Cli.Result noOutput = build("--layer", appDir() + ":/app");
    assertEquals(2, noOutput.exitCode(), noOutput.toString());
    assertTrue(noOutput.err().contains("--output"), noOutput.toString());

    Cli.Result badOutput = build("--output", "oci:" + tmp.resolve("o"));
    assertEquals(2, badOutput.exitCode(), badOutput.toString());
    assertTrue(badOutput.err().contains("--output") && badOutput.err().contains("oci:DIR:TAG"), badOutput.toString());

    Cli.Result later = build("--output", "dir:" + tmp.resolve("d"));
    assertEquals(2, later.exitCode(), later.toString());
    assertTrue(later.err().contains("not supported yet"), later.toString());

    Path notAnArchive = Files.writeString(tmp.resolve("base.tar"), "not a tar");
    Cli.Result archiveBase = build("--from", "docker-archive:" + notAnArchive,
        "--output", "oci:" + tmp.resolve("o") + ":x");
    assertEquals(125, archiveBase.exitCode(), archiveBase.toString());
    assertTrue(archiveBase.err().contains(notAnArchive.toString()), archiveBase.toString());

    Cli.Result missingBase = build("--from", "oci:" + tmp.resolve("nope") + ":x", "--output", "oci:" + tmp.resolve("o") + ":x");
    assertEquals(125, missingBase.exitCode(), missingBase.toString());
    assertTrue(missingBase.err().startsWith("boxkit: "), missingBase.toString());

    Cli.Result badPort = build("--expose", "70000/tcp", "--output", "oci:" + tmp.resolve("o") + ":x");
    assertEquals(125, badPort.exitCode(), badPort.toString());
    assertTrue(badPort.err().contains("exposedPort"), badPort.toString());
    assertFalse(Files.exists(tmp.resolve("o")), "nothing written");
  }
}
