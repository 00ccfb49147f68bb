package dev.boxkit.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SandboxSpecTest {

  @Test
  void defaultsAreClosed() {
    SandboxSpec s = Sandbox.builder().command("/bin/true").build();
    assertEquals(Map.of(), s.env(), "nothing inherited from the JVM");
    assertEquals(NetworkMode.NONE, s.network());
    assertEquals(new Rootfs.HostReadOnly(), s.root());
    assertEquals(List.of(Mount.proc(), Mount.devMinimal()), s.mounts());
    assertTrue(s.dieWithParent());
    assertEquals(Stdio.discard(), s.stdin());
  }

  @Test
  void badFieldsAreNamed() {
    assertEquals("argv", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandbox.builder().build()).field());
    assertEquals("workingDir", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandbox.builder().workingDir("tmp")).field());
    assertEquals("mount.destination", assertThrows(InvalidSandboxSpecException.class,
        () -> Mount.bind(Path.of("/tmp"), "/a/../etc")).field());
    assertEquals("mount.source", assertThrows(InvalidSandboxSpecException.class,
        () -> Mount.bind(Path.of("rel"), "/a")).field());
    assertEquals("mount.sizeBytes", assertThrows(InvalidSandboxSpecException.class,
        () -> Mount.tmpfs("/t", 0)).field());
    assertEquals("env", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandbox.builder().env("A=B", "c")).field());
    assertEquals("hostname", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandbox.builder().hostname("a b")).field());
    assertEquals("uid", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandbox.builder().user(-1, 0)).field());
    assertEquals("limits.memoryBytes", assertThrows(InvalidSandboxSpecException.class,
        () -> ResourceLimits.builder().memoryBytes(-5)).field());
    assertEquals("limits.timeout", assertThrows(InvalidSandboxSpecException.class,
        () -> ResourceLimits.builder().timeout(Duration.ofSeconds(-1)).build()).field());
    assertEquals("argv[1]", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandbox.builder().command("/bin/echo", "a\0b").build()).field());
  }

  @Test
  void specIsImmutable() {
    List<String> argv = new java.util.ArrayList<>(List.of("/bin/echo"));
    SandboxSpec s = Sandbox.builder().argv(argv).env("A", "1").build();
    argv.add("x");
    assertEquals(List.of("/bin/echo"), s.argv());
    assertThrows(UnsupportedOperationException.class, () -> s.env().put("B", "2"));
    assertEquals(s, s.toBuilder().build());
  }

  @Test
  void withoutProviderTheErrorSaysWhatToAdd() {
    SandboxUnavailableException e = assertThrows(SandboxUnavailableException.class,
        () -> Sandbox.builder().command("/bin/true").run());
    assertTrue(e.getMessage().contains("sdk-sandbox-linux"), e.getMessage());
    assertTrue(Sandbox.providers().isEmpty());
  }
}
