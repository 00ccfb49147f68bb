package dev.boxkit.sandbox.linux;

import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxSetupException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host side of an image root: the shared unpacked tree (overlay lower layer) and a
 * per-sandbox directory holding the overlay's {@code upper} and {@code work} directories, which
 * must be on one filesystem. Wraps the sandbox's other resources; when they are finished the
 * directory is deleted, or its upper layer is first moved to the requested keep path.
 */
final class OverlayRoot implements SandboxResources {
  private static final Logger LOG = LoggerFactory.getLogger(OverlayRoot.class);

  private final Path lower;
  private final Path dir;
  private final Path keep;
  private final SandboxResources inner;

  private OverlayRoot(Path lower, Path dir, Path keep, SandboxResources inner) {
    this.lower = lower;
    this.dir = dir;
    this.keep = keep;
    this.inner = inner;
  }

  /**
   * Unpacks (or finds) the image and makes the per-sandbox directory: next to the keep path when
   * one is asked for (so the upper layer can be renamed there), else under {@code java.io.tmpdir}.
   *
   * @throws SandboxSetupException for step {@code unpack}, or {@code overlay} naming the path
   *     when the keep path exists or the directory cannot be made
   */
  static OverlayRoot create(Rootfs.FromImage root, SandboxResources inner) {
    Path lower = root.unpack().rootfs();
    Path keep = root.keepUpper();
    Path parent = keep != null ? keep.getParent() : Path.of(System.getProperty("java.io.tmpdir"));
    if (keep != null && Files.exists(keep, LinkOption.NOFOLLOW_LINKS)) {
      throw new SandboxSetupException("overlay", keep.toString(), 0, null,
          "root.keepUpper " + keep + " already exists; it would be overwritten");
    }
    Path dir = parent.resolve(".boxkit-overlay-" + UUID.randomUUID());
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rwx------")));
      Files.createDirectory(dir.resolve("upper"));
      Files.createDirectory(dir.resolve("work"));
    } catch (IOException e) {
      delete(dir);
      throw new SandboxSetupException("overlay", dir.toString(), 0, null,
          "creating the sandbox's writable layer in " + parent + ": " + e);
    }
    return new OverlayRoot(lower, dir, keep, inner);
  }

  /** @return the shared read-only tree */
  Path lower() {
    return lower;
  }

  /** @return the per-sandbox directory holding {@code upper/} and {@code work/} */
  Path dir() {
    return dir;
  }

  /** @return where the sandbox's writes go */
  Path upper() {
    return dir.resolve("upper");
  }

  /** @return overlayfs's work directory, on the upper's filesystem */
  Path work() {
    return dir.resolve("work");
  }

  @Override
  public void adopt(int pid) {
    inner.adopt(pid);
  }

  @Override
  public void killAll() {
    inner.killAll();
  }

  @Override
  public Usage finish() {
    try {
      return inner.finish();
    } finally {
      boolean keepDir = false;
      if (keep != null) {
        try {
          Files.move(upper(), keep);
        } catch (IOException e) {
          // Never lose what the sandbox wrote: the whole directory stays where it is.
          keepDir = true;
          LOG.warn("could not keep the upper layer at {}, it stays at {}: {}", keep, upper(), e.toString());
        }
      }
      if (!keepDir) {
        delete(dir);
      }
    }
  }

  /**
   * Deletes a tree the sandbox wrote: directories it made unreadable or unwritable (and
   * overlayfs's own {@code work/work}, mode 0) are made accessible first; links are not followed.
   */
  static void delete(Path root) {
    try {
      delete(root, new HashSet<>());
    } catch (IOException e) {
      LOG.warn("could not delete the sandbox's writable layer {}: {}", root, e.toString());
    }
  }

  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

  /**
   * Makes a directory the sandbox wrote accessible to its owner without following a symbolic
   * link swapped in for it. Without root a mode-0 directory cannot be opened to change it, so
   * only then is it changed by path: a root JVM never gets there, so a link raced in meanwhile
   * can only lead to the JVM user's own files.
   */
  private static void openUp(Path d) throws IOException {
    try {
      Files.getFileAttributeView(d, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .setPermissions(OWNER_ONLY);
    } catch (AccessDeniedException e) {
      if (!Files.isSymbolicLink(d)) {
        Files.setPosixFilePermissions(d, OWNER_ONLY);
      }
    }
  }

  private static void delete(Path root, Set<Path> openedUp) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) {
        try {
          openUp(d);
        } catch (IOException | UnsupportedOperationException e) {
          // deletion below says what is left
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
        Files.delete(f);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
        // The walker opens a directory before preVisitDirectory: without root, a mode-0
        // directory (overlayfs's work/work) fails here first. Open it up and walk it again.
        if (Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS) && openedUp.add(f)) {
          openUp(f);
          delete(f, openedUp);
        } else {
          Files.deleteIfExists(f);
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
