package dev.boxkit.sandbox.linux;

import com.sun.jna.Native;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxSetupException;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host side of an image root: the shared unpacked tree (overlay lower layer) and a
 * per-sandbox directory holding the overlay's {@code upper} and {@code work} directories, which
 * must be on one filesystem. Wraps the sandbox's other resources; when they are finished the
 * directory is deleted, or its upper layer is first moved to the requested keep path.
 */
final class OverlayRoot extends LayeredResources {
  private static final Logger LOG = LoggerFactory.getLogger(OverlayRoot.class);

  private final Path lower;
  private final Path dir;
  private final Path keep;

  private OverlayRoot(Path lower, Path dir, Path keep, SandboxResources inner) {
    super(inner);
    this.lower = lower;
    this.dir = dir;
    this.keep = keep;
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

  /** @return where the upper layer is kept when the sandbox ends, or null when it is deleted */
  Path keep() {
    return keep;
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
  void release() {
    boolean keepDir = false;
    if (keep != null) {
      try {
        strip(upper());
        // Checked again now: the sandbox may have written where the keep path's parents are.
        java.util.Optional<Path> link = dev.boxkit.oci.HostPathWalk.firstLink(keep);
        if (link.isPresent()) {
          throw new IOException("a symbolic link appeared at " + link.get());
        }
        Files.move(upper(), keep);
      } catch (IOException e) {
        // Never lose what the sandbox wrote: the whole directory stays where it is (mode
        // 0700, so an entry that could not be stripped stays out of others' reach).
        keepDir = true;
        LOG.warn("could not keep the upper layer at {}, it stays at {}: {}", keep, upper(), e.toString());
      }
    }
    if (!keepDir) {
      delete(dir);
    }
  }

  private static final int S_IFMT = 0170000;
  private static final int S_IFCHR = 0020000;
  private static final int S_IFBLK = 0060000;
  private static final int S_ISUID = 04000;
  private static final int S_ISGID = 02000;
  private static final String CAPABILITY = "security.capability";

  /**
   * Takes the privileges out of an upper layer before it is kept, so that the kept tree grants
   * nothing the sandbox could not already do: overlayfs copy-up keeps an image file's setuid bit
   * when the sandbox merely touches it, and a kept tree may later be read, copied or executed
   * on the host. Walks {@code upper} without following links and, on regular files, clears
   * {@code S_ISUID} and {@code S_ISGID} and removes the {@code security.capability} xattr; removes
   * character and block devices except overlayfs whiteouts (character device 0:0, which record
   * the sandbox's deletions). Setgid on a directory is kept: it only makes new entries inherit
   * the directory's group and grants nothing on exec. Fails closed: an entry that cannot be
   * stripped (or read) is deleted, with a warning naming it.
   *
   * @param upper the upper layer, after the sandbox ended
   * @throws IOException when an entry could neither be stripped nor deleted; the caller must not
   *     then keep the tree where others can reach it
   */
  static void strip(Path upper) throws IOException {
    Files.walkFileTree(upper, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
        try {
          stripEntry(f, a);
        } catch (IOException | RuntimeException e) {
          LOG.warn("deleting {} from the kept upper layer: its privileges could not be removed: {}",
              f, e.toString());
          Files.delete(f);
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
        // Without root, a directory the sandbox made unreadable cannot be walked: what it holds
        // cannot be checked, so it is not kept.
        LOG.warn("deleting {} from the kept upper layer: it could not be checked: {}", f, e.toString());
        delete(f);
        if (Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
          throw new IOException("could neither check nor delete " + f, e);
        }
        return FileVisitResult.CONTINUE;
      }
    });
  }

  private static void stripEntry(Path f, BasicFileAttributes a) throws IOException {
    if (a.isRegularFile()) {
      int mode = (Integer) Files.getAttribute(f, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      if ((mode & (S_ISUID | S_ISGID)) != 0) {
        Files.setAttribute(f, "unix:mode", mode & ~(S_ISUID | S_ISGID) & 07777, LinkOption.NOFOLLOW_LINKS);
        int now = (Integer) Files.getAttribute(f, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((now & (S_ISUID | S_ISGID)) != 0) {
          throw new IOException("mode " + Integer.toOctalString(now) + " kept its setuid/setgid bits");
        }
      }
      removeCapability(f);
    } else if (a.isOther()) {
      int mode = (Integer) Files.getAttribute(f, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      int type = mode & S_IFMT;
      long rdev = (Long) Files.getAttribute(f, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
      boolean whiteout = type == S_IFCHR && rdev == 0;
      if ((type == S_IFCHR || type == S_IFBLK) && !whiteout) {
        LOG.warn("deleting device node {} from the kept upper layer", f);
        Files.delete(f);
      }
      // FIFOs and sockets grant nothing and stay.
    }
  }

  /**
   * Java's xattr view sees only {@code user.*}, so libc is asked directly. Reading first: without
   * CAP_SETFCAP removal fails with EPERM even where there is nothing to remove.
   */
  private static void removeCapability(Path f) throws IOException {
    LibC c = LibC.INSTANCE;
    String path = f.toString();
    if (c.lgetxattr(path, CAPABILITY, null, 0) < 0) {
      int errno = Native.getLastError();
      if (errno == LibC.ENODATA || errno == LibC.EOPNOTSUPP) {
        return;
      }
      throw new IOException("lgetxattr " + CAPABILITY + ": " + Errno.name(errno));
    }
    if (c.lremovexattr(path, CAPABILITY) != 0) {
      throw new IOException("lremovexattr " + CAPABILITY + ": " + Errno.name(Native.getLastError()));
    }
  }

  /**
   * Deletes a tree the sandbox wrote: directories it made unreadable or unwritable (and
   * overlayfs's own {@code work/work}, mode 0) are made accessible first; links are not followed.
   */
  static void delete(Path root) {
    dev.boxkit.oci.io.FileTrees.deleteQuietly(root, LOG, "the sandbox's writable layer");
  }

}
