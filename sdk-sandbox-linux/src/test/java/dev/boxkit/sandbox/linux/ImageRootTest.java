package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.image.Image;
import dev.boxkit.image.Layer;
import dev.boxkit.oci.layer.EntryAttributes;
import dev.boxkit.oci.layer.FileMode;
import dev.boxkit.oci.unpack.RootfsCache;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSetupException;
import dev.boxkit.sandbox.SandboxSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sandboxes whose root is an image: shared lower tree, per-sandbox upper, image config applied. */
class ImageRootTest {
  private static final String PASSWD = "root:x:0:0:root:/root:/bin/sh\n"
      + "app:x:1234:2345:app:/home/app:/bin/sh\n";
  private static final String GROUP = "root:x:0:\nappgroup:x:2345:\nstaff:x:777:app\n";

  @TempDir
  static Path work;
  static Image image;
  static RootfsCache cache;

  @BeforeAll
  static void buildImage() {
    Sandboxes.require();
    image = Image.builder()
        .cacheDir(work.resolve("store"))
        .layer(Layer.fromExecutables(Stream.of("sh", "cat", "ls", "id", "touch", "rm", "chmod",
            "mkdir", "sleep", "stat", "head").map(ImageRootTest::program).toArray(Path[]::new)))
        // No /proc, /dev or /tmp: the sandbox makes its mount points in the upper layer.
        .layer(Layer.of("etc and data", b -> b
            .addFile("/etc/passwd", PASSWD.getBytes(StandardCharsets.UTF_8))
            .addFile("/etc/group", GROUP.getBytes(StandardCharsets.UTF_8))
            .addFile("/data/original.txt", "original\n".getBytes(StandardCharsets.UTF_8),
                EntryAttributes.DEFAULTS.withMode(FileMode.of(0644)))
            .addFile("/data/gone.txt", "still here\n".getBytes(StandardCharsets.UTF_8))))
        .entrypoint("/bin/sh", "-c")
        .cmd("echo \"$GREETING $(id -u):$(id -g) $(pwd)\"")
        .env("GREETING", "hello")
        .env("PATH", "/usr/bin:/bin")
        .workingDir("/data")
        .user("app")
        .build();
    cache = RootfsCache.open(work.resolve("rootfs"));
  }

  private static Path program(String name) {
    for (String dir : List.of("/bin", "/usr/bin")) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    throw new IllegalStateException(name + " not found");
  }

  private static Rootfs.FromImage root() {
    return Rootfs.image(image).withCache(cache);
  }

  /** The image's config, with this test's cache; user root so that it may write anywhere. */
  private static SandboxSpec.Builder sh(String script) {
    return Sandbox.builder().image(image).root(root()).user("0:0").command(script)
        .mount(Mount.tmpfs("/tmp", 1 << 20)).limits(dev.boxkit.sandbox.ResourceLimits.builder()
            .timeout(Duration.ofSeconds(20)).build());
  }

  private static ExecResult ok(ExecResult r) {
    assertEquals(0, r.exitCode(), () -> "stdout: " + r.stdoutText() + " stderr: " + r.stderrText());
    return r;
  }

  @Test
  void imageConfigIsApplied() {
    ExecResult r = ok(Sandbox.builder().image(image).root(root()).run());
    assertEquals("hello 1234:2345 /data\n", r.stdoutText(), "entrypoint + cmd, env, workdir, user app");
  }

  @Test
  void specOverridesTheImageConfig() {
    SandboxSpec s = Sandbox.builder().image(image).root(root()).command("echo \"$GREETING $(id -g)\"")
        .env("GREETING", "hi").user("app:staff").build();
    assertEquals(List.of("/bin/sh", "-c", "echo \"$GREETING $(id -g)\""), s.argv(),
        "command replaces Cmd and keeps the Entrypoint");
    assertEquals("/usr/bin:/bin", s.env().get("PATH"), "image env is the base");
    assertEquals("hi 777\n", ok(Sandbox.run(s)).stdoutText());

    SandboxSpec e = Sandbox.builder().image(image).root(root()).entrypoint("/bin/cat")
        .command("/data/original.txt").workingDir("/").build();
    assertEquals(List.of("/bin/cat", "/data/original.txt"), e.argv());
    assertEquals("original\n", ok(Sandbox.run(e)).stdoutText());
    assertEquals(List.of("/bin/sh"), Sandbox.builder().image(image).root(root()).entrypoint()
        .command("/bin/sh").build().argv(), "an emptied entrypoint drops the image's Cmd too");
  }

  @Test
  void unknownUserIsNamed() {
    InvalidSandboxSpecException e = assertThrows(InvalidSandboxSpecException.class,
        () -> Sandbox.builder().image(image).root(root()).user("nosuchuser").run());
    assertEquals("user", e.field());
    assertTrue(e.getMessage().contains("nosuchuser"), e.getMessage());
  }

  @Test
  void writesGoToTheUpperAndTheSharedTreeIsUntouched() throws IOException {
    Path tree = root().unpack().rootfs();
    Set<String> before = overlayDirs();
    String mode = Files.getPosixFilePermissions(tree.resolve("data/original.txt")).toString();
    ExecResult r = ok(sh("echo changed > /data/original.txt && rm /data/gone.txt"
        + " && chmod 600 /data/original.txt && echo new > /newfile && mkdir -p /etc/more"
        + " && cat /data/original.txt /newfile && ls /data").run());
    assertEquals("changed\nnew\noriginal.txt\n", r.stdoutText(), "the sandbox sees its own writes");

    assertEquals("original\n", Files.readString(tree.resolve("data/original.txt")));
    assertEquals(mode, Files.getPosixFilePermissions(tree.resolve("data/original.txt")).toString());
    assertTrue(Files.exists(tree.resolve("data/gone.txt")));
    assertFalse(Files.exists(tree.resolve("newfile")));
    assertFalse(Files.exists(tree.resolve("etc/more")));
    assertTrue(before.containsAll(overlayDirs()), "the upper layer was deleted");

    ExecResult again = ok(sh("cat /data/original.txt /data/gone.txt; ls /newfile 2>&1 || true").run());
    assertTrue(again.stdoutText().startsWith("original\nstill here\n"), again.stdoutText());
    assertTrue(again.stdoutText().contains("No such file"), again.stdoutText());
  }

  @Test
  void keptUpperHoldsTheWrites() throws IOException {
    Path kept = work.resolve("kept-upper");
    ok(sh("echo kept > /newfile && echo changed > /data/original.txt").root(root().keepUpper(kept)).run());
    assertEquals("kept\n", Files.readString(kept.resolve("newfile")));
    assertEquals("changed\n", Files.readString(kept.resolve("data/original.txt")));

    SandboxSetupException e = assertThrows(SandboxSetupException.class,
        () -> sh("true").root(root().keepUpper(kept)).run());
    assertEquals("overlay", e.step(), "an existing keep path is never overwritten");
    assertEquals("kept\n", Files.readString(kept.resolve("newfile")));
  }

  @Test
  void secondSandboxDoesNotUnpack() throws IOException {
    ok(sh("true").run());
    Path tree = root().unpack().rootfs();
    Object key = Files.readAttributes(tree, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
    assertFalse(root().unpack().unpacked(), "the tree is cached after the first sandbox");
    ok(sh("true").run());
    assertEquals(key, Files.readAttributes(tree, java.nio.file.attribute.BasicFileAttributes.class)
        .fileKey(), "the same tree, not a new unpack");
  }

  @Test
  void imageWithoutMountPointsRuns() {
    Path tree = root().unpack().rootfs();
    ExecResult r = ok(sh("ls /proc/self/fd >/dev/null && echo ok > /tmp/x && cat /tmp/x"
        + " && ls -d /dev/null").run());
    assertEquals("ok\n/dev/null\n", r.stdoutText());
    for (String d : List.of("proc", "dev", "tmp")) {
      assertFalse(Files.exists(tree.resolve(d)), d + " was made in the upper, not the shared tree");
    }
  }

  @Test
  void concurrentSandboxesSeeOnlyTheirOwnWrites() throws IOException {
    // Both write, then both read after a pause, so each read happens while the other sandbox runs.
    try (SandboxProcess a = sh("echo A > /data/who && sleep 1 && cat /data/who").start();
         SandboxProcess b = sh("echo B > /data/who && sleep 1 && cat /data/who").start()) {
      String outA = new String(a.stdout().readAllBytes(), StandardCharsets.UTF_8);
      String outB = new String(b.stdout().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, a.waitFor().exitCode());
      assertEquals(0, b.waitFor().exitCode());
      assertEquals("A\n", outA);
      assertEquals("B\n", outB);
    }
  }

  @Test
  void theWritableLayerIsBounded() {
    ExecResult r = sh("head -c 33554432 /dev/zero > /big; echo rc=$?; head -c 1048576 /dev/zero > /small && echo small-ok")
        .limits(dev.boxkit.sandbox.ResourceLimits.builder().writableLayerBytes(16L << 20).build()).run();
    assertTrue(r.stderrText().contains("No space left on device"), r.stderrText());
    assertTrue(r.stdoutText().startsWith("rc=1"), r.stdoutText());
    ExecResult def = sh("head -c 8388608 /dev/zero > /big && echo ok").run();
    assertEquals("ok\n", def.stdoutText(), "the 1 GiB default leaves room: " + def.stderrText());
  }

  @Test
  void aRefusedOverlayFailsClosedNamingTheStep() throws IOException {
    SandboxSpec spec = sh("echo ran").limits(dev.boxkit.sandbox.ResourceLimits.builder()
        .writableLayerBytes(dev.boxkit.sandbox.ResourceLimits.UNLIMITED).build()).build();
    OverlayRoot overlay = OverlayRoot.create((Rootfs.FromImage) spec.root(), SandboxResources.NONE);
    // An on-disk upper layer that is not a directory: the kernel refuses the overlay.
    Files.delete(overlay.upper());
    Files.writeString(overlay.upper(), "not a directory");
    Plan plan = PlanCompiler.compile(spec, LibC.INSTANCE.geteuid(), LibC.INSTANCE.getegid(),
        java.util.Optional.empty(), overlay);
    LinuxSandboxProcess p = LinuxSandboxProcess.launch(HelperBinary.load(), spec, plan, overlay);
    SandboxSetupException e = assertThrows(SandboxSetupException.class, () -> p.startWaiter().waitFor());
    assertEquals("mount-overlay", e.step(), e.getMessage());
    assertNotEquals(0, e.errno(), e.getMessage());
    assertTrue(e.getMessage().contains("overlay"), e.getMessage());
    assertFalse(Files.exists(overlay.dir()), "the writable layer is removed after a failed start");
  }

  @Test
  void mountPointsPlantedAsLinksByTheImageAreRefused() {
    for (String planted : List.of("/tmp", "/proc", "/dev")) {
      Image hostile = Image.builder().cacheDir(work.resolve("store"))
          .layer(Layer.fromExecutables(program("sh")))
          .layer(Layer.of("link", b -> b.addSymlink(planted, "/etc")))
          .build();
      SandboxSetupException e = assertThrows(SandboxSetupException.class, () -> Sandbox.builder()
          .image(hostile).root(Rootfs.image(hostile).withCache(cache))
          .mount(Mount.tmpfs("/tmp", 1 << 20)).command("/bin/sh", "-c", "true").run(), planted);
      assertEquals(40, e.errno(), planted + ": " + e.getMessage()); // ELOOP: links are not followed
      assertEquals(planted, e.path().orElse(""), e.getMessage());
    }
  }

  private static Set<String> overlayDirs() throws IOException {
    try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".boxkit-overlay-"))
          .collect(Collectors.toSet());
    }
  }

}
