package dev.boxkit.oci.registry;

import dev.boxkit.oci.OciException;
import dev.boxkit.oci.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The part of {@code containers-registries.conf(5)} (the file skopeo, podman and buildah read)
 * that BoxKit honours: {@code [[registry]]} tables whose {@code location} has {@code insecure =
 * true} are spoken to over plain HTTP, as those tools do. Everything else in the file (aliases,
 * mirrors, search registries, blocked) is read past, not applied. The TOML is read line by line:
 * {@code key = value} with a basic or literal string or a boolean, {@code #} comments, table
 * headers; a {@code location} or {@code insecure} line BoxKit cannot read is an error naming the
 * file and line, so a registry is never silently left secure or made insecure.
 *
 * <p>Files read by {@link #defaults()}: {@code $HOME/.config/containers/registries.conf} when it
 * exists (it replaces the system file, as for podman), else {@code /etc/containers/registries.conf};
 * the system property {@code boxkit.registries.conf} names another file instead.
 */
public final class RegistriesConf {
  /** The system property naming the file to read instead of the defaults. */
  public static final String PROPERTY = "boxkit.registries.conf";

  private RegistriesConf() {}

  /**
   * @return the insecure locations ({@code host[:port]}) of the file {@link #defaults()}
   *     chooses, empty when there is none
   * @throws InvalidInputException naming the file and line of a malformed location or insecure
   */
  public static Set<String> defaults() {
    String override = System.getProperty(PROPERTY);
    if (override != null) {
      return insecureLocations(Path.of(override));
    }
    String home = System.getProperty("user.home");
    Path user = home == null ? null : Path.of(home, ".config", "containers", "registries.conf");
    if (user != null && Files.isRegularFile(user)) {
      return insecureLocations(user);
    }
    Path system = Path.of("/etc/containers/registries.conf");
    return Files.isRegularFile(system) ? insecureLocations(system) : Set.of();
  }

  /**
   * @param file a registries.conf file
   * @return the {@code location} of every {@code [[registry]]} table with {@code insecure = true}
   * @throws InvalidInputException naming {@code registries.conf} with file and line when a
   *     location or insecure value cannot be read, or a table sets insecure without a location
   * @throws dev.boxkit.oci.OciException when the file cannot be read
   */
  public static Set<String> insecureLocations(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new OciException("reading " + file + ": " + e, e);
    }
    Set<String> out = new LinkedHashSet<>();
    List<String[]> tables = new ArrayList<>(); // {location, insecure, line of the header}
    String[] current = null;
    for (int i = 0; i < lines.size(); i++) {
      String line = stripComment(lines.get(i)).strip();
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("[")) {
        current = line.equals("[[registry]]") ? new String[] {null, null, Integer.toString(i + 1)} : null;
        if (current != null) {
          tables.add(current);
        }
        continue;
      }
      int eq = line.indexOf('=');
      if (current == null || eq < 0) {
        continue; // other tables and keys are not BoxKit's business
      }
      String key = line.substring(0, eq).strip();
      String value = line.substring(eq + 1).strip();
      String where = file + ":" + (i + 1);
      if (key.equals("location")) {
        current[0] = string(where, value);
      } else if (key.equals("insecure")) {
        if (!value.equals("true") && !value.equals("false")) {
          throw new InvalidInputException("registries.conf", where, "insecure must be true or false, not " + value);
        }
        current[1] = value;
      }
    }
    for (String[] t : tables) {
      if ("true".equals(t[1])) {
        if (t[0] == null || t[0].isEmpty()) {
          throw new InvalidInputException("registries.conf", file + ":" + t[2],
              "a [[registry]] with insecure = true has no location");
        }
        out.add(t[0]);
      }
    }
    return out;
  }

  private static String string(String where, String value) {
    if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
        || value.startsWith("'") && value.endsWith("'"))) {
      String s = value.substring(1, value.length() - 1);
      if (s.contains("\\") && value.startsWith("\"")) {
        throw new InvalidInputException("registries.conf", where, "escapes in location are not supported: " + value);
      }
      return s;
    }
    throw new InvalidInputException("registries.conf", where, "location must be a quoted string, not " + value);
  }

  private static String stripComment(String line) {
    boolean inString = false;
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (inString && c == quote) {
        inString = false;
      } else if (!inString && (c == '"' || c == '\'')) {
        inString = true;
        quote = c;
      } else if (!inString && c == '#') {
        return line.substring(0, i);
      }
    }
    return line;
  }
}
