package dev.boxkit.sandbox.vm;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * One of the VM backend's caches (initramfs archives, root disks): files named by what they hold,
 * in a directory private to its user (mode 0700, made on first use), the newest {@code keep}
 * kept (a hit counts as new), and never one used in the last {@value #IN_USE_MILLIS} ms: a run
 * that just found its file opens it moments later (QEMU at start), and another JVM writing a
 * ninth file must not delete it in between. Once opened, deleting a file does not harm the VM. A file enters under a unique temporary name and is moved into place
 * once whole, so a reader never sees half of one; temporary files a dead JVM left are removed by
 * a later write once they are an hour old.
 */
final class CacheDirectory {
  /** Environment variable: {@code off} disables the VM caches. */
  static final String ENV = "BOXKIT_VM_CACHE";
  private static final long STALE_TEMP_MILLIS = 3_600_000L;
  /** A file used (written or hit) this recently is not pruned. */
  static final long IN_USE_MILLIS = 60_000L;

  /** Writes a cache file's content to a path that does not exist yet. */
  interface Writer {
    void write(Path file) throws IOException;
  }

  private final Path dir;
  private final String suffix;
  private final int keep;

  /**
   * @param dir the directory
   * @param suffix every file's name ends with it, e.g. {@code .cpio}
   * @param keep how many files are kept, at least 1
   */
  CacheDirectory(Path dir, String suffix, int keep) {
    this.dir = dir;
    this.suffix = suffix;
    this.keep = keep;
  }

  /**
   * @param name the cache's directory name under {@code boxkit/}, e.g. {@code vm-initramfs}
   * @return {@code $XDG_CACHE_HOME/boxkit/NAME}, else {@code ~/.cache/boxkit/NAME}; empty when
   *     {@value #ENV} is {@code off}
   */
  static Optional<Path> fromEnvironment(String name) {
    if ("off".equalsIgnoreCase(System.getenv().getOrDefault(ENV, "").trim())) {
      return Optional.empty();
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return Optional.of(base.resolve("boxkit").resolve(name));
  }

  /** @return the directory */
  Path path() {
    return dir;
  }

  /** @return where the file for {@code key} is (or would be) */
  Path file(String key) {
    return dir.resolve(key + suffix);
  }

  /**
   * @return the file for {@code key}, marked as just used, when the cache holds it
   * @throws IOException when it is there but cannot be marked
   */
  Optional<Path> hit(String key) throws IOException {
    Path cached = file(key);
    if (!Files.isRegularFile(cached, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    Files.setLastModifiedTime(cached, FileTime.fromMillis(System.currentTimeMillis()));
    return Optional.of(cached);
  }

  /**
   * Writes the file for {@code key} and prunes the directory.
   *
   * @return the file
   * @throws IOException when the directory or the file cannot be written (nothing is left behind)
   */
  Path put(String key, Writer writer) throws IOException {
    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path cached = file(key);
    Path tmp = dir.resolve(key + suffix + "." + UUID.randomUUID() + ".tmp");
    try {
      writer.write(tmp);
      try {
        Files.move(tmp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, cached, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    prune(cached);
    return cached;
  }

  /**
   * Deletes all but {@code kept}, the newest {@code keep} - 1 others and those used in the last
   * {@value #IN_USE_MILLIS} ms, and stale temporary files.
   */
  private void prune(Path kept) throws IOException {
    List<Path> others = new ArrayList<>();
    long now = System.currentTimeMillis();
    long staleBefore = now - STALE_TEMP_MILLIS;
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path p : s) {
        String n = p.getFileName().toString();
        // Another writer's temporary file may be moved into place meanwhile: gone reads as 0.
        if (n.endsWith(".tmp") && usedMillis(p) < staleBefore) {
          Files.deleteIfExists(p);
        } else if (n.endsWith(suffix) && !p.equals(kept)) {
          others.add(p);
        }
      }
    }
    if (others.size() < keep) {
      return;
    }
    // Times read once: another JVM's hit may change them mid-sort, which breaks the sort's contract.
    java.util.Map<Path, Long> used = new java.util.HashMap<>();
    others.forEach(p -> used.put(p, usedMillis(p)));
    others.sort(Comparator.comparing((Path p) -> used.get(p)).reversed());
    for (Path old : others.subList(keep - 1, others.size())) {
      if (usedMillis(old) < now - IN_USE_MILLIS) { // read again: it may have been hit since
        Files.deleteIfExists(old);
      }
    }
  }

  /**
   * @param fileTime a {@link FileTime} from {@code Files.readAttributes}
   * @return it in nanoseconds since the epoch, for naming a file or tree by its metadata
   */
  static long nanos(Object fileTime) {
    java.time.Instant i = ((FileTime) fileTime).toInstant();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  /** @return when {@code p} was last written or hit, 0 when it is gone */
  private static long usedMillis(Path p) {
    try {
      return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis();
    } catch (IOException e) {
      return 0L;
    }
  }
}
