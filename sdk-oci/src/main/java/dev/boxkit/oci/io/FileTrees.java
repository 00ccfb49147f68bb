package dev.boxkit.oci.io;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;

/**
 * The one recursive delete of BoxKit, for trees that untrusted code may have written (an
 * unpacked layer, a sandbox's writable layer, a test's scratch directory): symbolic links are
 * removed, never followed, and a directory whose owner lacks {@code rwx} on it (a program may
 * leave one at mode 0, overlayfs leaves {@code work/work} so) gets it first, so its children can
 * be removed by its owner without root.
 */
public final class FileTrees {
  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

  private FileTrees() {}

  /**
   * Deletes {@code path} and everything below it; nothing when it does not exist.
   *
   * @throws IOException when an entry cannot be deleted (what could be deleted before it is gone)
   */
  public static void deleteRecursively(Path path) throws IOException {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(path, BasicFileAttributes.class, NOFOLLOW);
    } catch (NoSuchFileException e) {
      return;
    }
    if (a.isDirectory()) {
      int mode = (Integer) Files.getAttribute(path, "unix:mode", NOFOLLOW);
      if ((mode & 0700) != 0700) {
        openUp(path, (mode & 07777) | 0700);
      }
      List<Path> children = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(path)) {
        ds.forEach(children::add);
      }
      for (Path c : children) {
        deleteRecursively(c);
      }
    }
    Files.deleteIfExists(path);
  }

  /**
   * Without root a directory of mode 0 cannot be opened to change its mode without following a
   * link (JDK 17 opens it), so only then is it changed by path: a root JVM never gets there, so a
   * link raced in meanwhile can only lead to the JVM user's own files.
   */
  private static void openUp(Path dir, int mode) throws IOException {
    try {
      Files.setAttribute(dir, "unix:mode", mode, NOFOLLOW);
    } catch (java.nio.file.AccessDeniedException e) {
      if (Files.isSymbolicLink(dir)) {
        throw e;
      }
      Files.setAttribute(dir, "unix:mode", mode);
    }
  }

  /**
   * {@link #deleteRecursively}, logging a failure as a warning instead of throwing: for clean-up
   * that must not mask the outcome it follows.
   *
   * @param what names the tree in the warning, e.g. {@code "VM work directory"}
   * @return whether the tree is gone
   */
  public static boolean deleteQuietly(Path path, Logger log, String what) {
    if (path == null) {
      return true;
    }
    try {
      deleteRecursively(path);
      return true;
    } catch (IOException | RuntimeException e) {
      log.warn("could not remove {} {}: {}", what, path, e.toString());
      return false;
    }
  }
}
