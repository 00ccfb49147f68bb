package dev.boxkit.oci.unpack;

import dev.boxkit.oci.InvalidInputException;

/**
 * Numeric ownership of a tar entry.
 *
 * @param uid user id, {@code >= 0}
 * @param gid group id, {@code >= 0}
 */
public record FileOwner(long uid, long gid) {
  /** @throws InvalidInputException for a negative id */
  public FileOwner {
    if (uid < 0 || gid < 0) {
      throw new InvalidInputException("owner", uid + ":" + gid, "ids must be >= 0");
    }
  }

  @Override
  public String toString() {
    return uid + ":" + gid;
  }
}
