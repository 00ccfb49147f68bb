package dev.boxkit.oci.unpack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import dev.boxkit.oci.Digest;

/**
 * A temporary directory around an unpack target, full of sentinels ({@code jail/etc/passwd},
 * {@code jail/outside/secret}, a sibling tree next to the target), whose state can be snapshotted:
 * every path with type, mode, mtime, link count, link target and content hash. The target
 * ({@code jail/work/rootfs}) is excluded; anything else that changes was written by the unpacker.
 */
final class Jail implements AutoCloseable {
  final Path dir;
  final Path work;
  final Path target;

  Jail() {
    try {
      dir = Files.createTempDirectory("boxkit-jail-").toRealPath();
      Files.createDirectories(dir.resolve("etc"));
      Files.writeString(dir.resolve("etc/passwd"), "jail:x:0:0::/:/bin/sh\n");
      Files.createDirectories(dir.resolve("outside"));
      Files.writeString(dir.resolve("outside/secret"), "secret\n");
      Files.createDirectories(dir.resolve("tmp"));
      work = dir.resolve("work");
      Files.createDirectories(work.resolve("sibling/sub"));
      Files.writeString(work.resolve("sibling/sub/file"), "sibling\n");
      Files.createSymbolicLink(work.resolve("sibling/link"), Path.of("/etc"));
      target = work.resolve("rootfs");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** @return a description of every path in the jail except the target's subtree */
  Map<String, String> snapshot() {
    Map<String, String> out = new TreeMap<>();
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
          if (d.equals(target)) {
            return FileVisitResult.SKIP_SUBTREE;
          }
          out.put(dir.relativize(d).toString(), describe(d));
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
          if (!f.equals(target)) {
            out.put(dir.relativize(f).toString(), describe(f));
          }
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private static String describe(Path p) throws IOException {
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      // A directory's mtime and link count change when children come and go; children are listed.
      return "dir " + Files.readAttributes(p, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
    }
    Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,nlink,lastModifiedTime,size",
        LinkOption.NOFOLLOW_LINKS);
    StringBuilder sb = new StringBuilder(a.toString());
    if (Files.isSymbolicLink(p)) {
      sb.append(" -> ").append(Files.readSymbolicLink(p));
    } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
      sb.append(" sha256=").append(Digest.sha256(Files.readAllBytes(p)).hex());
    }
    return sb.toString();
  }

  static String token() {
    byte[] b = new byte[6];
    new java.security.SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  @Override
  public void close() {
    try {
      RootfsTree.deleteRecursively(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
