package dev.boxkit.oci.layer;

import dev.boxkit.oci.InvalidInputException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Ownership, permissions and modification time of one layer entry. Unset values fall back to
 * reproducible defaults when the layer is built: the mode to the entry type's default
 * ({@link FileMode#FILE}, {@link FileMode#DIRECTORY}, {@link FileMode#SYMLINK}), the mtime to the
 * layer's {@link LayerBuilder#sourceDateEpoch(Instant) source date epoch}.
 *
 * <p>Change values with the {@code with...} methods, which return a new value.
 *
 * @param mode permission bits, or null for the entry type's default
 * @param uid numeric owner, {@code 0} to {@code 4294967295}; default {@code 0}
 * @param gid numeric group, {@code 0} to {@code 4294967295}; default {@code 0}
 * @param uname owner name recorded in the tar header, {@code ""} for none (the default)
 * @param gname group name recorded in the tar header, {@code ""} for none (the default)
 * @param mtime modification time, whole seconds at or after 1970-01-01 (sub-second parts are
 *     dropped), or null for the layer's default
 */
public record EntryAttributes(FileMode mode, long uid, long gid, String uname, String gname,
    Instant mtime) {
  /** Largest uid/gid Linux supports (32 bits, unsigned). */
  public static final long MAX_ID = 0xFFFF_FFFFL;

  /** No mode, owner 0:0 without names, the layer's default mtime. */
  public static final EntryAttributes DEFAULTS = new EntryAttributes(null, 0, 0, "", "", null);

  /** @throws InvalidInputException naming the field that is out of range or contains NUL */
  public EntryAttributes {
    checkId("uid", uid);
    checkId("gid", gid);
    uname = checkName("uname", uname);
    gname = checkName("gname", gname);
    if (mtime != null) {
      if (mtime.isBefore(Instant.EPOCH)) {
        throw new InvalidInputException("mtime", mtime.toString(), "must not be before 1970-01-01");
      }
      mtime = mtime.truncatedTo(ChronoUnit.SECONDS);
    }
  }

  /** @return a copy with {@code mode} (null for the type's default) */
  public EntryAttributes withMode(FileMode mode) {
    return new EntryAttributes(mode, uid, gid, uname, gname, mtime);
  }

  /** @return a copy with the numeric owner and group */
  public EntryAttributes withOwner(long uid, long gid) {
    return new EntryAttributes(mode, uid, gid, uname, gname, mtime);
  }

  /** @return a copy with the owner and group names ({@code ""} for none) */
  public EntryAttributes withOwnerNames(String uname, String gname) {
    return new EntryAttributes(mode, uid, gid, uname, gname, mtime);
  }

  /** @return a copy with {@code mtime} (null for the layer's default) */
  public EntryAttributes withMtime(Instant mtime) {
    return new EntryAttributes(mode, uid, gid, uname, gname, mtime);
  }

  private static void checkId(String field, long id) {
    if (id < 0 || id > MAX_ID) {
      throw new InvalidInputException(field, Long.toString(id), "must be between 0 and " + MAX_ID);
    }
  }

  private static String checkName(String field, String name) {
    if (name == null) {
      return "";
    }
    if (name.indexOf('\0') >= 0) {
      throw new InvalidInputException(field, name, "must not contain NUL");
    }
    return name;
  }
}
