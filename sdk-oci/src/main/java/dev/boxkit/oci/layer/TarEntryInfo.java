package dev.boxkit.oci.layer;

import dev.boxkit.oci.Digest;
import java.time.Instant;

/**
 * One entry of a tar stream as stored: names are not validated or normalised here (an unpacker
 * must do that itself).
 *
 * @param name the entry name as in the archive, e.g. {@code usr/bin/} or {@code ./etc/x}
 * @param type what kind of entry it is
 * @param mode permission bits ({@code 0..07777}), without the file type
 * @param uid numeric owner
 * @param gid numeric group
 * @param uname owner name, {@code ""} when none
 * @param gname group name, {@code ""} when none
 * @param mtime modification time, whole seconds
 * @param sizeBytes content bytes (0 for all but regular files)
 * @param linkName symlink or hardlink target, {@code ""} for other types
 * @param contentDigest sha256 of a regular file's content, null for other types
 */
public record TarEntryInfo(String name, Type type, int mode, long uid, long gid, String uname,
    String gname, Instant mtime, long sizeBytes, String linkName, Digest contentDigest) {

  /** The entry kinds a layer holds; anything else (devices, FIFOs) is {@link #OTHER}. */
  public enum Type { FILE, DIRECTORY, SYMLINK, HARDLINK, OTHER }

  /** @return the last path segment, without a trailing {@code /} */
  public String baseName() {
    String n = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
    return n.substring(n.lastIndexOf('/') + 1);
  }

  /** @return true for a file whiteout {@code .wh.NAME} (not the opaque marker) */
  public boolean isWhiteout() {
    String b = baseName();
    return b.startsWith(LayerBuilder.WHITEOUT_PREFIX) && !b.equals(LayerBuilder.OPAQUE_WHITEOUT);
  }

  /** @return true for the opaque-directory marker {@code .wh..wh..opq} */
  public boolean isOpaqueWhiteout() {
    return baseName().equals(LayerBuilder.OPAQUE_WHITEOUT);
  }
}
