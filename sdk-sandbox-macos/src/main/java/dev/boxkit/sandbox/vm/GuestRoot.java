package dev.boxkit.sandbox.vm;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.unpack.FileOwner;
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

  /** @return a caller's directory, its owners as the host reports them */
  static GuestRoot of(Path dir) {
    return new GuestRoot(dir, Map.of(), Optional.empty());
  }
}
