package dev.boxkit.sandbox;

import java.nio.file.Path;

/**
 * One filesystem mounted into the sandbox, applied in the order given after the root. Every
 * destination is an absolute normalised path inside the sandbox; it is resolved inside the new
 * root without following symbolic links, so a link planted in the rootfs cannot redirect a mount
 * onto the host.
 */
public sealed interface Mount permits Mount.Bind, Mount.Tmpfs, Mount.Proc, Mount.DevMinimal, Mount.Device {

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
   * A host device node at the same path inside, readable and writable as its own mode allows
   * (see {@link Device}). Typically {@code Mount.device(Path.of("/dev/fuse"))}, after {@link
   * #devMinimal()}.
   *
   * @param hostNode absolute normalised path of a character or block device node; checked when
   *     the sandbox starts
   */
  static Device device(Path hostNode) {
    SandboxPaths.host("mount.source", hostNode);
    return new Device(hostNode, hostNode.toString(), true);
  }

  /**
   * A host device node at {@code destination} inside (see {@link Device}).
   *
   * @param hostNode absolute normalised path of a character or block device node
   * @param destination absolute normalised path inside the sandbox, e.g. {@code /dev/fuse}
   */
  static Device device(Path hostNode, String destination) {
    return new Device(hostNode, destination, true);
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

  /**
   * A host device node (character or block) bound onto a file at {@code destination}: the
   * sandbox reaches that one device through it, with its own major and minor numbers, and no
   * other (BoxKit's {@code /dev} holds nothing else but {@link #devMinimal()}'s nodes). The bind
   * is read-only and nosuid but not nodev, so the node's owner and mode cannot be changed from
   * inside while the device itself still reads and writes. Seccomp and capabilities stay as
   * they are: a device grants that node, nothing else.
   *
   * <p>Who may open it is decided by the node's own mode and owner, seen through the sandbox's
   * id map: with a root JVM's shifted ids (and without root) the sandbox is "other" for a node
   * the host's root owns, so a {@code 0666} node opens and a {@code 0600} one does not. The
   * Linux provider checks when the sandbox starts that the source is a character or block
   * device with no symbolic link in its path, and that the filesystem holding it is not mounted
   * {@code nodev} (a bind of it would not open); each failure is an {@link
   * InvalidSandboxSpecException} for {@code mount.source} naming the path. The VM backend has
   * no devices and refuses this mount (field {@code devices}).
   *
   * @param source absolute normalised host path of the node
   * @param destination absolute normalised path inside the sandbox; created as an empty file
   *     when missing (under the sandbox's {@code /dev} tmpfs, for example)
   * @param writable whether the sandbox may open the node for writing (the default). There is
   *     no device cgroup and a read-only mount does not stop writes to a device, so a read-only
   *     device is only granted for a node whose mode has no write bit at all (e.g. {@code
   *     0444}); any other is refused when the sandbox starts
   */
  record Device(Path source, String destination, boolean writable) implements Mount {
    /** @throws InvalidSandboxSpecException when a path is not absolute and normalised */
    public Device {
      SandboxPaths.host("mount.source", source);
      SandboxPaths.inside("mount.destination", destination);
      if (destination.equals("/")) {
        throw new InvalidSandboxSpecException("mount.destination", "a device node cannot be the root");
      }
    }

    /** @return this device, for reading only */
    public Device readOnly() {
      return new Device(source, destination, false);
    }

    /** @return this device, for reading and writing */
    public Device readWrite() {
      return new Device(source, destination, true);
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
