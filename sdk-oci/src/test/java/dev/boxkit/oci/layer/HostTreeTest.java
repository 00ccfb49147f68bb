package dev.boxkit.oci.layer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Digest;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostTreeTest {
  @TempDir Path tmp;

  private static Map<String, TarEntryInfo> byName(LayerBlob blob) {
    return LayerReader.read(blob.file()).entries().stream()
        .collect(Collectors.toMap(TarEntryInfo::name, Function.identity()));
  }

  private Path sampleTree() throws IOException {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(outside.resolve("secret"), "must not be copied");
    Path root = Files.createDirectories(tmp.resolve("root"));
    Files.createDirectories(root.resolve("bin"));
    Files.createDirectories(root.resolve("empty"));
    Files.writeString(root.resolve("bin/run"), "#!/bin/sh\necho hi\n");
    Files.setPosixFilePermissions(root.resolve("bin/run"), PosixFilePermissions.fromString("rwx------"));
    Files.writeString(root.resolve("data.txt"), "data");
    Files.setPosixFilePermissions(root.resolve("data.txt"), PosixFilePermissions.fromString("rw-------"));
    Files.createSymbolicLink(root.resolve("abs-link"), Path.of("/etc/passwd"));
    Files.createSymbolicLink(root.resolve("escape"), Path.of("../outside"));
    Files.createSymbolicLink(root.resolve("escape-file"), Path.of("../outside/secret"));
    Files.createLink(root.resolve("bin/z-second-name"), root.resolve("bin/run"));
    Files.createLink(root.resolve("a-first-name"), root.resolve("bin/run"));
    return root;
  }

  @Test
  void keepsSymlinksAsSymlinksAndNeverFollowsThemOutOfTheTree() throws IOException {
    Map<String, TarEntryInfo> e = byName(LayerBuilder.create().addTree(sampleTree(), "/app")
        .build(tmp.resolve("l.tgz")));
    assertEquals(TarEntryInfo.Type.SYMLINK, e.get("app/escape").type());
    assertEquals("../outside", e.get("app/escape").linkName());
    assertEquals(TarEntryInfo.Type.SYMLINK, e.get("app/escape-file").type());
    assertEquals("../outside/secret", e.get("app/escape-file").linkName());
    assertEquals("/etc/passwd", e.get("app/abs-link").linkName());
    assertNull(e.get("app/escape/secret"));
    assertTrue(e.keySet().stream().noneMatch(n -> n.contains("secret") && !n.endsWith("escape-file")), e.keySet().toString());
  }

  @Test
  void turnsSharedInodesIntoHardlinksToTheFirstPath() throws IOException {
    Map<String, TarEntryInfo> e = byName(LayerBuilder.create().addTree(sampleTree(), "/app")
        .build(tmp.resolve("l.tgz")));
    TarEntryInfo first = e.get("app/a-first-name");
    assertEquals(TarEntryInfo.Type.FILE, first.type());
    assertEquals(Digest.sha256("#!/bin/sh\necho hi\n"), first.contentDigest());
    for (String link : List.of("app/bin/run", "app/bin/z-second-name")) {
      assertEquals(TarEntryInfo.Type.HARDLINK, e.get(link).type(), link);
      assertEquals("app/a-first-name", e.get(link).linkName(), link);
    }
  }

  @Test
  void keepsHostModesNeverWideningThemAndOwnsByRoot() throws IOException {
    Path root = sampleTree();
    Files.setPosixFilePermissions(root.resolve("empty"), PosixFilePermissions.fromString("rwxr-x---"));
    Path shared = Files.writeString(root.resolve("shared.txt"), "group-writable");
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rw-rw-rw-"));
    Map<String, TarEntryInfo> e = byName(LayerBuilder.create().addTree(root, "/app")
        .build(tmp.resolve("l.tgz")));
    assertEquals(0700, e.get("app/a-first-name").mode(), "rwx------ stays private");
    assertEquals(0600, e.get("app/data.txt").mode(), "rw------- stays private");
    assertEquals(0750, e.get("app/empty/").mode(), "rwxr-x--- stays as it is");
    assertEquals(0644, e.get("app/shared.txt").mode(), "group/other write is cleared");
    assertEquals(TarEntryInfo.Type.DIRECTORY, e.get("app/").type());
    for (TarEntryInfo i : e.values()) {
      assertEquals(0, i.uid(), i.name());
      assertEquals(0, i.gid(), i.name());
      assertEquals("", i.uname(), i.name());
    }

    Map<String, TarEntryInfo> kept = byName(LayerBuilder.create().preservePermissions(true)
        .addTree(root, "/app").build(tmp.resolve("k.tgz")));
    assertEquals(0700, kept.get("app/a-first-name").mode());
    assertEquals(0600, kept.get("app/data.txt").mode());
    assertEquals(0666, kept.get("app/shared.txt").mode());

    Map<String, TarEntryInfo> jib = byName(LayerBuilder.create().permissions(PermissionPolicy.NORMALIZE)
        .addTree(root, "/app").build(tmp.resolve("n.tgz")));
    assertEquals(0755, jib.get("app/a-first-name").mode(), "rwx------ has an exec bit");
    assertEquals(0644, jib.get("app/data.txt").mode());
    assertEquals(0755, jib.get("app/empty/").mode());
  }

  @Test
  void aSingleHostFileFollowsThePolicySetAfterIt() throws IOException {
    Path f = Files.writeString(tmp.resolve("secret.key"), "k");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-rw----"));
    assertEquals(0640, byName(LayerBuilder.create().addFile(f, "/etc/key").build(tmp.resolve("a")))
        .get("etc/key").mode());
    assertEquals(0660, byName(LayerBuilder.create().addFile(f, "/etc/key").preservePermissions(true)
        .build(tmp.resolve("b"))).get("etc/key").mode());
    assertEquals(0644, byName(LayerBuilder.create().addFile(f, "/etc/key")
        .permissions(PermissionPolicy.NORMALIZE).build(tmp.resolve("c"))).get("etc/key").mode());
  }

  @Test
  void setIdBitsAreDroppedUnlessPreserved() throws IOException {
    Path f = Files.writeString(tmp.resolve("tool"), "t");
    Files.setAttribute(f, "unix:mode", 04755);
    assertEquals(0755, byName(LayerBuilder.create().addFile(f, "/bin/tool").build(tmp.resolve("a")))
        .get("bin/tool").mode());
    assertEquals(04755, byName(LayerBuilder.create().preservePermissions(true).addFile(f, "/bin/tool")
        .build(tmp.resolve("b"))).get("bin/tool").mode());
  }

  @Test
  void preservesOwnershipOnlyWhenAsked() throws IOException {
    Path root = sampleTree();
    Path data = root.resolve("data.txt");
    try {
      Files.setAttribute(data, "unix:uid", 4321);
      Files.setAttribute(data, "unix:gid", 8765);
    } catch (IOException | UnsupportedOperationException e) {
      ExternalTools.requireHost(false, "changing file owners needs root: " + e);
    }
    assertEquals(0, byName(LayerBuilder.create().addTree(root, "/").build(tmp.resolve("a"))).get("data.txt").uid());
    TarEntryInfo owned = byName(LayerBuilder.create().preserveOwnership(true).addTree(root, "/")
        .build(tmp.resolve("b"))).get("data.txt");
    assertEquals(4321, owned.uid());
    assertEquals(8765, owned.gid());
  }

  @Test
  void excludesByImagePathGlobs() throws IOException {
    Path root = sampleTree();
    Files.createDirectories(root.resolve("cache/deep"));
    Files.writeString(root.resolve("cache/deep/x"), "x");
    Files.writeString(root.resolve("top.log"), "log");
    Files.writeString(root.resolve("bin/deep.log"), "log");
    Map<String, TarEntryInfo> e = byName(LayerBuilder.create().addTree(root, "/app")
        .exclude("**/*.log", "app/cache", "escape*").build(tmp.resolve("l.tgz")));
    assertTrue(e.containsKey("app/bin/run"));
    for (String gone : List.of("app/top.log", "app/bin/deep.log", "app/cache/", "app/cache/deep/x",
        "app/escape", "app/escape-file")) {
      assertFalse(e.containsKey(gone), gone);
    }
  }

  @Test
  void globSemantics() {
    ExcludeGlob any = ExcludeGlob.parse("*.log");
    assertTrue(any.matches(ImagePath.parse("/a.log")));
    assertTrue(any.matches(ImagePath.parse("/x/y/a.log")));
    ExcludeGlob anchored = ExcludeGlob.parse("/x/*.log");
    assertTrue(anchored.matches(ImagePath.parse("/x/a.log")));
    assertFalse(anchored.matches(ImagePath.parse("/x/y/a.log")));
    ExcludeGlob deep = ExcludeGlob.parse("x/**/z");
    assertTrue(deep.matches(ImagePath.parse("/x/z")));
    assertTrue(deep.matches(ImagePath.parse("/x/a/b/z")));
    assertFalse(deep.matches(ImagePath.parse("/y/x/z")));
    ExcludeGlob cls = ExcludeGlob.parse("f[0-9]?");
    assertTrue(cls.matches(ImagePath.parse("/f1a")));
    assertFalse(cls.matches(ImagePath.parse("/fxa")));
    assertThrows(dev.boxkit.oci.InvalidInputException.class, () -> ExcludeGlob.parse(" "));
  }

  @Test
  void rejectsWhiteoutNamesAndSpecialFilesNamingThem() throws IOException, InterruptedException {
    Path root = Files.createDirectories(tmp.resolve("wh"));
    Files.writeString(root.resolve(".wh.x"), "");
    LayerSourceException e = assertThrows(LayerSourceException.class,
        () -> LayerBuilder.create().addTree(root, "/").entries());
    assertEquals(root.resolve(".wh.x").toString(), e.source());

    Path fifoDir = Files.createDirectories(tmp.resolve("fifo"));
    Path mkfifo = ExternalTools.require("mkfifo", "coreutils");
    assertEquals(0, new ProcessBuilder(mkfifo.toString(), fifoDir.resolve("pipe").toString())
        .inheritIO().start().waitFor());
    e = assertThrows(LayerSourceException.class, () -> LayerBuilder.create().addTree(fifoDir, "/").entries());
    assertEquals(fifoDir.resolve("pipe").toString(), e.source());
    // Excluding it makes the tree usable.
    assertEquals(0, LayerBuilder.create().addTree(fifoDir, "/").exclude("pipe").entries().size());
  }

  @Test
  void overlappingTreesShareIdenticalDirectoriesButNotFiles() throws IOException {
    Path a = Files.createDirectories(tmp.resolve("a/lib"));
    Path b = Files.createDirectories(tmp.resolve("b/lib"));
    Files.writeString(a.resolve("one"), "1");
    Files.writeString(b.resolve("two"), "2");
    List<LayerEntry> entries = LayerBuilder.create().addTree(tmp.resolve("a"), "/opt")
        .addTree(tmp.resolve("b"), "/opt").entries();
    assertEquals(List.of("/opt", "/opt/lib", "/opt/lib/one", "/opt/lib/two"),
        entries.stream().map(x -> x.path().value()).toList());
    Files.writeString(b.resolve("one"), "clash");
    dev.boxkit.oci.InvalidInputException e = assertThrows(dev.boxkit.oci.InvalidInputException.class,
        () -> LayerBuilder.create().addTree(tmp.resolve("a"), "/opt").addTree(tmp.resolve("b"), "/opt").entries());
    assertEquals("/opt/lib/one", e.value());
  }

  @Test
  void gnuTarListsNamesModesOwnersAndLinks() throws Exception {
    Path tar = ExternalTools.require("tar", "tar");
    String longName = "/very/" + "ü-long-segment-".repeat(12) + "/file-" + "x".repeat(120);
    LayerBlob blob = LayerBuilder.create().compression(Compression.NONE)
        .addTree(sampleTree(), "/app")
        .addFile(longName, "long".getBytes(UTF_8), EntryAttributes.DEFAULTS.withOwner(3_000_000, 7))
        .addWhiteout("/etc/gone")
        .build(tmp.resolve("layer.tar"));
    ProcessBuilder pb = new ProcessBuilder(tar.toString(), "--numeric-owner", "-tvf", blob.file().toString())
        .redirectErrorStream(true);
    pb.environment().put("TZ", "UTC");
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8);
    assertEquals(0, p.waitFor(), out);
    String listing = out.replaceAll(" +", " ");
    assertTrue(listing.contains("drwxr-xr-x 0/0 0 1970-01-01 00:00 app/\n"), listing);
    assertTrue(listing.contains("-rwx------ 0/0 18 1970-01-01 00:00 app/a-first-name\n"), listing);
    assertTrue(listing.contains("hrwx------ 0/0 0 1970-01-01 00:00 app/bin/run link to app/a-first-name\n"), listing);
    assertTrue(listing.contains("-rw------- 0/0 4 1970-01-01 00:00 app/data.txt\n"), listing);
    assertTrue(listing.contains("lrwxrwxrwx 0/0 0 1970-01-01 00:00 app/escape -> ../outside\n"), listing);
    assertTrue(listing.contains("-rw-r--r-- 0/0 0 1970-01-01 00:00 etc/.wh.gone\n"), listing);
    assertTrue(listing.contains("-rw-r--r-- 3000000/7 4 1970-01-01 00:00 " + longName.substring(1) + "\n"), listing);
    assertFalse(listing.contains("PaxHeaders"), listing);
  }

  @Test
  void gnuTarExtractsTheGzippedLayer() throws Exception {
    Path tar = ExternalTools.require("tar", "tar");
    ExternalTools.require("gzip", "gzip");
    String longName = "/deep/" + "é".repeat(120) + "/" + "n".repeat(250);
    LayerBlob blob = LayerBuilder.create().addTree(sampleTree(), "/app")
        .addFile(longName, "payload".getBytes(UTF_8)).build(tmp.resolve("layer.tar.gz"));
    Path into = Files.createDirectories(tmp.resolve("extracted"));
    Process p = new ProcessBuilder(tar.toString(), "-xzf", blob.file().toString(), "-C", into.toString())
        .redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8);
    assertEquals(0, p.waitFor(), out);
    assertEquals("payload", Files.readString(into.resolve(longName.substring(1))));
    assertEquals("#!/bin/sh\necho hi\n", Files.readString(into.resolve("app/bin/run")));
    assertEquals(Files.getAttribute(into.resolve("app/bin/run"), "unix:ino"),
        Files.getAttribute(into.resolve("app/a-first-name"), "unix:ino"), "hardlinked");
    assertEquals(Path.of("../outside"), Files.readSymbolicLink(into.resolve("app/escape")));
    assertTrue(Files.isExecutable(into.resolve("app/bin/run")));
  }
}
