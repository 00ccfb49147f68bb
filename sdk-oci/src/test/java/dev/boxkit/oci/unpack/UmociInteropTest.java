package dev.boxkit.oci.unpack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Digest;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same layers unpacked by BoxKit and by {@code umoci unpack} give the same tree: paths,
 * types, modes, owners, content, symlink targets, hardlink groups and mtimes.
 */
class UmociInteropTest {
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

  @TempDir Path tmp;

  @Test
  void treeMatchesUmociUnpack() throws Exception {
    Path umoci = ExternalTools.require("umoci", "umoci");
    ExternalTools.requireHost(RootfsUnpacker.ProcessIdentity.isEffectiveRoot(),
        "comparing ownership with umoci needs root");
    TarArchiveEntry owned = new TarArchiveEntry("home/user/.profile", TarConstants.LF_NORMAL, true);
    owned.setMode(0600);
    owned.setUserId(1000);
    owned.setGroupId(1000);
    owned.setSize(3);
    owned.setLastModifiedTime(TestLayer.MTIME);
    TarArchiveEntry home = new TarArchiveEntry("home/user/", TarConstants.LF_DIR, true);
    home.setMode(0750);
    home.setUserId(1000);
    home.setGroupId(1000);
    home.setLastModifiedTime(TestLayer.MTIME);
    List<LayerSource> layers = List.of(
        TestLayer.of()
            .dir("usr").dir("usr/bin").file("usr/bin/su", "su", 04755).file("usr/bin/busybox", "bb", 0755)
            .hardlink("usr/bin/ls", "usr/bin/busybox").symlink("bin", "usr/bin")
            .symlink("usr/bin/sh", "/usr/bin/busybox").dir("tmp", 01777)
            .entry(home, null).entry(owned, "sh\n".getBytes(StandardCharsets.UTF_8))
            .dir("d").file("d/old", "o").dir("d/sub").file("d/sub/old", "o")
            .dir("e").file("e/old", "o").file("f", "f").dir("g").file("g/x", "x")
            .writeGzip(tmp, "l1"),
        TestLayer.of()
            .file(".wh.f", "").dir("d").file("d/.wh..wh..opq", "").file("d/new", "n")
            .file(".wh.e", "").dir("e", 0700).file("e/new", "n")
            .file("bin/tool", "t", 0755).hardlink("usr/bin/cat", "usr/bin/busybox")
            .file("g", "now a file").file("zero", "z", 0)
            .writeGzip(tmp, "l2"));

    Path layout = writeLayout(layers);
    Path bundle = tmp.resolve("bundle");
    Process p = new ProcessBuilder(umoci.toString(), "unpack", "--image", layout + ":test", bundle.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES));
    assertEquals(0, p.exitValue(), out);

    RootfsUnpacker.defaults().unpack(layers, tmp.resolve("boxkit"));
    Map<String, String> theirs = describe(bundle.resolve("rootfs"));
    Map<String, String> ours = describe(tmp.resolve("boxkit"));
    assertEquals(theirs, ours);
    assertTrue(ours.containsKey("usr/bin/tool") && ours.containsKey("d/new"), ours.keySet().toString());
  }

  private Path writeLayout(List<LayerSource> layers) throws IOException {
    Path layout = tmp.resolve("layout");
    Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
    Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    List<String> diffIds = new ArrayList<>();
    List<String> layerDescs = new ArrayList<>();
    for (LayerSource l : layers) {
      Files.copy(l.blobFile(), blobs.resolve(l.digest().hex()));
      diffIds.add("\"" + l.diffId() + "\"");
      layerDescs.add("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\""
          + l.digest() + "\",\"size\":" + Files.size(l.blobFile()) + "}");
    }
    String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + String.join(",", diffIds) + "]}}";
    String configDesc = blob(blobs, config, "application/vnd.oci.image.config.v1+json");
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        + "\"config\":" + configDesc + ",\"layers\":[" + String.join(",", layerDescs) + "]}";
    String manifestDesc = blob(blobs, manifest, "application/vnd.oci.image.manifest.v1+json");
    Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":["
        + manifestDesc.replaceFirst("}$", ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"test\"}}")
        + "]}");
    return layout;
  }

  private static String blob(Path blobs, String json, String mediaType) throws IOException {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    Digest d = Digest.sha256(b);
    Files.write(blobs.resolve(d.hex()), b);
    return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + d + "\",\"size\":" + b.length + "}";
  }

  /** Every path below {@code root} with what an image cares about; hardlinks as groups. */
  private static Map<String, String> describe(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    Map<Object, String> firstPathOfInode = new HashMap<>();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
        if (!d.equals(root)) {
          put(d, a);
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
        put(f, a);
        return FileVisitResult.CONTINUE;
      }

      private void put(Path p, BasicFileAttributes a) throws IOException {
        String rel = root.relativize(p).toString();
        Map<String, Object> u = Files.readAttributes(p, "unix:mode,uid,gid", NOFOLLOW);
        StringBuilder sb = new StringBuilder();
        sb.append(a.isDirectory() ? "dir" : a.isSymbolicLink() ? "symlink" : "file");
        sb.append(" mode=").append(Integer.toOctalString((Integer) u.get("mode") & 07777));
        sb.append(" owner=").append(u.get("uid")).append(':').append(u.get("gid"));
        // A parent no layer names (home/) gets the wall clock from both unpackers.
        boolean fromLayer = a.lastModifiedTime().toMillis() < System.currentTimeMillis() - 86_400_000L;
        sb.append(" mtime=").append(fromLayer ? a.lastModifiedTime() : "unpack time");
        if (a.isSymbolicLink()) {
          sb.append(" -> ").append(Files.readSymbolicLink(p));
        } else if (a.isRegularFile()) {
          sb.append(" sha256=").append(Digest.sha256(Files.readAllBytes(p)).shortHex());
          sb.append(" link-group=").append(firstPathOfInode.computeIfAbsent(a.fileKey(), k -> rel));
        }
        out.put(rel, sb.toString());
      }
    });
    return out;
  }
}
