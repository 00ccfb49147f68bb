package dev.boxkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.layout.OciLayout;
import dev.boxkit.testing.ExternalTools;
import dev.boxkit.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** docker:// locations against a real registry on 127.0.0.1 (plain HTTP), checked with skopeo. */
class RegistryCommandsTest {
  private static TestRegistry registry;

  @TempDir Path tmp;

  @BeforeAll
  static void startRegistry() {
    registry = TestRegistry.start();
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  private Cli.Result boxkit(String command, String... args) {
    List<String> all = new ArrayList<>(List.of(command, "--cache-dir", tmp.resolve("cache").toString()));
    all.addAll(Arrays.asList(args));
    return Cli.run(all.toArray(String[]::new));
  }

  private static Digest digestOf(Cli.Result r) {
    assertEquals(0, r.exitCode(), r.toString());
    return Digest.parse(r.out().strip());
  }

  private String skopeoDigest(Path skopeo, String ref) throws Exception {
    Cli.Result r = Cli.exec(List.of(skopeo.toString(), "inspect", "--tls-verify=false", "--format", "{{.Digest}}", ref));
    assertEquals(0, r.exitCode(), r.toString());
    return r.out().strip();
  }

  @Test
  void pushesBuildsOnPullsAndCopies() throws Exception {
    Path skopeo = ExternalTools.require("skopeo", "skopeo");
    Path app = Files.createDirectories(tmp.resolve("app"));
    Files.writeString(app.resolve("a.txt"), "a\n");
    String base = "docker://" + registry.host() + "/cli/base:1";
    Digest pushed = digestOf(boxkit("build", "-q", "--tls-verify=false", "--layer", app + ":/app",
        "--env", "FROM_BASE=yes", "--output", base));
    assertEquals(pushed.toString(), skopeoDigest(skopeo, base));

    String child = "docker://" + registry.host() + "/cli/child:1";
    Digest childDigest = digestOf(boxkit("build", "-q", "--tls-verify=false", "--from", base,
        "--env", "CHILD=yes", "--output", child));
    assertEquals(childDigest.toString(), skopeoDigest(skopeo, child));
    Cli.Result inspect = boxkit("inspect", "--tls-verify=false", child);
    assertEquals(0, inspect.exitCode(), inspect.toString());
    assertTrue(inspect.out().contains("FROM_BASE=yes") && inspect.out().contains("CHILD=yes"), inspect.out());

    Path layout = tmp.resolve("layout");
    assertEquals(childDigest, digestOf(boxkit("copy", "--tls-verify=false", child, "oci:" + layout + ":child")));
    assertEquals(childDigest, OciLayout.open(layout).resolve("child").digest());
    String copy = "docker://" + registry.host() + "/cli/copy:2";
    assertEquals(childDigest, digestOf(boxkit("copy", "--tls-verify=false", "oci:" + layout + ":child", copy)));
    assertEquals(childDigest.toString(), skopeoDigest(skopeo, copy));

    Path tree = tmp.resolve("tree");
    assertEquals(0, boxkit("unpack", "--tls-verify=false", copy, tree.toString()).exitCode());
    assertEquals("a\n", Files.readString(tree.resolve("app/a.txt")));
  }

  @Test
  void runsAnImageFromTheRegistry() throws Exception {
    Cli.requireSandbox();
    String ref = "docker://" + registry.host() + "/cli/sh:1";
    digestOf(boxkit("build", "-q", "--tls-verify=false", "--executables", "/bin/sh", "--entrypoint", "/bin/sh",
        "--output", ref));
    Cli.Result r = Cli.runInChildJvm("run", "--cache-dir", tmp.resolve("other-cache").toString(),
        "--tls-verify=false", "--image", ref, "--", "-c", "echo pulled");
    assertEquals(0, r.exitCode(), r.toString());
    assertEquals("pulled\n", r.out());
  }

  @Test
  void registryFailuresAre125WithTheReason() {
    String ref = "docker://" + registry.host() + "/cli/missing:1";
    Cli.Result missing = boxkit("inspect", "--tls-verify=false", ref);
    assertEquals(125, missing.exitCode(), missing.toString());
    assertTrue(missing.err().startsWith("boxkit: ") && missing.err().contains("cli/missing"), missing.toString());

    Cli.Result tls = boxkit("inspect", ref);
    assertEquals(125, tls.exitCode(), "TLS to a plain HTTP registry fails unless --tls-verify=false: " + tls);

    Cli.Result badRef = boxkit("inspect", "docker:/" + registry.host() + "/x:1");
    assertEquals(2, badRef.exitCode(), badRef.toString());
    assertTrue(badRef.err().contains("docker://HOST"), badRef.toString());
  }

  @Test
  void credsAndAuthfileReachARegistryWithBasicAuth() throws Exception {
    try (TestRegistry secured = TestRegistry.builder().htpasswd("alice", "s3cret").start()) {
      String ref = "docker://" + secured.host() + "/cli/private:1";
      Cli.Result anonymous = boxkit("build", "-q", "--tls-verify=false", "--authfile",
          Files.writeString(tmp.resolve("empty.json"), "{}").toString(), "--output", ref);
      assertEquals(125, anonymous.exitCode(), anonymous.toString());

      Cli.Result badCreds = boxkit("build", "-q", "--tls-verify=false", "--creds", "nocolon", "--output", ref);
      assertEquals(125, badCreds.exitCode(), badCreds.toString());
      assertTrue(!badCreds.err().contains("nocolon"), "the credentials are not echoed: " + badCreds);

      digestOf(boxkit("build", "-q", "--tls-verify=false", "--creds", "alice:s3cret", "--output", ref));

      String auth = java.util.Base64.getEncoder().encodeToString("alice:s3cret".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      Path authFile = Files.writeString(tmp.resolve("auth.json"),
          "{\"auths\":{\"" + secured.host() + "\":{\"auth\":\"" + auth + "\"}}}");
      Cli.Result inspect = boxkit("inspect", "--tls-verify=false", "--authfile", authFile.toString(), ref);
      assertEquals(0, inspect.exitCode(), inspect.toString());
    }
  }
}
