package dev.boxkit.sandbox;

import java.nio.file.Path;

/** Where one of the sandboxed program's standard streams goes. */
public sealed interface Stdio permits Stdio.Inherit, Stdio.Pipe, Stdio.File, Stdio.Discard {

  /** The JVM's own stream (its fd 0, 1 or 2). */
  static Stdio inherit() {
    return new Inherit();
  }

  /**
   * A pipe to the JVM: {@link SandboxProcess#stdin()}/{@code stdout()}/{@code stderr()} with
   * {@link Sandbox#start}; captured into {@link ExecResult} (up to the capture cap) with
   * {@link Sandbox#run}. For stdin with {@code run}, the program reads end-of-file at once.
   */
  static Stdio pipe() {
    return new Pipe();
  }

  /**
   * A host file, opened by the host before the sandbox exists: read for stdin; for output,
   * created (mode 0644) or truncated.
   *
   * @param path absolute normalised host path, with no symbolic link in any component (the Linux
   *     provider refuses one with an {@link InvalidSandboxSpecException} for {@code stdin.path},
   *     {@code stdout.path} or {@code stderr.path}: a sandbox may have planted it)
   */
  static Stdio file(Path path) {
    return new File(path);
  }

  /** {@code /dev/null}. */
  static Stdio discard() {
    return new Discard();
  }

  /** The JVM's own stream. */
  record Inherit() implements Stdio {}

  /** A pipe to the JVM. */
  record Pipe() implements Stdio {}

  /** @param path absolute normalised host path */
  record File(Path path) implements Stdio {
    /** @throws InvalidSandboxSpecException on a relative or unnormalised path */
    public File {
      SandboxPaths.host("stdio.path", path);
    }
  }

  /** {@code /dev/null}. */
  record Discard() implements Stdio {}
}
