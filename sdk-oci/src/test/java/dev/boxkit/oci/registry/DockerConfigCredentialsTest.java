package dev.boxkit.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.OciException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerConfigCredentialsTest {
  @TempDir Path tmp;

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void readsAuthsByHostAndDockerHubKey() throws Exception {
    Path cfg = tmp.resolve("config.json");
    Files.writeString(cfg, "{\"auths\":{"
        + "\"reg.example:5000\":{\"auth\":\"" + b64("u1:p:with:colons") + "\"},"
        + "\"https://index.docker.io/v1/\":{\"auth\":\"" + b64("hub:hubpw") + "\"},"
        + "\"https://ghcr.io\":{\"username\":\"gh\",\"password\":\"ghpw\"}}}");
    DockerConfigCredentials c = new DockerConfigCredentials(cfg, List.of());
    assertEquals(Optional.of(new Credentials("u1", "p:with:colons")), c.find("reg.example:5000"));
    assertEquals(Optional.of(new Credentials("hub", "hubpw")), c.find("docker.io"));
    assertEquals(Optional.of(new Credentials("gh", "ghpw")), c.find("ghcr.io"));
    assertEquals(Optional.empty(), c.find("other.example"));
  }

  @Test
  void defaultLocationsFollowSkopeoThenDocker() {
    assertEquals(java.util.Arrays.asList(Path.of("/a/auth.json"), Path.of("/d/config.json")),
        DockerConfigCredentials.defaultFiles(java.util.Map.of("REGISTRY_AUTH_FILE", "/a/auth.json",
            "XDG_RUNTIME_DIR", "/run/user/1", "DOCKER_CONFIG", "/d"), "/home/u"));
    assertEquals(java.util.Arrays.asList(Path.of("/run/user/1/containers/auth.json"),
            Path.of("/home/u/.docker/config.json")),
        DockerConfigCredentials.defaultFiles(java.util.Map.of("XDG_RUNTIME_DIR", "/run/user/1"), "/home/u"));
    assertEquals(java.util.Arrays.asList(null, Path.of("/home/u/.docker/config.json")),
        DockerConfigCredentials.defaultFiles(java.util.Map.of(), "/home/u"));
  }

  @Test
  void missingFileMeansAnonymous() {
    assertEquals(Optional.empty(), DockerConfigCredentials.of(tmp.resolve("none.json")).find("x.io"));
  }

  @Test
  void malformedFileNamesIt() throws Exception {
    Path cfg = tmp.resolve("config.json");
    Files.writeString(cfg, "{not json");
    OciException e = assertThrows(OciException.class,
        () -> new DockerConfigCredentials(cfg, List.of()).find("x.io"));
    assertTrue(e.getMessage().contains(cfg.toString()));
  }

  @Test
  void credHelperGetsServerUrlOnStdinAndWinsOverAuths() throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Path log = tmp.resolve("helper.log");
    Path helper = bin.resolve("docker-credential-fake");
    Files.writeString(helper, "#!/bin/sh\n"
        + "read url\n"
        + "echo \"$1 $url\" >> " + log + "\n"
        + "case \"$url\" in\n"
        + "  reg.example) echo '{\"ServerURL\":\"reg.example\",\"Username\":\"hu\",\"Secret\":\"hs\"}';;\n"
        + "  *) echo 'credentials not found in native keychain'; exit 1;;\n"
        + "esac\n");
    Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwx------"));
    Path cfg = tmp.resolve("config.json");
    Files.writeString(cfg, "{\"credHelpers\":{\"reg.example\":\"fake\"},"
        + "\"auths\":{\"reg.example\":{\"auth\":\"" + b64("file:filepw") + "\"}},"
        + "\"credsStore\":\"fake\"}");
    DockerConfigCredentials c = new DockerConfigCredentials(cfg, List.of(bin));

    assertEquals(Optional.of(new Credentials("hu", "hs")), c.find("reg.example"));
    assertEquals(Optional.empty(), c.find("unknown.example"), "credsStore says not found");
    assertEquals(List.of("get reg.example", "get unknown.example"), Files.readAllLines(log));
  }

  @Test
  void absentHelperIsAnError() throws Exception {
    Path cfg = tmp.resolve("config.json");
    Files.writeString(cfg, "{\"credsStore\":\"nonexistent\"}");
    OciException e = assertThrows(OciException.class,
        () -> new DockerConfigCredentials(cfg, List.of(tmp)).find("x.io"));
    assertTrue(e.getMessage().contains("docker-credential-nonexistent"));
  }

  @Test
  void credentialsNeverPrintTheirPassword() {
    Credentials c = Credentials.parse("user:topsecret");
    assertEquals("user", c.username());
    assertFalse(c.toString().contains("topsecret"));
    assertThrows(dev.boxkit.oci.InvalidInputException.class, () -> Credentials.parse("nocolon"));
  }
}
