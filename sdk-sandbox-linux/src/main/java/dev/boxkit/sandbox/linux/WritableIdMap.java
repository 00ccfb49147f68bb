package dev.boxkit.sandbox.linux;

import dev.boxkit.sandbox.InvalidSandboxSpecException;
import java.util.ArrayList;
import java.util.List;

/**
 * The id map of an idmapped mount for a host tree the sandbox may write (a writable bind, a
 * writable directory root), when a root JVM shifts the sandbox's ids (see this package's
 * summary): the tree's owner is the program's own id inside, every other sandbox id writes as
 * its shifted host id, and host id 0 is in no line. So what the sandbox writes there is owned by
 * the tree's owner or by an id of BoxKit's unprivileged range, never by the host's root; files
 * of other host users show as the overflow id ({@code nobody}). The lines are {@code uid_map}
 * lines of the mount's user namespace ({@code man 7 user_namespaces}): the id on disk, the
 * sandbox's kernel id, a count.
 *
 * @param hostOwner the tree's owner (or group) on the host
 * @param insideId the program's uid (or gid) inside the sandbox, 0..65535
 */
record WritableIdMap(long hostOwner, long insideId) {
  private static final long BASE = PlanCompiler.SHIFTED_BASE;
  private static final long COUNT = PlanCompiler.SHIFTED_COUNT;

  /** @throws IllegalArgumentException when insideId is outside 0..65535 or hostOwner negative */
  WritableIdMap {
    if (insideId < 0 || insideId >= COUNT || hostOwner < 0 || hostOwner > 0xFFFF_FFFEL) {
      throw new IllegalArgumentException("ids out of range: " + hostOwner + ", " + insideId);
    }
  }

  /** @return the id on disk that the program's writes get: the owner, or when it is 0 (only
   *     with a missing tree, which the helper then reports) the program's shifted id */
  long diskId() {
    return hostOwner == 0 ? BASE + insideId : hostOwner;
  }

  /** @return the map, one {@code "disk kernel count"} line each, newline-terminated */
  String lines() {
    long disk = diskId();
    long kernel = BASE + insideId;
    List<long[]> lines = new ArrayList<>();
    lines.add(new long[] {disk, kernel, 1});
    // The shifted range maps to itself, less the program's own kernel id and the disk id above.
    long start = BASE;
    for (long hole : new long[] {Math.min(kernel, disk), Math.max(kernel, disk)}) {
      if (hole < start || hole >= BASE + COUNT) {
        continue;
      }
      if (hole > start) {
        lines.add(new long[] {start, start, hole - start});
      }
      start = hole + 1;
    }
    if (start < BASE + COUNT) {
      lines.add(new long[] {start, start, BASE + COUNT - start});
    }
    StringBuilder sb = new StringBuilder();
    for (long[] l : lines) {
      sb.append(l[0]).append(' ').append(l[1]).append(' ').append(l[2]).append('\n');
    }
    return sb.toString();
  }

  /**
   * Refuses a writable tree that the host's root user or group owns: the maps leave host id 0
   * out, and the kernel refuses every write to an inode whose owner or group an idmapped mount
   * cannot map (EACCES, {@code HAS_UNMAPPED_ID} in {@code fs/namei.c}), so the program could
   * not write there anyway; mapping id 0 instead would make the program's files root's.
   *
   * @param field the spec field, e.g. {@code mount.source}
   * @param path the host path
   * @param uid its owner
   * @param gid its group
   * @throws InvalidSandboxSpecException when uid or gid is 0
   */
  static void checkWritable(String field, String path, long uid, long gid) {
    if (uid == 0 || gid == 0) {
      throw new InvalidSandboxSpecException(field, "\"" + path + "\" is owned by the host's root ("
          + uid + ":" + gid + ") and is to be writable: a root JVM never lets a sandbox write"
          + " files as the host's root. Bind a directory an unprivileged user and group own (the"
          + " program then writes as them), chown it to " + BASE + ":" + BASE + " (BoxKit's"
          + " unprivileged sandbox range), or ask for hostIdentityMapping()");
    }
  }
}
