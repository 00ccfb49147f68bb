package dev.boxkit.image;

import dev.boxkit.oci.OciException;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Splits a host tree into up to N parts of similar size along its directories, as nixpkgs'
 * {@code dockerTools.buildLayeredImage} splits a closure along store paths: the top-level entries
 * are the units, a directory larger than an even share is replaced by its children (so one big
 * {@code lib/} does not make one big layer), and the units go largest first into the lightest
 * part, by size rounded down to a power of two; units under 1% of the tree go together into the
 * lightest part. The result depends only on the tree's names and sizes, never on listing order,
 * and a file edit rarely moves a unit from one part to another.
 */
final class DirectorySplit {
  /** A part of the tree: relative paths (files, links or whole directories), sorted. */
  record Part(List<String> paths, long sizeBytes) {}

  private record Unit(String path, long size, boolean directory) {}

  private DirectorySplit() {}

  /**
   * @param root the tree (not followed if a link)
   * @param maxParts at least 1
   * @return between 1 and {@code maxParts} non-empty parts, ordered by their first path
   * @throws OciException when the tree cannot be read
   */
  static List<Part> split(Path root, int maxParts) {
    Map<String, Long> sizes = new HashMap<>();
    TreeMap<String, List<String>> children = new TreeMap<>();
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
          String rel = rel(root, dir);
          children.put(rel, new ArrayList<>());
          if (!rel.isEmpty()) {
            children.get(parent(rel)).add(rel);
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          String rel = rel(root, file);
          children.get(parent(rel)).add(rel);
          sizes.put(rel, attrs.isRegularFile() ? attrs.size() : 0L);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new OciException("sizing " + root + " to split it into layers: " + e, e);
    }
    // Directory sizes, deepest first (a longer path is never an ancestor of a shorter one).
    children.keySet().stream().sorted(Comparator.comparingInt(String::length).reversed())
        .forEach(d -> sizes.put(d, children.get(d).stream().mapToLong(c -> sizes.getOrDefault(c, 0L)).sum()));
    long total = sizes.getOrDefault("", 0L);
    long share = Math.max(1, total / maxParts);

    List<Unit> units = new ArrayList<>();
    for (String c : children.getOrDefault("", List.of())) {
      units.add(new Unit(c, sizes.getOrDefault(c, 0L), children.containsKey(c)));
    }
    for (int round = 0; round < 4 * maxParts; round++) {
      Unit big = units.stream().filter(u -> u.directory() && u.size() > share
          && !children.get(u.path()).isEmpty()).max(Comparator.comparingLong(Unit::size)
          .thenComparing(Unit::path, Comparator.reverseOrder())).orElse(null);
      if (big == null) {
        break;
      }
      units.remove(big);
      for (String c : children.get(big.path())) {
        units.add(new Unit(c, sizes.getOrDefault(c, 0L), children.containsKey(c)));
      }
    }
    // Packed by size rounded down to a power of two, and units under 1% of the tree all go with
    // the lightest part, so that editing a file rarely moves a unit to another part (which would
    // change two layers instead of one).
    long small = total / 100;
    List<Unit> big = new ArrayList<>();
    List<Unit> rest = new ArrayList<>();
    for (Unit u : units) {
      (u.size() >= small && u.size() > 0 ? big : rest).add(u);
    }
    big.sort(Comparator.comparingLong((Unit u) -> Long.highestOneBit(u.size())).reversed()
        .thenComparing(Unit::path));
    int n = Math.max(1, Math.min(maxParts, big.size() + (rest.isEmpty() ? 0 : 1)));
    List<List<String>> bins = new ArrayList<>();
    long[] binSizes = new long[n];
    long[] binWeights = new long[n];
    for (int i = 0; i < n; i++) {
      bins.add(new ArrayList<>());
    }
    for (Unit u : big) {
      int lightest = lightest(binWeights);
      bins.get(lightest).add(u.path());
      binWeights[lightest] += Long.highestOneBit(u.size());
      binSizes[lightest] += u.size();
    }
    int lightest = lightest(binWeights);
    for (Unit u : rest) {
      bins.get(lightest).add(u.path());
      binSizes[lightest] += u.size();
    }
    List<Part> parts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (!bins.get(i).isEmpty()) {
        List<String> paths = new ArrayList<>(bins.get(i));
        paths.sort(null);
        parts.add(new Part(List.copyOf(paths), binSizes[i]));
      }
    }
    parts.sort(Comparator.comparing(p -> p.paths().get(0)));
    return List.copyOf(parts);
  }

  private static int lightest(long[] weights) {
    int at = 0;
    for (int i = 1; i < weights.length; i++) {
      if (weights[i] < weights[at]) {
        at = i;
      }
    }
    return at;
  }

  private static String rel(Path root, Path p) {
    return root.relativize(p).toString();
  }

  private static String parent(String rel) {
    int slash = rel.lastIndexOf('/');
    return slash < 0 ? "" : rel.substring(0, slash);
  }
}
