package dev.boxkit.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.image.Image;
import dev.boxkit.image.Layer;
import dev.boxkit.oci.unpack.RootfsCache;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@link SandboxSpec.Builder#image} applies an image's configuration; nothing is run. */
class ImageSpecTest {
  @TempDir
  Path tmp;

  private Image image(boolean withEntrypoint) {
    var b = Image.builder().cacheDir(tmp.resolve("store"))
        .layer(Layer.of("etc", l -> l.addFile("/etc/passwd",
            "app:x:1234:2345::/:/bin/sh\n".getBytes(StandardCharsets.UTF_8))))
        .cmd("run", "--fast")
        .env("PATH", "/bin")
        .env("MODE", "image")
        .workingDir("/srv")
        .user("app");
    return (withEntrypoint ? b.entrypoint("/bin/app") : b).build();
  }

  private SandboxSpec.Builder builder(Image image) {
    return Sandbox.builder().image(image)
        .root(Rootfs.image(image).withCache(RootfsCache.open(tmp.resolve("rootfs"))));
  }

  @Test
  void entrypointPlusCmdEnvWorkdirAndUserByName() {
    SandboxSpec built = builder(image(true)).build();
    assertEquals("app", built.userName(), "a name waits for the launch");
    assertTrue(((Rootfs.FromImage) built.root()).unpack().unpacked(), "building did not unpack the image");
    SandboxSpec s = built.withUserResolved();
    assertEquals(List.of("/bin/app", "run", "--fast"), s.argv());
    assertEquals(Map.of("PATH", "/bin", "MODE", "image"), s.env());
    assertEquals("/srv", s.workingDir());
    assertEquals(1234, s.uid());
    assertEquals(2345, s.gid());
    assertNull(s.userName());
    assertTrue(s.root() instanceof Rootfs.FromImage);
    assertSame(s, s.withUserResolved());
    assertEquals(s, s.toBuilder().build(), "a resolved spec rebuilds to itself");
  }

  @Test
  void anImageWithoutPathGetsDockersDefault() {
    Image noPath = Image.builder().cacheDir(tmp.resolve("store")).cmd("/bin/x").build();
    assertEquals(SandboxSpec.DEFAULT_PATH, Sandbox.builder().image(noPath).build().env().get("PATH"));
    assertFalse(Sandbox.builder().command("/bin/x").build().env().containsKey("PATH"),
        "without an image the environment is only what the spec says");
  }

  @Test
  void commandReplacesCmdOnly() {
    assertEquals(List.of("/bin/app", "other"), builder(image(true)).command("other").build().argv());
    assertEquals(List.of("/bin/other"), builder(image(false)).command("/bin/other").build().argv(),
        "without an entrypoint the command is the whole argv");
  }

  @Test
  void entrypointReplacesEntrypointAndDropsCmd() {
    assertEquals(List.of("/bin/sh"), builder(image(true)).entrypoint("/bin/sh").build().argv());
    assertEquals(List.of("/bin/sh", "-c", "x"),
        builder(image(true)).entrypoint("/bin/sh", "-c").command("x").build().argv());
    assertEquals(List.of("/bin/true"), builder(image(true)).entrypoint().command("/bin/true")
        .build().argv());
  }

  @Test
  void specValuesWinInAnyCallOrder() {
    SandboxSpec s = Sandbox.builder().env("MODE", "spec").workingDir("/").user(5, 6)
        .image(image(true)).build();
    assertEquals("spec", s.env().get("MODE"));
    assertEquals("/bin", s.env().get("PATH"), "the image's env stays the base");
    assertEquals("/", s.workingDir());
    assertEquals(5, s.uid());
    assertEquals(6, s.gid());
    assertEquals(Map.of("ONLY", "1"), builder(image(true)).env(Map.of("ONLY", "1")).build().env(),
        "env(Map) replaces the image's environment too");
  }

  @Test
  void unknownUserAndMissingCommandAreNamed() {
    SandboxSpec ghost = builder(image(true)).user("ghost").build();
    assertEquals("user", assertThrows(InvalidSandboxSpecException.class, ghost::withUserResolved).field());
    assertEquals("user", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandbox.builder().user("a:b:c")).field());
    Image bare = Image.builder().cacheDir(tmp.resolve("store")).build();
    assertEquals("argv", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandbox.builder().image(bare).build()).field());
  }

  @Test
  void keepUpperIsAnAbsolutePathAndTheTreeIsUnpackedOnce() {
    assertEquals("root.keepUpper", assertThrows(InvalidSandboxSpecException.class,
        () -> Rootfs.image(image(true)).keepUpper(Path.of("rel"))).field());
    Rootfs.FromImage root = Rootfs.image(image(true)).withCache(RootfsCache.open(tmp.resolve("c")));
    assertTrue(root.unpack().unpacked());
    assertFalse(root.unpack().unpacked());
    assertTrue(Files.isRegularFile(root.unpack().rootfs().resolve("etc/passwd")));
  }
}
