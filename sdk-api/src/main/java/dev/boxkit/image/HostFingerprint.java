package dev.boxkit.image;

import dev.boxkit.oci.OciException;
import dev.boxkit.oci.Digest;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A digest of host file metadata — path, type, size, mtime (ns), mode, owner, inode, link target
 * — standing in for the files' content when deciding whether a layer must be rebuilt. Like make
 * and Jib, it trusts that a file whose size and mtime are unchanged has unchanged content.
 */
final class HostFingerprint {
  private HostFingerprint() {}

  /** @return the fingerprint of every entry below {@code root} (root included), links not followed */
  static Digest ofTree(Path root) {
    TreeMap<String, String> lines = new TreeMap<>();
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
          lines.put(root.relativize(dir).toString(), describe(dir));
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          lines.put(root.relativize(file).toString(), describe(file));
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (NoSuchFileException e) {
      lines.put("", "missing");
    } catch (IOException e) {
      throw new OciException("fingerprinting " + root + ": " + e, e);
    }
    return digest(lines);
  }

  /** @return the fingerprint of the given files (links not followed) */
  static Digest ofFiles(List<Path> files) {
    TreeMap<String, String> lines = new TreeMap<>();
    for (Path f : files) {
      try {
        lines.put(f.toString(), describe(f));
      } catch (NoSuchFileException e) {
        lines.put(f.toString(), "missing");
      } catch (IOException e) {
        throw new OciException("fingerprinting " + f + ": " + e, e);
      }
    }
    return digest(lines);
  }

  /** The attributes read: one lstat(2); {@code unix:*} would also look up owner names. */
  private static final String ATTRIBUTES = "unix:mode,uid,gid,size,lastModifiedTime,dev,ino";
  private static final int S_IFMT = 0170000;
  private static final int S_IFLNK = 0120000;

  private static String describe(Path p) throws IOException {
    Map<String, Object> a = Files.readAttributes(p, ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) a.get("mode");
    String link = (mode & S_IFMT) == S_IFLNK ? Files.readSymbolicLink(p).toString() : "";
    return mode + " " + a.get("uid") + ":" + a.get("gid") + " " + a.get("size") + " "
        + a.get("lastModifiedTime") + " " + a.get("dev") + "/" + a.get("ino") + " " + link;
  }

  private static Digest digest(TreeMap<String, String> lines) {
    StringBuilder sb = new StringBuilder();
    lines.forEach((k, v) -> sb.append(k).append('\0').append(v).append('\n'));
    return Digest.sha256(sb.toString());
  }
}
