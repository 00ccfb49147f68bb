package dev.boxkit.oci.unpack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the unpacker in a child JVM inside a new user namespace ({@code man 7 user_namespaces}):
 * once as an unmapped, capability-less user (read-only directories and mode-0 files really block
 * it), once as root of the namespace with only uid/gid 0 mapped (other owners cannot be applied,
 * device nodes cannot be created).
 */
class UnprivilegedUnpackTest {
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

  @TempDir Path tmp;
  private Path unshare;
  private final List<LayerSource> layers = new ArrayList<>();

  @BeforeEach
  void layers() throws Exception {
    unshare = ExternalTools.require("unshare", "util-linux");
    Process probe = new ProcessBuilder(unshare.toString(), "--user", "true").start();
    ExternalTools.requireHost(probe.waitFor(30, TimeUnit.SECONDS) && probe.exitValue() == 0,
        "user namespaces are not available (sysctl kernel.unprivileged_userns_clone / user.max_user_namespaces)");
    TarArchiveEntry shadow = new TarArchiveEntry("etc/shadow", TarConstants.LF_NORMAL, true);
    shadow.setMode(0640);
    shadow.setGroupId(42);
    shadow.setSize(0);
    TarArchiveEntry home = new TarArchiveEntry("home/u/", TarConstants.LF_DIR, true);
    home.setMode(0700);
    home.setUserId(1000);
    home.setGroupId(1000);
    TarArchiveEntry dev = new TarArchiveEntry("dev/null", TarConstants.LF_CHR, true);
    dev.setMode(0666);
    dev.setDevMajor(1);
    dev.setDevMinor(3);
    layers.add(TestLayer.of()
        .dir("ro", 0555).file("ro/f", "lower").file("ro/gone", "x")
        .dir("ro/sub", 0500).file("ro/sub/deep", "d", 0)
        .file("zero", "z", 0)
        .entry(shadow, new byte[0]).entry(home, null).entry(dev, null).fifo("run/fifo")
        .writeTar(tmp, "l1"));
    layers.add(TestLayer.of()
        .file("ro/new", "upper").file("ro/.wh.gone", "").file("ro/f", "replaced")
        .file("ro/sub/.wh..wh..opq", "").hardlink("zero-link", "zero")
        .writeTar(tmp, "l2"));
  }

  private String run(String... unshareArgs) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(unshare.toString()));
    cmd.addAll(List.of(unshareArgs));
    cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), UnpackMain.class.getName(),
        tmp.resolve("rootfs").toString(), tmp.resolve("cache").toString()));
    for (LayerSource l : layers) {
      cmd.add(l.blobFile().toString());
      cmd.add(l.diffId().toString());
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES));
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("pruned=1 left=0"), "a tree with read-only dirs is pruned: " + out);
    return out;
  }

  private Path at(String rel) {
    return tmp.resolve("rootfs").resolve(rel);
  }

  private static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW) & 07777;
  }

  private static List<String> ls(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private void assertTreeShape() throws IOException {
    assertEquals(List.of("f", "new", "sub"), ls(at("ro")));
    assertEquals("replaced", Files.readString(at("ro/f")));
    assertEquals(0555, mode(at("ro")));
    assertEquals(List.of(), ls(at("ro/sub")));
    assertEquals(0500, mode(at("ro/sub")));
    assertEquals(0, mode(at("zero")));
    assertEquals(Files.getAttribute(at("zero"), "unix:ino"), Files.getAttribute(at("zero-link"), "unix:ino"));
  }

  @Test
  void withoutPrivilegesReadOnlyDirsAndModeZeroFilesDoNotBlockLaterEntries() throws Exception {
    String out = run("--user");
    assertTreeShape();
    assertTrue(out.contains("etc/shadow=0:42"), out);
    assertTrue(out.contains("home/u=1000:1000"), out);
    assertTrue(out.contains("ro/f=0:0"), "every owner is recorded: " + out);
    assertTrue(out.contains("skipped=run/fifo") && out.contains("skipped=dev/null"), out);
    assertFalse(Files.exists(at("run/fifo"), NOFOLLOW));
  }

  @Test
  void asNamespaceRootUnmappedOwnersAreRecordedAndDevicesSkipped() throws Exception {
    String out = run("--user", "--map-root-user");
    assertTreeShape();
    // Only uid/gid 0 are mapped: 0:42 and 1000:1000 cannot be applied, 0:0 everywhere else can.
    assertTrue(out.contains("owners={etc/shadow=0:42, home/u=1000:1000}"), out);
    assertEquals(0, Files.getAttribute(at("etc/shadow"), "unix:gid", NOFOLLOW));
    assertTrue(out.contains("skipped=dev/null"), out);
    assertFalse(out.contains("skipped=run/fifo"), out);
    int fifo = (Integer) Files.getAttribute(at("run/fifo"), "unix:mode", NOFOLLOW);
    assertEquals(0010000, fifo & 0170000);
  }
}
