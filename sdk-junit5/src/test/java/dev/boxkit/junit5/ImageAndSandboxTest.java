package dev.boxkit.junit5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.image.Image;
import dev.boxkit.image.ImageBuilder;
import dev.boxkit.image.Layer;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.NetworkMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Images from attributes and factories, injected into fields and parameters; per-test sandboxes. */
@BoxKitTest
class ImageAndSandboxTest {
  @SandboxImage(executables = {"/bin/sh", "/bin/ls", "/bin/cat"})
  static Image tools;

  @SandboxImage(factory = "greeter")
  Image greeter;

  @Sandboxed(image = "tools")
  TestSandbox sandbox;

  static ImageBuilder greeter() {
    return Image.builder()
        .layer(Layer.fromExecutables(Path.of("/bin/sh")))
        .layer(Layer.of("greeting", b -> b.addFile("/etc/greeting", "hello\n".getBytes(StandardCharsets.UTF_8))))
        .env("PATH", "/bin:/usr/bin");
  }

  @Test
  void theRootHoldsOnlyTheImageAndTheMountPoints() {
    ExecResult r = sandbox.exec("ls", "/");
    assertEquals(0, r.exitCode(), r.stderrText());
    List<String> entries = List.of(r.stdoutText().split("\n"));
    assertTrue(entries.containsAll(List.of("bin", "proc", "dev", "tmp")), entries.toString());
    assertFalse(entries.contains("home") || entries.contains("root") || entries.contains("etc"), entries.toString());
  }

  @Test
  void tmpIsSharedBetweenProgramsOfOneTestAndWithTheTest() throws Exception {
    assertEquals(0, sandbox.exec("sh", "-c", "echo one > /tmp/note").exitCode());
    assertEquals("one\n", sandbox.exec("cat", "/tmp/note").stdoutText());
    assertEquals("one\n", Files.readString(sandbox.hostTmp().resolve("note")));
    Files.writeString(sandbox.hostTmp().resolve("from-test"), "two");
    assertEquals("two", sandbox.exec("cat", "/tmp/from-test").stdoutText());
  }

  @Test
  void eachTestGetsAFreshSandbox() {
    // Runs in either order with the test above: /tmp starts empty every time.
    assertEquals("", sandbox.exec("ls", "-A", "/tmp").stdoutText());
  }

  @Test
  void sameDefinitionGivesTheSameImageAndTheFactoryIsUsed(
      @SandboxImage(executables = {"/bin/sh", "/bin/ls", "/bin/cat"}) Image again,
      @Sandboxed(image = "greeter") TestSandbox greeterBox) {
    assertSame(tools, again);
    assertNotEquals(tools.digest(), greeter.digest());
    assertEquals("hello\n", greeterBox.exec("sh", "-c", "read l < /etc/greeting; echo $l").stdoutText());
    assertEquals("/bin:/usr/bin", greeterBox.exec("sh", "-c", "echo $PATH").stdoutText().strip());
  }

  @Test
  void fieldsAndParametersWithEqualAttributesShareOneSandbox(@Sandboxed(image = "tools") TestSandbox param) {
    assertSame(sandbox, param);
  }

  @Test
  void theNetworkIsTheSandboxsOwnByDefault() {
    assertEquals(NetworkMode.NONE, sandbox.network());
    // Only the loopback exists.
    String dev = sandbox.exec("cat", "/proc/net/dev").stdoutText();
    assertEquals(3, dev.split("\n").length, dev);
  }

  @Test
  void aFinishedTestsSandboxCannotBeUsed(@Sandboxed(image = "greeter") TestSandbox box) {
    box.close();
    assertThrows(IllegalStateException.class, () -> box.exec("true"));
  }

  /** Nested classes see the enclosing class's images; the image root is read-only. */
  @Nested
  class Inner {
    @Test
    void usesTheOuterImageReadOnly(@Sandboxed(image = "greeter") TestSandbox own) {
      ExecResult r = own.exec("sh", "-c", "read l < /etc/greeting && echo $l && echo x > /bin/x");
      assertEquals("hello\n", r.stdoutText());
      assertTrue(r.stderrText().contains("Read-only file system"), r.stderrText());
      assertNotEquals(0, r.exitCode());
    }
  }
}
