package dev.boxkit.sandbox;

import java.nio.file.Path;

/**
 * The sandbox's root filesystem. Mount points for {@link Mount}s must exist in a read-only root;
 * a writable directory root gets missing mount points created in it.
 */
public sealed interface Rootfs permits Rootfs.HostReadOnly, Rootfs.Directory {

  /**
   * The host's own {@code /}, bound recursively and read-only (nosuid, nodev): programs and
   * libraries of the host are usable, nothing of the host can be written. Host paths hidden by a
   * {@link Mount} over them are unreachable.
   */
  static Rootfs hostReadOnly() {
    return new HostReadOnly();
  }

  /**
   * A host directory (for example an unpacked image) as {@code /}, read-only.
   *
   * @param path absolute normalised host path of an existing directory
   * @throws InvalidSandboxSpecException when the path is relative or not normalised
   */
  static Directory directory(Path path) {
    return new Directory(path, false);
  }

  /** The host's {@code /}, read-only. */
  record HostReadOnly() implements Rootfs {}

  /**
   * A host directory as {@code /}.
   *
   * @param path absolute normalised host path
   * @param writable whether the sandbox may write to it (default false)
   */
  record Directory(Path path, boolean writable) implements Rootfs {
    /** @throws InvalidSandboxSpecException when the path is relative or not normalised */
    public Directory {
      SandboxPaths.host("root.path", path);
    }

    /** @return the same directory, writable from inside the sandbox */
    public Directory readWrite() {
      return new Directory(path, true);
    }
  }
}
