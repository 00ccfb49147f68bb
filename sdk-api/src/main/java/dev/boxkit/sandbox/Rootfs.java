package dev.boxkit.sandbox;

import dev.boxkit.image.Image;
import dev.boxkit.oci.OciException;
import dev.boxkit.oci.unpack.CachedRootfs;
import dev.boxkit.oci.unpack.RootfsCache;
import java.nio.file.Path;

/**
 * The sandbox's root filesystem. Mount points for {@link Mount}s must exist in a read-only root;
 * a writable directory root and an image root get missing mount points created in them.
 */
public sealed interface Rootfs permits Rootfs.HostReadOnly, Rootfs.Directory, Rootfs.FromImage {

  /**
   * The host's own {@code /}, bound recursively and read-only (nosuid, nodev): programs and
   * libraries of the host are usable, nothing of the host can be written. Host paths hidden by a
   * {@link Mount} over them are unreachable.
   *
   * <p>Because {@code connect(2)} to a Unix socket ignores read-only mounts, the host's {@code
   * /run}, {@code /tmp} and {@code /var/tmp} (where session buses, ssh-agent and container engine
   * sockets live) are shown as empty read-only tmpfs mounts, and so are {@code /proc} and {@code
   * /dev} when the spec's mounts put nothing there: the host's processes and devices never show.
   * A {@link Mount} at one of these paths, or above it, replaces that cover. Everything else
   * stays readable as far as file permissions allow, home directories included (with sockets or
   * secrets kept there): this root suits trusted or mostly trusted code; give untrusted code an
   * image or directory root.
   */
  static Rootfs hostReadOnly() {
    return new HostReadOnly();
  }

  /**
   * A host directory (for example an unpacked image) as {@code /}, read-only.
   *
   * @param path absolute normalised host path of an existing directory, with no symbolic link in
   *     any component (the Linux provider refuses one with an {@link InvalidSandboxSpecException}
   *     for {@code root.path}, even a "current" link of the caller's: pass its real path)
   * @throws InvalidSandboxSpecException when the path is relative or not normalised
   */
  static Directory directory(Path path) {
    return new Directory(path, false);
  }

  /**
   * An image's root filesystem, writable: the image's unpacked tree (shared through a {@link
   * RootfsCache}, unpacked once per layer chain) is the read-only lower layer of an overlay
   * filesystem, and every write goes to a per-sandbox upper layer that is deleted when the
   * sandbox ends, unless {@link FromImage#keepUpper(Path)} asks to keep it. The shared tree is
   * never modified. To also apply the image's configuration (entrypoint, command, environment,
   * working directory, user), use {@link SandboxSpec.Builder#image(Image)}.
   *
   * @param image the image; its layers are unpacked when the sandbox starts (or when a user name
   *     is resolved), not here
   */
  static FromImage image(Image image) {
    return new FromImage(image, null, null);
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

  /**
   * An image as a writable root: the cached unpacked tree as overlay lower layer, a per-sandbox
   * upper layer on top (see {@link Rootfs#image(Image)}). On Linux the overlay is mounted inside
   * the sandbox's user namespace (Linux 5.11+, option {@code userxattr}); where the kernel refuses
   * it the sandbox fails to start with a {@link SandboxSetupException} for step {@code
   * mount-overlay}, never with a weaker root.
   *
   * @param image the image
   * @param cache where the tree is unpacked; null for {@code RootfsCache.open(RootfsCache.defaultRoot())}
   * @param keepUpper null to delete the upper layer when the sandbox ends (the default), or an
   *     absolute normalised host path that must not exist yet: when the sandbox ends its upper
   *     layer (the files it created or changed, overlayfs whiteouts for what it deleted) is moved
   *     there, without setuid/setgid bits on files, file capabilities or device nodes (on Linux);
   *     the parent directory must exist and be reached through no symbolic link
   */
  record FromImage(Image image, RootfsCache cache, Path keepUpper) implements Rootfs {
    /** @throws InvalidSandboxSpecException when the image is null or keepUpper is not absolute */
    public FromImage {
      SandboxPaths.nonNull("root.image", image);
      if (keepUpper != null) {
        SandboxPaths.host("root.keepUpper", keepUpper);
      }
    }

    /** @return this root, unpacked into {@code cache} */
    public FromImage withCache(RootfsCache cache) {
      return new FromImage(image, SandboxPaths.nonNull("root.cache", cache), keepUpper);
    }

    /**
     * @param dir absolute normalised host path, not existing yet, whose parent exists and is
     *     reached through no symbolic link (the Linux provider refuses one with an {@link
     *     InvalidSandboxSpecException} for {@code root.keepUpper})
     * @return this root, keeping its upper layer at {@code dir} when the sandbox ends
     */
    public FromImage keepUpper(Path dir) {
      return new FromImage(image, cache, SandboxPaths.host("root.keepUpper", dir));
    }

    /**
     * Unpacks the image into the cache, or finds it there (see {@link Image#rootfs}).
     *
     * @return the shared tree; {@link CachedRootfs#unpacked()} says whether this call unpacked it
     * @throws SandboxSetupException for step {@code unpack} when the image cannot be unpacked
     */
    public CachedRootfs unpack() {
      try {
        return image.rootfs(cache != null ? cache : RootfsCache.open(RootfsCache.defaultRoot()));
      } catch (OciException e) {
        throw new SandboxSetupException("unpack", null, 0, null,
            "unpacking image " + image.digest() + ": " + e.getMessage(), e);
      }
    }
  }
}
