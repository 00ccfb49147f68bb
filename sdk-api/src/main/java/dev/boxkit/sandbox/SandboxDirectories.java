package dev.boxkit.sandbox;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Host directories for sandboxes to write through a writable {@link Mount.Bind}.
 *
 * <p>A JVM running as root never lets a sandbox write files as the host's root: on Linux a
 * writable bind's owner becomes the program's own id inside and the sandbox writes as that
 * owner, and a writable tree the host's root owns is refused (see {@code docs/security.md}).
 * {@link #createWritable(Path)} makes a directory that works either way.
 */
public final class SandboxDirectories {
  private SandboxDirectories() {}

  /**
   * The host uid and gid of a sandbox's uid 0 when the JVM runs as root on Linux: {@code
   * 0x70000000} (1879048192), the start of the unprivileged range BoxKit maps sandbox ids
   * 0..65535 to. No host user has it.
   */
  public static final long SANDBOX_ROOT_HOST_ID = 0x7000_0000L;

  /**
   * Creates a directory a sandbox may write through a writable bind: owned by the JVM's user,
   * or, when that is root, by {@link #SANDBOX_ROOT_HOST_ID} (user and group), so the host's root
   * owns nothing the sandbox writes there. The root JVM keeps full access to it.
   *
   * @param dir absolute host path of a directory that does not exist yet; its parent must exist
   * @return {@code dir}
   * @throws InvalidSandboxSpecException naming {@code dir} when it is relative or already exists
   * @throws SandboxSetupException for step {@code mkdir} when it cannot be created or given away
   */
  public static Path createWritable(Path dir) {
    SandboxPaths.nonNull("dir", dir);
    if (!dir.isAbsolute()) {
      throw new InvalidSandboxSpecException("dir", "\"" + dir + "\" is not absolute");
    }
    try {
      Files.createDirectory(dir);
    } catch (FileAlreadyExistsException e) {
      throw new InvalidSandboxSpecException("dir", "\"" + dir + "\" already exists");
    } catch (IOException e) {
      throw setupFailure(dir, e);
    }
    try {
      if (((Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS)) == 0) {
        int id = (int) SANDBOX_ROOT_HOST_ID;
        Files.setAttribute(dir, "unix:gid", id, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(dir, "unix:uid", id, LinkOption.NOFOLLOW_LINKS);
      }
    } catch (IOException | UnsupportedOperationException e) {
      try {
        Files.deleteIfExists(dir);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw setupFailure(dir, e);
    }
    return dir;
  }

  private static SandboxSetupException setupFailure(Path dir, Exception e) {
    return new SandboxSetupException("mkdir", dir.toString(), 0, null,
        "creating a directory sandboxes may write: " + e, e);
  }
}
