package dev.boxkit.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds external programs that tests compare BoxKit against (skopeo, umoci, bwrap, gcc, ...).
 *
 * <p>When a program is absent the test is skipped with a message naming the Debian package that
 * provides it, except under {@code BOXKIT_REQUIRE_TOOLS=1} (set by {@code .ci/run}), where the
 * test fails instead, so CI can never pass by skipping.
 *
 * <p>Shared with other modules' tests through sdk-oci's test-jar.
 */
public final class ExternalTools {
  private ExternalTools() {}

  /** @return true when {@code BOXKIT_REQUIRE_TOOLS=1}: missing tools are failures, not skips */
  public static boolean required() {
    return "1".equals(System.getenv("BOXKIT_REQUIRE_TOOLS"));
  }

  /** @return the program's absolute path on {@code PATH} (or /usr/sbin, /sbin), if present */
  public static Optional<Path> find(String program) {
    String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin:/sbin:/usr/bin";
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, program);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * Returns the program's path, or skips (fails under {@code BOXKIT_REQUIRE_TOOLS=1}) the
   * current test naming the Debian package to install.
   *
   * @param program executable name, e.g. {@code "skopeo"}
   * @param debianPackage the package that provides it, e.g. {@code "skopeo"}
   */
  public static Path require(String program, String debianPackage) {
    Optional<Path> p = find(program);
    if (p.isPresent()) {
      return p.get();
    }
    String msg = program + " not found: install the Debian package '" + debianPackage
        + "' (apt-get install " + debianPackage + ")";
    if (required()) {
      throw new AssertionError(msg + " [BOXKIT_REQUIRE_TOOLS=1]");
    }
    Assumptions.abort(msg);
    throw new AssertionError("unreachable");
  }

  /**
   * Skips (or fails under {@code BOXKIT_REQUIRE_TOOLS=1}) when {@code condition} is false.
   *
   * @param condition what the test needs from the host
   * @param whatIsMissing a message saying what is missing and how to get it
   */
  public static void requireHost(boolean condition, String whatIsMissing) {
    if (condition) {
      return;
    }
    if (required()) {
      throw new AssertionError(whatIsMissing + " [BOXKIT_REQUIRE_TOOLS=1]");
    }
    Assumptions.abort(whatIsMissing);
  }
}
