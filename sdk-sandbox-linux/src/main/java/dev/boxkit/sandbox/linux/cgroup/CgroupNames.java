package dev.boxkit.sandbox.linux.cgroup;

import dev.boxkit.oci.InvalidInputException;
import java.util.regex.Pattern;

/** Checks a cgroup name is one safe path component. */
final class CgroupNames {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}");

  private CgroupNames() {}

  static String check(String name) {
    if (name == null) {
      throw new InvalidInputException("name", null, "must not be null");
    }
    if (name.contains("/") || name.contains("..")) {
      throw new InvalidInputException("name", name, "must be one path component, without '/' or '..'");
    }
    if (!NAME.matcher(name).matches()) {
      throw new InvalidInputException("name", name,
          "must be 1..128 characters from [A-Za-z0-9_.-], not starting with '.'");
    }
    return name;
  }
}
