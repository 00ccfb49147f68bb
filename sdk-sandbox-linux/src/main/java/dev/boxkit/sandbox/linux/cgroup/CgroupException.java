package dev.boxkit.sandbox.linux.cgroup;

import java.nio.file.Path;

/**
 * A cgroup operation failed: creating, limiting, joining, killing or removing a cgroup. The
 * message names the cgroup file or directory and the kernel's reason (e.g. EBUSY, ENOENT). A
 * {@link dev.boxkit.sandbox.SandboxException}, so callers catching the sandbox family see it.
 */
public class CgroupException extends dev.boxkit.sandbox.SandboxException {
  private static final long serialVersionUID = 1L;

  private final transient Path path;

  /**
   * @param path the cgroup file or directory involved, may be null
   * @param message what failed and why
   * @param cause the underlying failure, may be null
   */
  public CgroupException(Path path, String message, Throwable cause) {
    super(message, cause);
    this.path = path;
  }

  /** @return the cgroup file or directory involved, or null when none applies */
  public Path path() {
    return path;
  }
}
