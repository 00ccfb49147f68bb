package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.unpack.FileOwner;
import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EROFS images checked by the reference tools: {@code fsck.erofs} verifies every inode and
 * extracts the image, {@code dump.erofs} reports what each inode holds, and both must give back
 * the tree that was written.
 */
class ErofsImageTest {
  static final boolean ROOT = "root".equals(System.getProperty("user.name"));

  @TempDir Path tmp;

  static Path fsck() {
    return ExternalTools.require("fsck.erofs", "erofs-utils");
  }

  static String run(String... argv) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", argv) + ": " + out);
    return out;
  }

  static void sh(String cmd) throws IOException, InterruptedException {
    run("sh", "-c", cmd);
  }

  /** A tree with every type and the layouts' edge cases. */
  static Path richTree(Path root) throws Exception {
    Files.createDirectories(root.resolve("a/b/c"));
    Random r = new Random(7);
    for (int size : new int[] {0, 1, 4095, 4096, 4097, 1 << 20}) {
      byte[] b = new byte[size];
      r.nextBytes(b);
      Files.write(root.resolve("a/f" + size), b);
    }
    Files.writeString(root.resolve("a/b/c/deep"), "deep\n");
    Files.createSymbolicLink(root.resolve("rel"), Path.of("a/b/c/deep"));
    Files.createSymbolicLink(root.resolve("abs"), Path.of("/" + "x".repeat(300)));
    Files.writeString(root.resolve("h1"), "linked\n");
    Files.createLink(root.resolve("a/h2"), root.resolve("h1"));
    Files.writeString(root.resolve("caf\u00e9 \u65e5\u672c"), "utf-8\n");
    Path many = Files.createDirectories(root.resolve("many"));
    for (int i = 0; i < 600; i++) {
      Files.writeString(many.resolve(String.format("entry-%04d-%s", i, "n".repeat(i % 200))), Integer.toString(i));
    }
    sh("mkfifo '" + root.resolve("fifo") + "'");
    Files.writeString(root.resolve("suid"), "s");
    sh("chmod 4755 '" + root.resolve("suid") + "' && chmod 0 '" + root.resolve("a/f1") + "'"
        + " && mkdir -m 1777 '" + root.resolve("sticky") + "'");
    Files.setLastModifiedTime(root.resolve("a/f4096"), FileTime.from(Instant.ofEpochSecond(1_700_000_000L, 123_456_789)));
    if (ROOT) {
      sh("mknod '" + root.resolve("null") + "' c 1 3 && mknod '" + root.resolve("blk") + "' b 259 300"
          + " && chown 1234:5678 '" + root.resolve("a/f4097") + "' && chown -h 42:43 '" + root.resolve("rel") + "'");
    }
    return root;
  }

  @Test
  void fsckExtractsTheTreeThatWasWritten() throws Exception {
    Path fsck = fsck();
    Path src = richTree(tmp.resolve("src"));
    Path img = tmp.resolve("root.erofs");
    ErofsImage.Written w = ErofsImage.write(src, Map.of("a/b/c/deep", new FileOwner(70000, 80000)), img);
    assertEquals(Files.size(img), w.bytes());
    assertEquals(0, w.bytes() % ErofsImage.BLOCK);
    run(fsck.toString(), img.toString());
    Path out = tmp.resolve("out");
    run(fsck.toString(), "--extract=" + out, "--preserve", img.toString());
    // fsck.erofs 1.5 chowns after chmod, which clears set-id bits: those are read from the inode below.
    Map<String, String> expected = listing(src, Map.of("a/b/c/deep", "70000:80000"));
    expected.put("suid", expected.get("suid").replaceFirst("^104755", "100755"));
    assertSameTree(expected, listing(out, Map.of()));
  }

  @Test
  void dumpReportsOwnersTimesLinksAndDevices() throws Exception {
    fsck();
    Path dump = ExternalTools.require("dump.erofs", "erofs-utils");
    Path src = richTree(tmp.resolve("src"));
    Path img = tmp.resolve("root.erofs");
    ErofsImage.write(src, Map.of("a/b/c/deep", new FileOwner(70000, 80000)), img);
    String deep = run(dump.toString(), "--path=/a/b/c/deep", img.toString());
    assertTrue(deep.contains("70000") && deep.contains("80000"), deep);
    String h1 = run(dump.toString(), "--path=/h1", img.toString());
    String h2 = run(dump.toString(), "--path=/a/h2", img.toString());
    assertEquals(nid(h1), nid(h2), "hard links share one inode");
    assertTrue(h1.matches("(?s).*[Ll]inks:\\s*2.*"), h1);
    ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(img)).order(ByteOrder.LITTLE_ENDIAN);
    long suid = nid(run(dump.toString(), "--path=/suid", img.toString())) * 32;
    assertEquals(0104755, raw.getShort((int) suid + 4) & 0xFFFF, "i_mode keeps the setuid bit");
    String sb = run(dump.toString(), "-s", img.toString());
    assertTrue(sb.contains("36"), "root nid 36: " + sb);
    if (ROOT) {
      String f = run(dump.toString(), "--path=/a/f4097", img.toString());
      assertTrue(f.contains("1234") && f.contains("5678"), f);
    }
    // The mtime with nanoseconds, read from the inode itself (dump.erofs 1.5 prints seconds only).
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(img)).order(ByteOrder.LITTLE_ENDIAN);
    long at = nid(run(dump.toString(), "--path=/a/f4096", img.toString())) * 32;
    assertEquals(1_700_000_000L, b.getLong((int) at + 32));
    assertEquals(123_456_789, b.getInt((int) at + 40));
  }

  @Test
  void sameTreeSameBytes() throws Exception {
    Path src = richTree(tmp.resolve("src"));
    ErofsImage.write(src, Map.of(), tmp.resolve("1.erofs"));
    ErofsImage.write(src, Map.of(), tmp.resolve("2.erofs"));
    assertArrayEquals(Files.readAllBytes(tmp.resolve("1.erofs")), Files.readAllBytes(tmp.resolve("2.erofs")));
  }

  @Test
  void anExistingImageIsNeverOverwrittenAndAFailedWriteLeavesNothing() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Path img = Files.writeString(tmp.resolve("taken"), "keep");
    assertThrows(SandboxException.class, () -> ErofsImage.write(src, Map.of(), img));
    assertEquals("keep", Files.readString(img));
    Path notDir = Files.writeString(tmp.resolve("file"), "x");
    Path img2 = tmp.resolve("img2");
    SandboxException e = assertThrows(SandboxException.class, () -> ErofsImage.write(notDir, Map.of(), img2));
    assertTrue(e.getMessage().contains(notDir.toString()), e.getMessage());
    assertFalse(Files.exists(img2));
  }

  @Test
  void deviceNumbersUseTheKernelsEncoding() {
    // glibc makedev(259, 300) = 0x12c00 | 0x10300 ... as unix:rdev reports it
    long glibc = ((259L & 0xfff) << 8) | ((259L & ~0xfffL) << 32) | (300L & 0xff) | ((300L & ~0xffL) << 12);
    long encoded = ErofsImage.newEncodeDev(glibc);
    assertEquals(259, (encoded & 0xfff00) >> 8);
    assertEquals(300, (encoded & 0xff) | ((encoded >> 12) & 0xfff00));
  }

  /** Fails naming only the entries that differ. */
  static void assertSameTree(Map<String, String> expected, Map<String, String> actual) {
    List<String> diff = new ArrayList<>();
    java.util.Set<String> keys = new java.util.TreeSet<>(expected.keySet());
    keys.addAll(actual.keySet());
    for (String k : keys) {
      if (!java.util.Objects.equals(expected.get(k), actual.get(k))) {
        diff.add(k + ": expected " + expected.get(k) + ", got " + actual.get(k));
      }
    }
    assertTrue(diff.isEmpty(), String.join("\n", diff));
  }

  static long nid(String dump) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("NID:\\s*(\\d+)").matcher(dump);
    assertTrue(m.find(), dump);
    return Long.parseLong(m.group(1));
  }

  /** Every entry's relative path with type, mode, owner, size and content hash or link target. */
  static Map<String, String> listing(Path root, Map<String, String> ownerOverrides) throws IOException {
    Map<String, String> out = new TreeMap<>();
    List<Path> all = new ArrayList<>();
    try (Stream<Path> s = Files.walk(root)) {
      s.forEach(all::add);
    }
    for (Path p : all) {
      String rel = root.relativize(p).toString();
      Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,rdev", LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) a.get("mode");
      String owner = ownerOverrides.getOrDefault(rel, a.get("uid") + ":" + a.get("gid"));
      if (!ROOT) {
        owner = "";
      }
      String what;
      if (Files.isSymbolicLink(p)) {
        what = "-> " + Files.readSymbolicLink(p);
      } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        what = a.get("size") + " " + java.util.Arrays.hashCode(Files.readAllBytes(p));
      } else if ((mode & 0170000) == 0020000 || (mode & 0170000) == 0060000) {
        what = "dev " + a.get("rdev");
      } else {
        what = "";
      }
      // Symbolic links' own modes are not kept by every extractor; their targets are what matter.
      String m = Files.isSymbolicLink(p) ? "l" : Integer.toOctalString(mode);
      out.put(rel, m + " " + owner + " " + what);
    }
    return out;
  }
}
