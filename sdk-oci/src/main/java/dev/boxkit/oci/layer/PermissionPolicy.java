package dev.boxkit.oci.layer;

/**
 * How the permission bits of host files and directories become those of layer entries. Entries
 * given an explicit {@link FileMode} keep it whatever the policy; synthesised parent directories
 * are {@code 0755}; symlinks {@code 0777}.
 */
public enum PermissionPolicy {
  /**
   * The default: the host's bits, never widened, with group and other write cleared (so a umask
   * of 002 or 022 gives the same digest) and set-uid/set-gid cleared (owners become 0:0 unless
   * preserved, and a host user's set-uid program must not become set-uid root). A {@code 0600}
   * file stays {@code 0600}, a {@code 0775} directory becomes {@code 0755}; sticky is kept.
   */
  HOST_WITHOUT_GROUP_OTHER_WRITE,
  /** The host's bits exactly, including set-uid, set-gid and sticky. */
  PRESERVE,
  /**
   * Jib-style normalisation: {@code 0755} for directories and for files with any execute bit,
   * {@code 0644} for other files. Widens private files ({@code 0600} becomes {@code 0644}).
   */
  NORMALIZE;

  /**
   * @param hostBits the host's permission bits, {@code 0..07777}
   * @param directory whether the entry is a directory
   * @return the entry's mode under this policy
   */
  public FileMode apply(int hostBits, boolean directory) {
    switch (this) {
      case PRESERVE:
        return FileMode.of(hostBits & 07777);
      case NORMALIZE:
        return directory || (hostBits & 0111) != 0 ? FileMode.EXECUTABLE : FileMode.FILE;
      default:
        return FileMode.of(hostBits & 01755);
    }
  }
}
