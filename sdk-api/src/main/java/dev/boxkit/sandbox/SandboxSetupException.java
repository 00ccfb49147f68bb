package dev.boxkit.sandbox;

import java.util.Optional;

/**
 * A step of setting up the sandbox failed, so the program was never started (or, for step
 * {@code exec}, could not be executed). Carries the step, the path it worked on and the errno
 * the kernel returned, e.g. {@code "mount /project -> /project (bind, ro): EACCES"}.
 *
 * <p>A sandbox is never started with a weaker isolation than asked: any failed step ends here.
 */
public class SandboxSetupException extends SandboxException {
  private static final long serialVersionUID = 1L;

  private final String step;
  private final String path;
  private final int errno;

  /**
   * @param step the failed step, e.g. {@code "mount-bind"} or {@code "exec"}
   * @param path the path the step worked on, or null when none
   * @param errno the kernel's errno, 0 when the failure has none
   * @param errnoName symbolic name of {@code errno}, e.g. {@code "ENOENT"}, or null
   * @param detail a human readable description of the step
   */
  public SandboxSetupException(String step, String path, int errno, String errnoName, String detail) {
    this(step, path, errno, errnoName, detail, null);
  }

  /**
   * @param step the failed step, e.g. {@code "unpack"}
   * @param path the path the step worked on, or null when none
   * @param errno the kernel's errno, 0 when the failure has none
   * @param errnoName symbolic name of {@code errno}, or null
   * @param detail a human readable description of the step
   * @param cause the underlying failure (say, the {@code OciException} of an unpack), or null
   */
  public SandboxSetupException(String step, String path, int errno, String errnoName, String detail,
      Throwable cause) {
    super("sandbox setup failed at " + step + ": " + detail
        + (errno != 0 ? ": " + (errnoName != null ? errnoName : "errno " + errno) : ""), cause);
    this.step = step;
    this.path = path;
    this.errno = errno;
  }

  /** @return the failed step's name, e.g. {@code "mount-bind"} */
  public String step() {
    return step;
  }

  /** @return the path the failed step worked on, if any */
  public Optional<String> path() {
    return Optional.ofNullable(path);
  }

  /** @return the errno reported by the kernel, 0 when none */
  public int errno() {
    return errno;
  }
}
