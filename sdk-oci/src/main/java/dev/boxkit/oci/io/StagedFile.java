package dev.boxkit.oci.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way BoxKit writes a file that readers must see whole or not at all (blobs, layers,
 * {@code index.json}, docker archives, downloads): the content goes to a hidden temporary file
 * beside the target, which {@link #commit()} syncs to disk (unless staged without sync) and
 * renames onto the target atomically, then syncs the directory. Closing without a commit deletes the temporary file, so
 * a failure leaves the target as it was and nothing beside it.
 *
 * <p>Use with try-with-resources: write {@link #path()}, then {@link #commit()} or {@link
 * #commitIfAbsent()}. Not thread-safe; one writer per instance.
 */
public final class StagedFile implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StagedFile.class);

  private final Path target;
  private final Path tmp;
  private final boolean sync;
  private boolean done;

  private StagedFile(Path target, Path tmp, boolean sync) {
    this.target = target;
    this.tmp = tmp;
    this.sync = sync;
  }

  /**
   * Stages a new file for {@code target}, creating the missing parent directories. The temporary
   * file is not created: the caller creates it (e.g. with {@code CREATE_NEW}).
   *
   * @param target the final path
   * @return the staged file
   * @throws IOException when the parent directories cannot be created
   */
  public static StagedFile beside(Path target) throws IOException {
    return beside(target, true);
  }

  /**
   * As {@link #beside(Path)}; with {@code sync} false nothing is forced to disk on commit (still
   * atomic for readers, not durable across a power loss): for content that is verified by its
   * digest whenever it is read, such as layer blobs, where a sync of hundreds of MB would cost
   * more than rebuilding after a crash.
   */
  public static StagedFile beside(Path target, boolean sync) throws IOException {
    Path abs = target.toAbsolutePath();
    Path parent = abs.getParent();
    try {
      Files.createDirectories(parent);
    } catch (FileAlreadyExistsException e) {
      throw new IOException("cannot create " + parent + ": a file is in the way", e);
    }
    return new StagedFile(abs, parent.resolve("." + abs.getFileName() + ".tmp-" + UUID.randomUUID()),
        sync);
  }

  /** @return the temporary file to write (beside the target, hidden) */
  public Path path() {
    return tmp;
  }

  /** @return the final path */
  public Path target() {
    return target;
  }

  /**
   * Syncs the temporary file, renames it onto the target (replacing it) and syncs the directory.
   *
   * @throws IOException when the rename fails or the file system cannot rename atomically
   */
  public void commit() throws IOException {
    commitAs(target);
  }

  /**
   * As {@link #commit()}, onto {@code finalPath} instead of the target named when staging: for
   * content-addressed files whose name is known only once written. {@code finalPath} must be on
   * the same file system and its directory must exist.
   *
   * @throws IOException when the rename fails or the file system cannot rename atomically
   */
  public void commitAs(Path finalPath) throws IOException {
    if (sync) {
      force(tmp);
    }
    try {
      Files.move(tmp, finalPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("file system cannot rename atomically: " + tmp + " -> " + finalPath, e);
    }
    done = true;
    if (sync) {
      syncDirectory(finalPath.getParent());
    }
  }

  /**
   * As {@link #commit()}, but an existing target is kept as it is (content-addressed files: same
   * name, same content) and the temporary file is deleted on close.
   *
   * @return true when the target was written, false when it existed
   * @throws IOException when the rename fails
   */
  public boolean commitIfAbsent() throws IOException {
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    commit();
    return true;
  }

  /** Deletes the temporary file unless it was committed. */
  @Override
  public void close() {
    if (done) {
      return;
    }
    try {
      Files.deleteIfExists(tmp);
    } catch (IOException e) {
      LOG.warn("cannot delete temporary file {}: {}", tmp, e.toString());
    }
  }

  private static void force(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  /**
   * Makes a rename in {@code dir} durable. Some file systems refuse to open a directory, which
   * costs durability on power loss, never consistency, so that is only logged.
   */
  public static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      LOG.trace("cannot sync directory {}: {}", dir, e.toString());
    }
  }
}
