package dev.boxkit.oci.unpack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * Random layers mixing {@code ..}, {@code .}, empty and absolute components, symlinks to
 * {@code /}, {@code /tmp} and climbing relative paths, hardlinks and whiteouts. Whatever the
 * unpacker does with them (apply or refuse), nothing outside the target changes: the jail around
 * it (sentinels named like the generated entries, at every level) stays byte-for-byte the same,
 * and no generated name ({@code bxq-*}) appears in {@code /}, {@code /tmp} or {@code /etc}.
 */
class UnpackConfinementProperties {
  private static final String PREFIX = "bxq-";
  private static final List<Path> HOST_DIRS = List.of(Path.of("/"), Path.of("/tmp"), Path.of("/etc"));

  enum Kind { FILE, DIR, SYMLINK, HARDLINK }

  record Op(Kind kind, String name, String link) {}

  @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
  void nothingOutsideTheTargetChanges(@ForAll("layers") List<List<Op>> layers) throws IOException {
    assertNoHostCanaries();
    Path blobs = Files.createTempDirectory("boxkit-prop-layers-");
    try (Jail jail = new Jail()) {
      for (Path level : List.of(jail.dir, jail.work, jail.dir.resolve("outside"))) {
        Files.writeString(level.resolve(PREFIX + "a"), "sentinel " + level);
        Files.createDirectories(level.resolve(PREFIX + "b"));
        Files.writeString(level.resolve(PREFIX + "b/" + PREFIX + "a"), "sentinel");
        Files.createSymbolicLink(level.resolve(PREFIX + "evil"), Path.of(PREFIX + "b"));
      }
      List<LayerSource> sources = new ArrayList<>();
      for (int i = 0; i < layers.size(); i++) {
        TestLayer t = TestLayer.of();
        for (Op op : layers.get(i)) {
          switch (op.kind()) {
            // A regular entry named "x/" reads as a directory: it must have no content.
            case FILE -> t.file(op.name(), op.name().endsWith("/") ? "" : "content of " + op.name(), 0644);
            case DIR -> t.dir(op.name(), 0777);
            case SYMLINK -> t.symlink(op.name(), op.link());
            case HARDLINK -> t.hardlink(op.name(), op.link());
          }
        }
        sources.add(i % 2 == 0 ? t.writeTar(blobs, "l" + i) : t.writeGzip(blobs, "l" + i));
      }
      Map<String, String> before = jail.snapshot();
      String outcome;
      try {
        RootfsUnpacker.defaults().unpack(sources, jail.target);
        outcome = "unpacked";
        assertTrue(Files.isDirectory(jail.target));
      } catch (UnsafeLayerEntryException e) {
        outcome = "refused as unsafe: " + e.getMessage().replaceAll(".*\": ", "").replaceAll("\".*", "");
      } catch (InvalidLayerEntryException e) {
        outcome = "refused as invalid: " + e.getMessage().replaceAll(".*\": ", "").replaceAll("\".*", "");
      }
      Statistics.collect(outcome);
      assertEquals(before, jail.snapshot());
      assertNoHostCanaries();
    } finally {
      RootfsTree.deleteRecursively(blobs);
    }
  }

  private static void assertNoHostCanaries() throws IOException {
    for (Path dir : HOST_DIRS) {
      try (Stream<Path> s = Files.list(dir)) {
        List<Path> found = s.filter(p -> p.getFileName().toString().startsWith(PREFIX)).toList();
        assertEquals(List.of(), found, "written outside the target");
      }
    }
  }

  @Provide
  Arbitrary<List<List<Op>>> layers() {
    // ".." is rare: a name holding one is refused outright, symlinks are the interesting part.
    Arbitrary<String> comp = Arbitraries.frequencyOf(
        Tuple.of(1, Arbitraries.of("..", ".wh.", ".wh..", ".wh...")),
        Tuple.of(8, Arbitraries.of(".", "", ".wh." + PREFIX + "a", ".wh.outside", ".wh..wh..opq",
            "outside", "work", "tmp", "etc", "rootfs")),
        Tuple.of(60, Arbitraries.of(PREFIX + "a", PREFIX + "b", PREFIX + "evil")));
    Arbitrary<String> name = Combinators.combine(Arbitraries.of("", "", "/", "./"),
            comp.list().ofMinSize(1).ofMaxSize(4))
        .as((lead, parts) -> lead + String.join("/", parts))
        .filter(n -> !n.isEmpty());
    Arbitrary<String> link = Arbitraries.oneOf(
        Arbitraries.of("/", "/tmp", "/etc", "/tmp/" + PREFIX + "a", "..", "../..", "../../..",
            "../../../..", ".", "./.", "/..", PREFIX + "a", PREFIX + "evil/" + PREFIX + "b",
            "../outside", "../../outside/" + PREFIX + "a"),
        name);
    Arbitrary<String> hardlinkTarget = Arbitraries.oneOf(
        Arbitraries.of(PREFIX + "a", "/" + PREFIX + "a", PREFIX + "b/" + PREFIX + "a",
            PREFIX + "evil/" + PREFIX + "a", "../outside/" + PREFIX + "a", "/etc/passwd"),
        name);
    Arbitrary<Op> op = Arbitraries.frequencyOf(
        Tuple.of(4, name.map(n -> new Op(Kind.FILE, n, ""))),
        Tuple.of(2, name.map(n -> new Op(Kind.DIR, n, ""))),
        Tuple.of(3, Combinators.combine(name, link).as((n, l) -> new Op(Kind.SYMLINK, n, l))),
        Tuple.of(1, Combinators.combine(name, hardlinkTarget).as((n, l) -> new Op(Kind.HARDLINK, n, l))));
    return op.list().ofMinSize(1).ofMaxSize(8).list().ofMinSize(1).ofMaxSize(3);
  }
}
