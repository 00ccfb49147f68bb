package dev.boxkit.sandbox;

import java.nio.file.Path;

/** Checks of paths given to a spec; every failure names the field. */
final class SandboxPaths {
  private SandboxPaths() {}

  /**
   * A path inside the sandbox: absolute, normalised ({@code /a/b}), no {@code .} or {@code ..}
   * component, no NUL, at most 4095 bytes.
   */
  static String inside(String field, String path) {
    if (path == null) {
      throw new InvalidSandboxSpecException(field, "must not be null");
    }
    if (!path.startsWith("/")) {
      throw new InvalidSandboxSpecException(field, "\"" + path + "\" is not absolute");
    }
    if (path.indexOf('\0') >= 0 || path.length() > 4095) {
      throw new InvalidSandboxSpecException(field, "\"" + path + "\" contains NUL or is too long");
    }
    if (path.equals("/")) {
      return path;
    }
    for (String part : path.substring(1).split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        throw new InvalidSandboxSpecException(field,
            "\"" + path + "\" is not normalised (empty, '.' or '..' component)");
      }
    }
    return path;
  }

  /** A host path: absolute and normalised; it need not exist yet. */
  static Path host(String field, Path path) {
    if (path == null) {
      throw new InvalidSandboxSpecException(field, "must not be null");
    }
    if (!path.isAbsolute() || !path.normalize().equals(path)) {
      throw new InvalidSandboxSpecException(field, "\"" + path + "\" is not an absolute normalised path");
    }
    if (path.toString().indexOf('\0') >= 0) {
      throw new InvalidSandboxSpecException(field, "\"" + path + "\" contains NUL");
    }
    return path;
  }

  static <T> T nonNull(String field, T value) {
    if (value == null) {
      throw new InvalidSandboxSpecException(field, "must not be null");
    }
    return value;
  }
}
