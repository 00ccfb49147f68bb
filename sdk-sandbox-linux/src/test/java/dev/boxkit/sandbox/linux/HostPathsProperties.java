package dev.boxkit.sandbox.linux;

import dev.boxkit.sandbox.spi.HostPaths;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.InvalidSandboxSpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterProperty;

/**
 * For real trees made of random components, the check names exactly the one component that is a
 * link, wherever it sits, and passes the same path when that component is a directory.
 */
class HostPathsProperties {
  private final Path base;

  HostPathsProperties() throws IOException {
    base = Files.createTempDirectory("boxkit-hostpaths-");
  }

  @AfterProperty
  void cleanUp() throws IOException {
    OverlayRoot.delete(base);
  }

  @Provide
  Arbitrary<List<String>> components() {
    // Dots, dashes and spaces, but never "." or ".." (not normalised).
    Arbitrary<String> name = Arbitraries.strings().withChars("ab.-_ 1").ofMinLength(1).ofMaxLength(8)
        .filter(s -> !s.equals(".") && !s.equals(".."));
    return name.list().ofMinSize(1).ofMaxSize(6).uniqueElements();
  }

  @Property(tries = 200)
  void theLinkedComponentIsNamedExactly(@ForAll("components") List<String> names,
      @ForAll @IntRange(min = 0, max = 5) int at, @ForAll boolean linkToRoot) throws IOException {
    int linkAt = at % names.size();
    Path dir = Files.createTempDirectory(base, "t");
    Path path = dir;
    for (String n : names) {
      path = path.resolve(n);
    }
    Path link = dir;
    for (int i = 0; i <= linkAt; i++) {
      link = link.resolve(names.get(i));
    }
    // A real tree below the link's target, so that following the link would find every component.
    Path target = linkToRoot ? Path.of("/") : Files.createDirectories(dir.resolve("target"));
    Files.createDirectories(link.getParent());
    Files.createSymbolicLink(link, target);

    assertEquals(Optional.of(link), HostPaths.firstLink(path));
    final Path p = path;
    final Path l = link;
    InvalidSandboxSpecException e = assertThrows(InvalidSandboxSpecException.class,
        () -> HostPaths.requireNoLinks("mount.source", p));
    assertEquals("mount.source", e.field());
    assertTrue(e.getMessage().contains("component \"" + l + "\" is a symbolic link (-> " + target + ")"),
        e.getMessage());

    // The same path with the link replaced by a real directory passes.
    Files.delete(link);
    Files.createDirectories(path);
    assertEquals(Optional.empty(), HostPaths.firstLink(path));
    HostPaths.requireNoLinks("mount.source", path);
  }

  @Property(tries = 100)
  void aPathWithoutLinksPasses(@ForAll("components") List<String> names, @ForAll @IntRange(min = 0, max = 6) int exist)
      throws IOException {
    Path dir = Files.createTempDirectory(base, "t");
    Path path = dir;
    for (int i = 0; i < names.size(); i++) {
      path = path.resolve(names.get(i));
      if (i < exist) {
        Files.createDirectories(path); // a prefix exists, the rest is missing: the helper's to report
      }
    }
    assertEquals(Optional.empty(), HostPaths.firstLink(path));
    HostPaths.requireNoLinks("mount.source", path);
  }
}
