package dev.boxkit.oci.unpack;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * Secure-join path resolution inside a root directory. Locations are {@code rel} strings of real
 * components joined by {@code /} ({@code ""} is the root). Every component of a returned {@code rel}
 * has been checked (lstat) to be a real directory, so {@code root.resolve(rel)} never traverses a
 * symlink as long as nobody else writes to the tree (the tree is private to the unpacker).
 */
final class RootfsTree {
  /** Same bound as Linux's MAXSYMLINKS; beyond it a chain is treated as a loop. */
  static final int MAX_SYMLINK_HOPS = 40;

  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

  private final Path root;

  RootfsTree(Path root) {
    this.root = root;
  }

  Path root() {
    return root;
  }

  Path path(String rel) {
    return rel.isEmpty() ? root : root.resolve(rel);
  }

  /** @return the file's attributes without following a final symlink, or null when absent */
  static BasicFileAttributes lstat(Path p) throws IOException {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /**
   * Resolves directory components like {@code chroot(root) + realpath}: a symlink is replaced by its
   * target, an absolute target restarts at the root, {@code ..} pops one level and stops at the root.
   *
   * @param comps directory components (from an entry name or a link target)
   * @param create create missing directories (default mode) and report each to {@code onCreated}
   * @return the real location, or null when {@code create} is false and a component is missing or
   *     not a directory
   * @throws Refused on a symlink loop, or (when creating) when a component is not a directory
   */
  String resolveDir(List<String> comps, boolean create, Consumer<String> onCreated)
      throws IOException {
    Deque<String> todo = new ArrayDeque<>(comps);
    List<String> stack = new ArrayList<>();
    int hops = 0;
    while (!todo.isEmpty()) {
      String c = todo.removeFirst();
      if (c.isEmpty() || c.equals(".")) {
        continue;
      }
      if (c.equals("..")) {
        if (!stack.isEmpty()) {
          stack.remove(stack.size() - 1);
        }
        continue;
      }
      String rel = EntryNames.child(String.join("/", stack), c);
      Path p = path(rel);
      BasicFileAttributes a = lstat(p);
      if (a == null) {
        if (!create) {
          return null;
        }
        Files.createDirectory(p);
        onCreated.accept(rel);
      } else if (a.isSymbolicLink()) {
        if (++hops > MAX_SYMLINK_HOPS) {
          throw Refused.unsafe("too many levels of symbolic links at \"" + rel + "\" (a loop?)");
        }
        String target = Files.readSymbolicLink(p).toString();
        if (target.startsWith("/")) {
          stack.clear();
        }
        String[] parts = target.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
          todo.addFirst(parts[i]);
        }
        continue;
      } else if (!a.isDirectory()) {
        if (!create) {
          return null;
        }
        throw Refused.invalid("\"" + rel + "\" is not a directory");
      }
      stack.add(c);
    }
    return String.join("/", stack);
  }

  /** @return the names in directory {@code rel}, read fully before the caller changes anything */
  List<String> list(String rel) throws IOException {
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(path(rel))) {
      for (Path c : ds) {
        names.add(c.getFileName().toString());
      }
    }
    return names;
  }

  /**
   * Deletes {@code p} and everything below it without following symlinks; a directory missing
   * {@code u+rwx} (possible when not root) gets it first so that its children can be removed.
   */
  static void deleteRecursively(Path p) throws IOException {
    dev.boxkit.oci.io.FileTrees.deleteRecursively(p);
  }
}
