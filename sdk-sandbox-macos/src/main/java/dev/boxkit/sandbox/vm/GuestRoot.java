package dev.boxkit.sandbox.vm;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.unpack.CachedRootfs;
import dev.boxkit.oci.unpack.FileOwner;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Rootfs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The host tree that becomes a guest's root, with what the tree itself does not say.
 *
 * @param dir the host directory
 * @param owners owners the tree does not carry (an unprivileged unpack could not apply them), by
 *     path relative to {@code dir}; written into the guest's copy instead of the host's owners
 * @param chainId the image's layer chain id when the tree is an unpacked image (the tree is then
 *     fixed by it), empty for a caller's directory
 */
record GuestRoot(Path dir, Map<String, FileOwner> owners, Optional<Digest> chainId) {
  GuestRoot {
    owners = Map.copyOf(owners);
  }

  /**
   * The tree a spec's root names, unpacking an image root first (through its rootfs cache).
   *
   * @throws InvalidSandboxSpecException for a root the VM backend cannot carry: the host's own
   *     root, a writable directory, a missing directory, an image root with {@code keepUpper}
   * @throws dev.boxkit.sandbox.SandboxSetupException for step {@code unpack} when the image
   *     cannot be unpacked
   */
  static GuestRoot of(Rootfs root) {
    if (root instanceof Rootfs.FromImage image) {
      if (image.keepUpper() != null) {
        throw new InvalidSandboxSpecException("root.keepUpper", "the VM backend keeps no upper layer:"
            + " what the program writes to an image root stays in the guest and ends with it");
      }
      CachedRootfs tree = image.unpack();
      return new GuestRoot(tree.rootfs(), tree.ownersNotApplied(), Optional.of(tree.chainId()));
    }
    if (root instanceof Rootfs.Directory dir) {
      if (dir.writable()) {
        throw new InvalidSandboxSpecException("root", "the VM backend copies the root into the VM, so"
            + " writes could not reach " + dir.path() + ": use a read-only root plus a writable bind or tmpfs");
      }
      if (!Files.isDirectory(dir.path())) {
        throw new InvalidSandboxSpecException("root.path", dir.path() + " is not a directory");
      }
      return of(dir.path());
    }
    throw new InvalidSandboxSpecException("root", "the VM backend needs Rootfs.directory(...) or an"
        + " image root: the host's own root is not a Linux guest root everywhere");
  }

  /** @return a caller's directory, its owners as the host reports them */
  static GuestRoot of(Path dir) {
    return new GuestRoot(dir, Map.of(), Optional.empty());
  }
}
