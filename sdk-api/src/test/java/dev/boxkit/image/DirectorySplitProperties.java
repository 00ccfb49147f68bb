package dev.boxkit.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** Every file of the tree is in exactly one part, whatever the tree and the number of parts. */
class DirectorySplitProperties {
  @Provide
  Arbitrary<Map<String, Integer>> trees() {
    Arbitrary<String> segment = Arbitraries.of("a", "b", "c", "lib", "bin", "x.so", "y");
    Arbitrary<String> path = segment.list().ofMinSize(1).ofMaxSize(4).map(l -> String.join("/", l));
    return Arbitraries.maps(path, Arbitraries.integers().between(0, 5000)).ofMinSize(1).ofMaxSize(30);
  }

  @Property(tries = 60)
  void partsCoverEveryFileOnceAndAreStable(@ForAll("trees") Map<String, Integer> files,
      @ForAll @IntRange(min = 1, max = 6) int maxParts) throws IOException {
    Path root = Files.createTempDirectory("split-");
    try {
      List<String> written = new ArrayList<>();
      for (Map.Entry<String, Integer> f : files.entrySet()) {
        Path p = root.resolve(f.getKey());
        // A path that is another's directory stays a directory.
        if (Files.isDirectory(p) || (p.getParent() != null && Files.isRegularFile(p.getParent()))) {
          continue;
        }
        if (ancestorIsFile(root, p)) {
          continue;
        }
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[f.getValue()]);
        written.add(f.getKey());
      }
      List<DirectorySplit.Part> parts = DirectorySplit.split(root, maxParts);
      assertTrue(parts.size() <= maxParts, parts.toString());
      for (String file : written) {
        long owners = parts.stream().flatMap(pt -> pt.paths().stream())
            .filter(u -> file.equals(u) || file.startsWith(u + "/")).count();
        assertEquals(1, owners, file + " in " + parts);
      }
      List<DirectorySplit.Part> again = DirectorySplit.split(root, maxParts);
      assertEquals(parts, again, "the same tree splits the same way");
    } finally {
      dev.boxkit.oci.io.FileTrees.deleteRecursively(root);
    }
  }

  private static boolean ancestorIsFile(Path root, Path p) {
    for (Path a = p.getParent(); a != null && !a.equals(root); a = a.getParent()) {
      if (Files.isRegularFile(a)) {
        return true;
      }
    }
    return false;
  }
}
