package dev.boxkit.oci.layer;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a host directory tree into layer entries without following symlinks: a symlink becomes a
 * symlink entry with its target verbatim, wherever it points. Regular files with more than one
 * link carry their inode key so the builder can turn all but one into hardlink entries.
 */
final class HostTreeScanner {
  /** A scanned entry; {@code inode} is non-null for regular files with more than one link. */
  record Scanned(LayerEntry entry, Object inode) {}

  /** How host metadata maps to entries. */
  record Options(List<ExcludeGlob> excludes, boolean preserveOwnership, PermissionPolicy permissions) {}

  private HostTreeScanner() {}

  static List<Scanned> scan(Path hostDir, ImagePath at, Options options) {
    Path root;
    try {
      root = hostDir.toRealPath();
    } catch (NoSuchFileException e) {
      throw new LayerSourceException(hostDir.toString(), "does not exist", e);
    } catch (IOException e) {
      throw new LayerSourceException(hostDir.toString(), "cannot be read: " + e, e);
    }
    if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
      throw new LayerSourceException(hostDir.toString(), "is not a directory", null);
    }
    List<Scanned> out = new ArrayList<>();
    try {
      Files.walkFileTree(root, Set.of(), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
          ImagePath p = map(root, dir, at);
          if (!dir.equals(root) && excluded(p, options)) {
            return FileVisitResult.SKIP_SUBTREE;
          }
          if (!p.isRoot()) {
            out.add(new Scanned(new LayerEntry.Directory(p, attributes(dir, p, FileMode.DIRECTORY, options)), null));
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          ImagePath p = map(root, file, at);
          if (excluded(p, options)) {
            return FileVisitResult.CONTINUE;
          }
          out.add(entry(file, p, attrs, options));
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) {
          throw new LayerSourceException(file.toString(), "cannot be read: " + e, e);
        }
      });
    } catch (IOException e) {
      throw new LayerSourceException(hostDir.toString(), "cannot be walked: " + e, e);
    }
    return out;
  }

  private static boolean excluded(ImagePath p, Options options) {
    for (ExcludeGlob g : options.excludes()) {
      if (g.matches(p)) {
        return true;
      }
    }
    return false;
  }

  private static ImagePath map(Path root, Path file, ImagePath at) {
    String rel = root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
    ImagePath p = rel.isEmpty() ? at : at.resolve(rel);
    if (p.fileName().startsWith(LayerBuilder.WHITEOUT_PREFIX)) {
      throw new LayerSourceException(file.toString(), "its name starts with \""
          + LayerBuilder.WHITEOUT_PREFIX + "\", which marks a whiteout in a layer"
          + " (image-spec layer.md); exclude it or use addWhiteout", null);
    }
    return p;
  }

  private static Scanned entry(Path file, ImagePath p, BasicFileAttributes attrs, Options options)
      throws IOException {
    if (attrs.isSymbolicLink()) {
      String target = Files.readSymbolicLink(file).toString();
      EntryAttributes a = attributes(file, p, FileMode.SYMLINK, options).withMode(FileMode.SYMLINK);
      return new Scanned(new LayerEntry.Symlink(p, target, a), null);
    }
    if (!attrs.isRegularFile()) {
      throw new LayerSourceException(file.toString(),
          "is neither a regular file, directory nor symlink (a socket, FIFO or device); exclude it", null);
    }
    long size = attrs.size();
    EntryAttributes a = attributes(file, p, FileMode.FILE, options);
    LayerEntry.RegularFile f = new LayerEntry.RegularFile(p, size,
        () -> Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS), file.toString(), a);
    Object inode = null;
    Map<String, Object> unix = unixAttributes(file, "nlink");
    if (unix != null && ((Number) unix.get("nlink")).intValue() > 1) {
      inode = attrs.fileKey();
    }
    return new Scanned(f, inode);
  }

  /** Mode and owner as the options say: the policy's mode, and 0:0 unless told to preserve owners. */
  private static EntryAttributes attributes(Path file, ImagePath p, FileMode typeDefault,
      Options options) throws IOException {
    FileMode mode = typeDefault.equals(FileMode.SYMLINK) ? FileMode.SYMLINK
        : options.permissions().apply(hostPermissionBits(file), typeDefault.equals(FileMode.DIRECTORY));
    EntryAttributes a = EntryAttributes.DEFAULTS.withMode(mode);
    if (options.preserveOwnership()) {
      Map<String, Object> unix = unixAttributes(file, "uid,gid");
      if (unix != null) {
        a = a.withOwner(((Number) unix.get("uid")).longValue(), ((Number) unix.get("gid")).longValue());
      }
    }
    return a;
  }

  static int hostPermissionBits(Path file) throws IOException {
    Map<String, Object> unix = unixAttributes(file, "mode");
    if (unix != null) {
      return ((Number) unix.get("mode")).intValue() & 07777;
    }
    try {
      int bits = 0;
      for (PosixFilePermission perm : Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS)) {
        bits |= 0400 >> perm.ordinal();
      }
      return bits;
    } catch (UnsupportedOperationException e) {
      return Files.isExecutable(file) ? 0755 : 0644;
    }
  }

  /** @return the "unix" view's attributes, or null where the platform lacks that view */
  private static Map<String, Object> unixAttributes(Path file, String names) throws IOException {
    try {
      return Files.readAttributes(file, "unix:" + names, LinkOption.NOFOLLOW_LINKS);
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      return null;
    }
  }
}
