package dev.boxkit.sandbox.linux;

import dev.boxkit.sandbox.spi.HostPaths;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.image.Image;
import dev.boxkit.image.Layer;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

/** No host path BoxKit opens may pass through a symbolic link, least of all one a sandbox planted. */
class HostPathsTest {
  @TempDir Path tmp;

  private Path dir(String name) throws IOException {
    return Files.createDirectories(tmp.resolve(name));
  }

  private static void assertRefused(String field, Path path, Path component, String target, Executable run) {
    InvalidSandboxSpecException e = assertThrows(InvalidSandboxSpecException.class, run);
    assertEquals(field, e.field(), e.getMessage());
    assertTrue(e.getMessage().contains("\"" + path + "\": component \"" + component
        + "\" is a symbolic link (-> " + target + ")"), e.getMessage());
    assertTrue(e.getMessage().contains("toRealPath()"), e.getMessage());
  }

  @Test
  void firstLinkNamesTheComponentAtAnyDepth() throws IOException {
    Path real = dir("real/a/b");
    Files.writeString(real.resolve("f"), "x");
    Path l1 = Files.createSymbolicLink(tmp.resolve("l1"), tmp.resolve("real"));
    Path l2 = Files.createSymbolicLink(tmp.resolve("real/l2"), tmp.resolve("real/a"));
    Path l3 = Files.createSymbolicLink(real.resolve("l3"), real.resolve("f"));
    assertEquals(Optional.of(l1), HostPaths.firstLink(l1.resolve("a/b/f")), "depth 1 below tmp");
    assertEquals(Optional.of(l2), HostPaths.firstLink(l2.resolve("b/f")), "depth 2 below tmp");
    assertEquals(Optional.of(l3), HostPaths.firstLink(l3), "last component");
    assertEquals(Optional.of(l1), HostPaths.firstLink(l1.resolve("l2/b")), "the first of two links");
    assertEquals(Optional.empty(), HostPaths.firstLink(real.resolve("f")));
    assertEquals(Optional.empty(), HostPaths.firstLink(Path.of("/")));
  }

  @Test
  void missingOrNonDirectoryComponentsEndTheWalkForTheHelperToReport() throws IOException {
    Path file = Files.writeString(tmp.resolve("file"), "x");
    Files.createSymbolicLink(dir("d").resolve("l"), Path.of("/"));
    assertEquals(Optional.empty(), HostPaths.firstLink(tmp.resolve("missing/l/etc")));
    assertEquals(Optional.empty(), HostPaths.firstLink(file.resolve("below")));
    assertThrows(IllegalArgumentException.class, () -> HostPaths.firstLink(Path.of("rel/x")));
    assertThrows(IllegalArgumentException.class, () -> HostPaths.firstLink(Path.of("/a/../b")));
  }

  @Test
  void bindSourceWithALinkAtDepthOneTwoOrLastIsRefused() throws IOException {
    Path real = dir("real/a/b");
    Path l1 = Files.createSymbolicLink(tmp.resolve("l1"), tmp.resolve("real"));
    Path l2 = Files.createSymbolicLink(tmp.resolve("real/l2"), tmp.resolve("real/a"));
    Path last = Files.createSymbolicLink(tmp.resolve("last"), real);
    for (Path[] c : new Path[][] {
        {l1.resolve("a/b"), l1, tmp.resolve("real")},
        {l2.resolve("b"), l2, tmp.resolve("real/a")},
        {last, last, real}}) {
      assertRefused("mount.source", c[0], c[1], c[2].toString(), () -> LinuxSandboxProvider
          .checkHostPaths(Sandbox.builder().command("/bin/true").mount(Mount.bind(c[0], "/mnt")).build()));
    }
    LinuxSandboxProvider.checkHostPaths(Sandbox.builder().command("/bin/true")
        .mount(Mount.bind(real, "/mnt")).mount(Mount.bind(tmp.resolve("missing"), "/m2")).build());
  }

  /** A sandbox with a writable bind of {@code w} (at {@code /mnt}, a mount point the host has) links {@code w/stage} to {@code /}. */
  private Path plantRootLink() throws IOException {
    Path w = Sandboxes.userOwned(dir("w"));
    ExecResult r = Sandboxes.sh("ln -s / /mnt/stage").mount(Mount.bind(w, "/mnt").readWrite()).run();
    assertEquals(0, r.exitCode(), r.stderrText());
    assertTrue(Files.isSymbolicLink(w.resolve("stage")), "the sandbox planted the link");
    return w;
  }

  @Test
  void linkPlantedByASandboxCannotRedirectTheNextBind() throws IOException {
    Path w = plantRootLink();
    Path source = w.resolve("stage/etc");
    assertRefused("mount.source", source, w.resolve("stage"), "/",
        () -> Sandboxes.sh("cat /mnt/hostname").mount(Mount.bind(source, "/mnt")).run());
  }

  @Test
  void linkPlantedByASandboxCannotRedirectStdioFiles() throws IOException {
    Path w = plantRootLink();
    String name = "boxkit-hostpaths-" + System.nanoTime() + ".log";
    Path out = w.resolve("stage/tmp/" + name);
    assertRefused("stdout.path", out, w.resolve("stage"), "/",
        () -> Sandboxes.sh("echo planted").stdout(Stdio.file(out)).run());
    assertRefused("stderr.path", out, w.resolve("stage"), "/",
        () -> Sandboxes.sh("echo planted >&2").stderr(Stdio.file(out)).run());
    assertFalse(Files.exists(Path.of("/tmp", name)), "nothing was written through the link");

    Path in = w.resolve("stage/etc/hostname");
    assertRefused("stdin.path", in, w.resolve("stage"), "/",
        () -> Sandboxes.sh("cat").stdin(Stdio.file(in)).run());
  }

  @Test
  void stdioFilesWithoutLinksStillWork() throws IOException {
    Path in = Files.writeString(tmp.resolve("in.txt"), "input");
    Path out = tmp.resolve("out.txt");
    ExecResult r = Sandboxes.sh("cat").stdin(Stdio.file(in)).stdout(Stdio.file(out)).run();
    assertEquals(0, r.exitCode(), r.stderrText());
    assertEquals("input", Files.readString(out));
  }

  @Test
  void directoryRootThroughALinkIsRefused() throws IOException {
    Path root = MiniRoot.create(tmp.resolve("real-root"));
    Path link = Files.createSymbolicLink(tmp.resolve("current"), root);
    assertRefused("root.path", link, link, root.toString(), () -> Sandboxes.require0(() -> Sandbox
        .builder().root(Rootfs.directory(link)).mount(Mount.bind(Path.of("/usr"), "/usr"))
        .command("/bin/sh", "-c", "true").run()));
    Path through = Files.createSymbolicLink(tmp.resolve("via"), tmp).resolve("real-root");
    assertRefused("root.path", through, tmp.resolve("via"), tmp.toString(),
        () -> LinuxSandboxProvider.checkHostPaths(Sandbox.builder().root(Rootfs.directory(through))
            .command("/bin/true").build()));
  }

  @Test
  void keepUpperUnderALinkedParentIsRefused() throws IOException {
    Path w = plantRootLink();
    Image image = Image.builder().cacheDir(tmp.resolve("store"))
        .layer(Layer.of("one file", b -> b.addFile("/f", "x".getBytes(StandardCharsets.UTF_8))))
        .build();
    Path keep = w.resolve("stage/tmp/boxkit-keep-" + System.nanoTime());
    SandboxSpec spec = Sandbox.builder().root(Rootfs.image(image)
        .withCache(dev.boxkit.oci.unpack.RootfsCache.open(tmp.resolve("rootfs"))).keepUpper(keep))
        .command("/bin/true").build();
    assertRefused("root.keepUpper", keep, w.resolve("stage"), "/", () -> Sandbox.run(spec));
    assertFalse(Files.exists(Path.of("/tmp", keep.getFileName().toString())));
    assertFalse(Files.exists(tmp.resolve("rootfs")) && Files.list(tmp.resolve("rootfs")).findAny()
        .isPresent(), "refused before the image was unpacked");

    Path linkedKeep = Files.createSymbolicLink(tmp.resolve("keep"), dir("elsewhere"));
    assertRefused("root.keepUpper", linkedKeep, linkedKeep, tmp.resolve("elsewhere").toString(),
        () -> LinuxSandboxProvider.checkHostPaths(Sandbox.builder().root(Rootfs.image(image)
            .keepUpper(linkedKeep)).command("/bin/true").build()));
  }
}
