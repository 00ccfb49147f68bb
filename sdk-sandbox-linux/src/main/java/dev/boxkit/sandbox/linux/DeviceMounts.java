package dev.boxkit.sandbox.linux;

import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.SandboxSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The Linux-only check of a {@link Mount.Device}: the filesystem mount holding the node must not
 * be {@code nodev}. A bind inherits that flag, and inside the sandbox's user namespace it is
 * locked (mount_namespaces(7)), so the node would be there but every open would fail with
 * EACCES; better to say so before the sandbox starts.
 */
final class DeviceMounts {
  private DeviceMounts() {}

  /**
   * @param spec the spec to launch, its CDI devices already resolved
   * @param mountinfo the lines of {@code /proc/self/mountinfo}
   * @throws InvalidSandboxSpecException naming {@code mount.source} for a node on a nodev mount
   */
  static void check(SandboxSpec spec, List<String> mountinfo) {
    for (Mount m : spec.mounts()) {
      if (m instanceof Mount.Device d) {
        Optional<String> at = nodevMount(d.source(), mountinfo);
        if (at.isPresent()) {
          throw new InvalidSandboxSpecException("mount.source", "\"" + d.source() + "\" is on "
              + at.get() + ", mounted nodev: a bind of it cannot be opened as a device (nodev is"
              + " locked in the sandbox's user namespace); make the node on a filesystem without"
              + " nodev, such as /dev");
        }
      }
    }
  }

  /** @return the lines of this process's mountinfo, or none when it cannot be read */
  static List<String> mountinfo() {
    try {
      return Files.readAllLines(Path.of("/proc/self/mountinfo"));
    } catch (IOException e) {
      return List.of(); // the helper's open then fails, naming the path and errno
    }
  }

  /**
   * The mount point of the mount that holds {@code path} when that mount is nodev: the deepest
   * mount point above it, the last one listed when several are stacked there.
   *
   * @param path absolute normalised host path with no symbolic link
   * @param mountinfo the lines of {@code /proc/self/mountinfo} (proc(5))
   */
  static Optional<String> nodevMount(Path path, List<String> mountinfo) {
    String best = null;
    boolean nodev = false;
    for (String line : mountinfo) {
      String[] f = line.split(" ");
      if (f.length < 6) {
        continue;
      }
      String point = unescape(f[4]);
      boolean above = point.equals("/") || path.startsWith(Path.of(point));
      if (above && (best == null || Path.of(point).getNameCount() >= Path.of(best).getNameCount())) {
        best = point;
        nodev = List.of(f[5].split(",")).contains("nodev");
      }
    }
    return nodev ? Optional.of(best) : Optional.empty();
  }

  /** mountinfo writes space, tab, newline and backslash as {@code \ooo}. */
  private static String unescape(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
        b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
