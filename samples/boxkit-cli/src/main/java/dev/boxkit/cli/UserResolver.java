package dev.boxkit.cli;

import dev.boxkit.oci.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Resolves a {@link UserArg} to numeric ids through a root filesystem's {@code /etc/passwd} and
 * {@code /etc/group} ({@code passwd(5)}, {@code group(5)}), as container runtimes do: a numeric
 * uid needs no entry (its gid is then the entry's primary group, or 0 without one); a name must
 * have one.
 *
 * <p>The files belong to an untrusted tree: {@code etc}, {@code etc/passwd} and
 * {@code etc/group} are read only when they are not symbolic links, so a link planted in an image
 * cannot make the host read its own files.
 */
final class UserResolver {
  private static final long MAX_ID = 0xFFFF_FFFEL;

  private final Path root;

  /** @param root the root filesystem whose {@code /etc} is read */
  UserResolver(Path root) {
    this.root = root;
  }

  /**
   * Numeric user and group ids.
   *
   * @param uid 0..4294967294
   * @param gid 0..4294967294
   */
  record Ids(long uid, long gid) {}

  /**
   * @return the ids of {@code user}
   * @throws InvalidInputException (field {@code user}) naming the user or group when it has no
   *     entry in the root's files, or an id out of range
   */
  Ids resolve(UserArg user) {
    Optional<String[]> pw;
    long uid;
    OptionalId numericUid = OptionalId.parse(user.user());
    if (numericUid.present()) {
      uid = numericUid.value(user);
      pw = find("passwd", 2, Long.toString(uid));
    } else {
      pw = find("passwd", 0, user.user());
      if (pw.isEmpty()) {
        throw new InvalidInputException("user", user.toString(),
            "no user \"" + user.user() + "\" in " + root.resolve("etc/passwd"));
      }
      uid = id(user, pw.get()[2]);
    }
    long gid;
    if (user.group() == null) {
      gid = pw.isPresent() ? id(user, pw.get()[3]) : 0;
    } else {
      OptionalId numericGid = OptionalId.parse(user.group());
      if (numericGid.present()) {
        gid = numericGid.value(user);
      } else {
        String[] gr = find("group", 0, user.group()).orElseThrow(() -> new InvalidInputException("user",
            user.toString(), "no group \"" + user.group() + "\" in " + root.resolve("etc/group")));
        gid = id(user, gr[2]);
      }
    }
    return new Ids(uid, gid);
  }

  /** A decimal id, or absent for a name. */
  private record OptionalId(String text) {
    static OptionalId parse(String text) {
      return new OptionalId(text.matches("[0-9]{1,10}") ? text : null);
    }

    boolean present() {
      return text != null;
    }

    long value(UserArg user) {
      return id(user, text);
    }
  }

  private static long id(UserArg user, String text) {
    long v;
    try {
      v = Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      throw new InvalidInputException("user", user.toString(), "bad id \"" + text + "\" in the image's files");
    }
    if (v < 0 || v > MAX_ID) {
      throw new InvalidInputException("user", user.toString(), "id " + v + " is outside [0, 4294967294]");
    }
    return v;
  }

  /** @return the first line of {@code /etc/file} whose field {@code index} equals {@code key} */
  private Optional<String[]> find(String file, int index, String key) {
    for (String line : lines(file)) {
      String[] f = line.split(":", -1);
      if (f.length >= 4 && f[index].equals(key)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  private List<String> lines(String file) {
    Path etc = root.resolve("etc");
    Path path = etc.resolve(file);
    if (Files.isSymbolicLink(etc) || Files.isSymbolicLink(path)
        || !Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
      return List.of();
    }
    try (var in = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS)) {
      return new ArrayList<>(List.of(new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8).split("\n")));
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + path, e);
    }
  }
}
