package dev.boxkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.History;
import dev.boxkit.oci.ImageConfig;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.layout.OciLayout;
import dev.boxkit.testing.ExternalTools;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code boxkit unpack} of a hostile image: DIR must grant no host user privileges by default. */
class UnpackPrivilegesTest {
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
  private static final int S_IFMT = 0170000;
  private static final int S_IFCHR = 0020000;

  @TempDir Path tmp;

  /** @return {@code oci:DIR:hostile}, an image of one layer with setuid/setgid files and a device */
  private String hostileImage() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes, "UTF-8")) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      file(tar, "bin/rootshell", 04755);
      file(tar, "bin/groupshell", 02755);
      TarArchiveEntry dev = new TarArchiveEntry("dev/sda", TarConstants.LF_CHR, true);
      dev.setMode(0666);
      dev.setDevMajor(1);
      dev.setDevMinor(3); // /dev/null's numbers: harmless should a test ever leak it
      tar.putArchiveEntry(dev);
      tar.closeArchiveEntry();
    }
    byte[] layer = bytes.toByteArray();
    Path dir = tmp.resolve("layout");
    OciLayout layout = OciLayout.create(dir);
    Descriptor l = layout.writeBlob(layer, MediaType.OCI_LAYER_TAR);
    ImageConfig config = ImageConfig.of(Platform.host())
        .withLayerAppended(Digest.sha256(layer), History.of(Instant.EPOCH, "hostile"));
    Descriptor m = layout.writeManifest(ImageManifest.of(layout.writeConfig(config), List.of(l)));
    layout.tag("hostile", m);
    return "oci:" + dir + ":hostile";
  }

  private static void file(TarArchiveOutputStream tar, String name, int mode) throws IOException {
    byte[] content = "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_NORMAL, true);
    e.setMode(mode);
    e.setSize(content.length);
    tar.putArchiveEntry(e);
    tar.write(content);
    tar.closeArchiveEntry();
  }

  private static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW);
  }

  private static boolean isRoot() throws IOException {
    return Files.readAllLines(Path.of("/proc/self/status")).stream()
        .anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[2].equals("0"));
  }

  @Test
  void byDefaultSetuidSetgidAndDevicesAreDropped() throws IOException {
    Path tree = tmp.resolve("tree");
    Cli.Result r = Cli.run("unpack", hostileImage(), tree.toString());
    assertEquals(0, r.exitCode(), r.toString());
    assertEquals(0755, mode(tree.resolve("bin/rootshell")) & 07777, "setuid dropped");
    assertEquals(0755, mode(tree.resolve("bin/groupshell")) & 07777, "setgid dropped");
    assertFalse(Files.exists(tree.resolve("dev/sda"), NOFOLLOW), "device not created");
    assertTrue(r.err().contains("1 entries skipped"), r.toString());
  }

  @Test
  void keepSpecialKeepsThemAsRoot() throws IOException {
    ExternalTools.requireHost(isRoot(), "creating setuid-root files and device nodes needs root");
    Path tree = tmp.resolve("tree");
    Cli.Result r = Cli.run("unpack", "--keep-special", hostileImage(), tree.toString());
    assertEquals(0, r.exitCode(), r.toString());
    assertEquals(04755, mode(tree.resolve("bin/rootshell")) & 07777);
    assertEquals(0, Files.getAttribute(tree.resolve("bin/rootshell"), "unix:uid", NOFOLLOW));
    assertEquals(02755, mode(tree.resolve("bin/groupshell")) & 07777);
    assertEquals(S_IFCHR, mode(tree.resolve("dev/sda")) & S_IFMT);
    assertFalse(r.err().contains("skipped"), r.toString());
  }
}
