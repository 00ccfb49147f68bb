package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.boxkit.image.Image;
import dev.boxkit.image.Layer;
import dev.boxkit.oci.layer.EntryAttributes;
import dev.boxkit.oci.layer.FileMode;
import dev.boxkit.oci.unpack.RootfsCache;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A kept upper layer carries the sandbox's writes and deletions, but no privilege. */
class KeptUpperTest {
  @TempDir Path tmp;

  private static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
  }

  private static boolean root() {
    return LibC.INSTANCE.geteuid() == 0;
  }

  private static Path program(String name) {
    return Stream.of("/bin", "/usr/bin").map(d -> Path.of(d, name)).filter(Files::isExecutable)
        .findFirst().orElseThrow(() -> new IllegalStateException(name + " not found"));
  }

  private static void sh(String command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), command + ": " + out);
  }

  @Test
  void touchedSetuidFileIsKeptWithoutItsBitAndWhiteoutsStay() throws IOException {
    Sandboxes.require();
    Image image = Image.builder().cacheDir(tmp.resolve("store"))
        .layer(Layer.fromExecutables(Stream.of("sh", "touch", "rm", "stat").map(KeptUpperTest::program)
            .toArray(Path[]::new)))
        .layer(Layer.of("setuid and data", b -> b
            .addFile("/opt/suid", "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8),
                EntryAttributes.DEFAULTS.withMode(FileMode.of(06755)))
            .addFile("/data/gone.txt", "x".getBytes(StandardCharsets.UTF_8))))
        .build();
    Rootfs.FromImage rootfs = Rootfs.image(image).withCache(RootfsCache.open(tmp.resolve("rootfs")));
    Path lower = rootfs.unpack().rootfs();
    assertEquals(06755, mode(lower.resolve("opt/suid")) & 07777, "the image's file is setuid and setgid");

    Path kept = tmp.resolve("kept");
    ExecResult r = Sandbox.builder().root(rootfs.keepUpper(kept)).user("0:0")
        .env("PATH", "/usr/bin:/bin")
        .command("/bin/sh", "-c", "touch /opt/suid && rm /data/gone.txt && stat -c %a /opt/suid").run();
    assertEquals(0, r.exitCode(), r.stderrText());
    // Inside, after copy-up, the file still had its bits: only the stripping removes them.
    assertEquals("6755\n", r.stdoutText(), "copy-up kept the mode");

    Path copy = kept.resolve("opt/suid");
    assertTrue(Files.isRegularFile(copy, LinkOption.NOFOLLOW_LINKS), "the touched file was kept");
    assertEquals(0755, mode(copy) & 07777, "setuid and setgid cleared, the rest kept");
    Path whiteout = kept.resolve("data/gone.txt");
    assertTrue(Files.exists(whiteout, LinkOption.NOFOLLOW_LINKS), "the deletion is recorded");
    assertEquals(0020000, mode(whiteout) & 0170000, "a character device");
    assertEquals(0L, Files.getAttribute(whiteout, "unix:rdev", LinkOption.NOFOLLOW_LINKS), "0:0");
    assertEquals(06755, mode(lower.resolve("opt/suid")) & 07777, "the shared tree is untouched");
  }

  @Test
  void stripClearsSetuidAndSetgidOnFilesButKeepsSetgidDirectories() throws IOException {
    Path upper = Files.createDirectories(tmp.resolve("upper/sub"));
    Path suid = Files.writeString(upper.resolve("suid"), "x");
    Path sgid = Files.writeString(upper.resolve("sgid"), "x");
    Path plain = Files.writeString(upper.resolve("plain"), "x");
    Path link = Files.createSymbolicLink(upper.resolve("link"), suid);
    Files.setAttribute(suid, "unix:mode", 04750);
    Files.setAttribute(sgid, "unix:mode", 02711);
    Files.setAttribute(plain, "unix:mode", 0640);
    Files.setAttribute(upper, "unix:mode", 02775);
    assumeTrue((mode(sgid) & 02000) != 0, "this filesystem keeps setgid for the test's group");

    OverlayRoot.strip(tmp.resolve("upper"));
    assertEquals(0750, mode(suid) & 07777);
    assertEquals(0711, mode(sgid) & 07777);
    assertEquals(0640, mode(plain) & 07777);
    assertEquals(02775, mode(upper) & 07777, "setgid on a directory only sets new entries' group");
    assertTrue(Files.isSymbolicLink(link), "links are kept and not followed");
  }

  @Test
  void stripRemovesDevicesButKeepsWhiteoutsAndFifos() throws IOException, InterruptedException {
    assumeTrue(root(), "mknod of a block device needs root");
    Path upper = Files.createDirectories(tmp.resolve("upper"));
    sh("cd " + upper + " && mknod whiteout c 0 0 && mknod loop b 7 200 && mknod mem c 1 1 && mkfifo fifo");
    OverlayRoot.strip(upper);
    assertTrue(Files.exists(upper.resolve("whiteout"), LinkOption.NOFOLLOW_LINKS), "a whiteout records a deletion");
    assertTrue(Files.exists(upper.resolve("fifo"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(upper.resolve("loop"), LinkOption.NOFOLLOW_LINKS), "block device removed");
    assertFalse(Files.exists(upper.resolve("mem"), LinkOption.NOFOLLOW_LINKS), "char device removed");
  }

  @Test
  void stripRemovesFileCapabilities() throws IOException, InterruptedException {
    assumeTrue(root(), "setting security.capability needs CAP_SETFCAP");
    Optional<Path> setcap = ExternalTools.find("setcap");
    Optional<Path> getcap = ExternalTools.find("getcap");
    assumeTrue(setcap.isPresent() && getcap.isPresent(), "setcap/getcap (libcap2-bin) not installed");
    Path upper = Files.createDirectories(tmp.resolve("upper"));
    Path f = Files.writeString(upper.resolve("capped"), "x");
    sh(setcap.get() + " cap_net_raw+ep " + f);
    assertTrue(LibC.INSTANCE.lgetxattr(f.toString(), "security.capability", null, 0) > 0);
    OverlayRoot.strip(upper);
    assertTrue(Files.exists(f), "stripped, not deleted");
    assertTrue(LibC.INSTANCE.lgetxattr(f.toString(), "security.capability", null, 0) < 0, "capability removed");
    Process p = new ProcessBuilder(getcap.get().toString(), f.toString()).redirectErrorStream(true).start();
    assertEquals("", new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
  }

  @Test
  void anEntryThatCannotBeStrippedIsDeleted() throws IOException {
    assumeTrue(!root(), "root can read any directory");
    Path upper = Files.createDirectories(tmp.resolve("upper/locked"));
    Path suid = Files.writeString(upper.resolve("suid"), "x");
    Files.setAttribute(suid, "unix:mode", 04755);
    Files.setAttribute(upper, "unix:mode", 0);
    OverlayRoot.strip(tmp.resolve("upper"));
    assertEquals(List.of(), Files.list(tmp.resolve("upper")).toList(),
        "an unreadable directory cannot be checked, so it is not kept");
  }
}
