package dev.boxkit.oci.unpack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A hostile layer with setuid/setgid files, a file capability and a device, under each policy. */
class PrivilegePolicyTest {
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
  private static final int S_IFMT = 0170000;
  private static final int S_IFCHR = 0020000;
  private static final int S_IFIFO = 0010000;
  /** A v2 {@code vfs_cap_data} granting CAP_SETUID (bit 7) permitted and effective. */
  private static final byte[] CAP_SETUID = {
    0, 0, 0, 2, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

  @TempDir Path tmp;

  static LayerSource hostileLayer(Path dir) {
    TarArchiveEntry cap = new TarArchiveEntry("bin/capped", TarConstants.LF_NORMAL, true);
    cap.setMode(0755);
    cap.addPaxHeader("SCHILY.xattr.security.capability",
        new String(CAP_SETUID, StandardCharsets.ISO_8859_1));
    TarArchiveEntry dev = new TarArchiveEntry("dev/mem", TarConstants.LF_CHR, true);
    dev.setMode(0666);
    dev.setDevMajor(1);
    dev.setDevMinor(3); // /dev/null: harmless should a test ever leak it
    return TestLayer.of()
        .file("bin/rootshell", "#!/bin/sh\n", 04755)
        .file("bin/groupshell", "#!/bin/sh\n", 02755)
        .dir("shared", 02775)
        .entry(cap, "cap".getBytes(StandardCharsets.UTF_8))
        .entry(dev, null)
        .hardlink("dev/mem2", "dev/mem")
        .fifo("run/fifo")
        .writeTar(dir, "hostile");
  }

  private static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW);
  }

  private static boolean isRoot() {
    return RootfsUnpacker.ProcessIdentity.isEffectiveRoot();
  }

  /** @return getcap's output for {@code file}, or empty when getcap is not installed */
  private static Optional<String> getcap(Path file) throws IOException, InterruptedException {
    Optional<Path> getcap = ExternalTools.find("getcap");
    if (getcap.isEmpty()) {
      return Optional.empty();
    }
    Process p = new ProcessBuilder(getcap.get().toString(), file.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    return Optional.of(out.trim());
  }

  @Test
  void dropClearsSetuidSetgidAndSkipsDevicesButKeepsFifos() throws Exception {
    LayerSource l = hostileLayer(tmp);
    Path t = tmp.resolve("rootfs");
    UnpackResult r = RootfsUnpacker.builder().privileges(PrivilegePolicy.DROP).build()
        .unpack(List.of(l), t);

    assertEquals(0755, mode(t.resolve("bin/rootshell")) & 07777, "setuid dropped");
    assertEquals(0755, mode(t.resolve("bin/groupshell")) & 07777, "setgid dropped");
    assertEquals(02775, mode(t.resolve("shared")) & 07777, "a setgid directory grants nothing; kept");
    assertEquals(0755, mode(t.resolve("bin/capped")) & 07777);
    assertFalse(Files.exists(t.resolve("dev/mem"), NOFOLLOW), "device dropped");
    assertFalse(Files.exists(t.resolve("dev/mem2"), NOFOLLOW), "hardlink to the dropped device dropped");
    assertEquals(List.of("dev/mem", "dev/mem2"),
        r.skipped().stream().map(SkippedEntry::entryName).filter(n -> n.startsWith("dev/")).toList());
    assertTrue(r.skipped().get(0).reason().contains("PrivilegePolicy.DROP"), r.skipped().toString());
    Optional<String> caps = getcap(t.resolve("bin/capped"));
    if (caps.isPresent()) {
      assertFalse(caps.get().contains("cap_setuid"), "file capability not applied: " + caps.get());
    }
    if (isRoot()) {
      assertEquals(S_IFIFO, mode(t.resolve("run/fifo")) & S_IFMT, "fifos grant nothing; kept");
    }
  }

  @Test
  void keepAppliesSetuidAndCreatesDevicesAsRoot() throws Exception {
    ExternalTools.requireHost(isRoot(), "creating setuid-root files and device nodes needs root");
    LayerSource l = hostileLayer(tmp);
    Path t = tmp.resolve("rootfs");
    UnpackResult r = RootfsUnpacker.defaults().unpack(List.of(l), t);

    assertTrue(r.skipped().isEmpty(), r.skipped().toString());
    assertEquals(04755, mode(t.resolve("bin/rootshell")) & 07777);
    assertEquals(0, Files.getAttribute(t.resolve("bin/rootshell"), "unix:uid", NOFOLLOW));
    assertEquals(02755, mode(t.resolve("bin/groupshell")) & 07777);
    assertEquals(S_IFCHR, mode(t.resolve("dev/mem")) & S_IFMT);
    assertEquals(S_IFCHR, mode(t.resolve("dev/mem2")) & S_IFMT);
    // The unpacker applies no xattrs, so not even KEEP grants file capabilities.
    Optional<String> caps = getcap(t.resolve("bin/capped"));
    if (caps.isPresent()) {
      assertFalse(caps.get().contains("cap_setuid"), caps.get());
    }
  }

  @Test
  void nullPolicyIsRefusedNamingTheField() {
    InvalidInputException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidInputException.class,
        () -> RootfsUnpacker.builder().privileges(null));
    assertTrue(e.getMessage().contains("privileges"), e.getMessage());
  }
}
