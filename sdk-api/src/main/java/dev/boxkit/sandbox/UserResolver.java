package dev.boxkit.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Resolves a user as an image configuration names it ({@code user}, {@code uid}, {@code
 * user:group}, {@code uid:gid}, {@code user:gid}, {@code uid:group}; image-spec {@code config.md},
 * "User") to numeric ids through a root's {@code /etc/passwd} and {@code /etc/group} (formats of
 * passwd(5) and group(5)). Without a group, the user's primary group from {@code /etc/passwd} is
 * used, or 0 for a numeric uid the file does not list; supplementary groups are not applied.
 * Files are read inside the root without following symbolic links, so a link planted in an image
 * cannot make the host's files be read.
 */
final class UserResolver {
  private UserResolver() {}

  /** Numeric ids, each in 0..4294967294. */
  record Ids(long uid, long gid) {}

  private static final long MAX_ID = 0xFFFF_FFFEL;

  /**
   * @param user the user spec; null or empty means {@code 0:0}
   * @param root the root filesystem's host directory, or null when there is none to read (then
   *     only numeric specs resolve)
   * @throws InvalidSandboxSpecException naming {@code user} when a name is not listed or an id is
   *     out of range
   */
  static Ids resolve(String user, Path root) {
    if (user == null || user.isEmpty()) {
      return new Ids(0, 0);
    }
    int colon = user.indexOf(':');
    String u = colon < 0 ? user : user.substring(0, colon);
    String g = colon < 0 ? null : user.substring(colon + 1);
    if (u.isEmpty() || (g != null && g.isEmpty())) {
      throw new InvalidSandboxSpecException("user", "\"" + user + "\" is not user[:group]");
    }
    OptionalId uidNum = number(user, u);
    Optional<String[]> pw = uidNum.present
        ? find(root, "etc/passwd", 2, Long.toString(uidNum.value), user)
        : find(root, "etc/passwd", 0, u, user);
    long uid;
    if (uidNum.present) {
      uid = uidNum.value;
    } else {
      uid = field(pw.orElseThrow(() -> new InvalidSandboxSpecException("user",
          "\"" + u + "\" is not in the root's /etc/passwd")), 2, user);
    }
    long gid;
    if (g == null) {
      gid = pw.isPresent() ? field(pw.get(), 3, user) : 0;
    } else {
      OptionalId gidNum = number(user, g);
      gid = gidNum.present ? gidNum.value : field(find(root, "etc/group", 0, g, user).orElseThrow(
          () -> new InvalidSandboxSpecException("user", "group \"" + g
              + "\" is not in the root's /etc/group")), 2, user);
    }
    return new Ids(uid, gid);
  }

  private record OptionalId(boolean present, long value) {}

  private static OptionalId number(String user, String s) {
    if (!s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return new OptionalId(false, 0);
    }
    if (s.length() > 10 || Long.parseLong(s) > MAX_ID) {
      throw new InvalidSandboxSpecException("user", "\"" + user + "\": " + s
          + " is outside [0, 4294967294]");
    }
    return new OptionalId(true, Long.parseLong(s));
  }

  private static long field(String[] entry, int index, String user) {
    if (entry.length <= index) {
      throw new InvalidSandboxSpecException("user", "malformed entry for \"" + user + "\"");
    }
    OptionalId n = number(user, entry[index]);
    if (!n.present) {
      throw new InvalidSandboxSpecException("user", "entry for \"" + user + "\" has id \""
          + entry[index] + "\"");
    }
    return n.value;
  }

  /** The first line of {@code file} whose field {@code index} equals {@code key}. */
  private static Optional<String[]> find(Path root, String file, int index, String key, String user) {
    for (String line : lines(root, file, user)) {
      String[] f = line.split(":", -1);
      if (f.length > index && f[index].equals(key) && !line.startsWith("#")) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  private static List<String> lines(Path root, String file, String user) {
    if (root == null) {
      return List.of();
    }
    Path p = root;
    for (String part : file.split("/")) {
      p = p.resolve(part);
      if (Files.isSymbolicLink(p)) {
        throw new InvalidSandboxSpecException("user", "cannot resolve \"" + user + "\": /" + file
            + " of the root is or passes through a symbolic link");
      }
    }
    if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
      return List.of();
    }
    try {
      return Files.readAllLines(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new InvalidSandboxSpecException("user", "cannot resolve \"" + user + "\": reading /"
          + file + " of the root: " + e.getMessage());
    }
  }
}
