package dev.boxkit.oci.unpack;

/**
 * What {@link RootfsUnpacker} does with layer entries that grant privileges to whoever can reach
 * the unpacked tree: setuid/setgid files and device nodes.
 *
 * <p>File capabilities ({@code SCHILY.xattr.security.capability}) are not applied under either
 * policy: the unpacker applies no extended attributes at all.
 */
public enum PrivilegePolicy {
  /**
   * Keep them as the image has them: setuid/setgid bits are applied, device nodes are created
   * when {@link RootfsUnpacker.Builder#specialFiles(boolean)} allows. Right for a tree that only
   * a sandbox sees (the owner-only {@link RootfsCache}), where images need e.g. a setuid
   * {@code su}. The default.
   */
  KEEP,
  /**
   * Drop them, for a tree that other host users may reach: setuid and setgid bits are cleared on
   * everything but directories (a setgid directory only makes new files inherit its group), and
   * character and block device entries are skipped (listed in {@link UnpackResult#skipped()});
   * a hardlink to a skipped device is skipped too. FIFOs and sticky bits grant nothing and are
   * kept. Without this, unpacking a hostile image as root hands every host user who can reach
   * the tree a setuid-root shell or a raw disk device.
   */
  DROP
}
