package dev.boxkit.sandbox;

import java.nio.file.Path;

/**
 * One filesystem mounted into the sandbox, applied in the order given after the root. Every
 * destination is an absolute normalised path inside the sandbox; it is resolved inside the new
 * root without following symbolic links, so a link planted in the rootfs cannot redirect a mount
 * onto the host.
 */
public sealed interface Mount permits Mount.Bind, Mount.Tmpfs, Mount.Proc, Mount.DevMinimal {

  /** @return where the mount appears inside the sandbox */
  String destination();

  /**
   * A read-only bind of a host file or directory (call {@link Bind#readWrite()} to allow writes).
   * A writable one, with a JVM running as root, must not be owned by the host's root user or
   * group: its owner becomes the program's own ids inside and everything written lands as that
   * owner (see {@link SandboxDirectories#createWritable}); no setuid or setgid file can be made
   * through it.
   *
   * @param source absolute normalised host path; must exist when the sandbox starts, with no
   *     symbolic link in any component (the Linux provider refuses one with an {@link
   *     InvalidSandboxSpecException} for {@code mount.source}: a sandbox may have planted it)
   * @param destination absolute normalised path inside the sandbox
   */
  static Bind bind(Path source, String destination) {
    return new Bind(source, destination, false);
  }

  /**
   * A fresh tmpfs, mode 0755, nosuid and nodev.
   *
   * @param destination absolute normalised path inside the sandbox
   * @param sizeBytes upper bound on its contents in bytes, &gt; 0
   */
  static Tmpfs tmpfs(String destination, long sizeBytes) {
    return new Tmpfs(destination, sizeBytes);
  }

  /** A {@code proc} filesystem of the sandbox's own pid namespace at {@code /proc}. */
  static Proc proc() {
    return new Proc("/proc");
  }

  /**
   * A minimal {@code /dev}: a tmpfs holding null, zero, full, random, urandom and tty (binds of
   * the host's nodes), a private {@code pts} instance with {@code ptmx}, a {@code shm} tmpfs and
   * the usual {@code fd}, {@code stdin}, {@code stdout}, {@code stderr} links.
   */
  static DevMinimal devMinimal() {
    return new DevMinimal("/dev");
  }

  /**
   * A bind mount.
   *
   * @param source absolute normalised host path
   * @param destination absolute normalised path inside the sandbox
   * @param writable whether the sandbox may write through it (remounted read-only, nosuid,
   *     nodev otherwise)
   */
  record Bind(Path source, String destination, boolean writable) implements Mount {
    /** @throws InvalidSandboxSpecException when a path is not absolute and normalised */
    public Bind {
      SandboxPaths.host("mount.source", source);
      SandboxPaths.inside("mount.destination", destination);
    }

    /** @return this bind, read-only */
    public Bind readOnly() {
      return new Bind(source, destination, false);
    }

    /** @return this bind, writable */
    public Bind readWrite() {
      return new Bind(source, destination, true);
    }
  }

  /**
   * A tmpfs.
   *
   * @param destination absolute normalised path inside the sandbox
   * @param sizeBytes maximum size in bytes, &gt; 0
   */
  record Tmpfs(String destination, long sizeBytes) implements Mount {
    /** @throws InvalidSandboxSpecException on a bad path or a size &lt;= 0 */
    public Tmpfs {
      SandboxPaths.inside("mount.destination", destination);
      if (sizeBytes <= 0) {
        throw new InvalidSandboxSpecException("mount.sizeBytes", sizeBytes + " is not > 0");
      }
    }
  }

  /** @param destination where to mount proc, normally {@code /proc} */
  record Proc(String destination) implements Mount {
    /** @throws InvalidSandboxSpecException on a bad path */
    public Proc {
      SandboxPaths.inside("mount.destination", destination);
    }
  }

  /** @param destination where to build the minimal dev, normally {@code /dev} */
  record DevMinimal(String destination) implements Mount {
    /** @throws InvalidSandboxSpecException on a bad path */
    public DevMinimal {
      SandboxPaths.inside("mount.destination", destination);
    }
  }
}
