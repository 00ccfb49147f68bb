package dev.boxkit.oci.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class ImagePathTest {
  @Test
  void normalisesSlashesDotsAndDotDots() {
    assertEquals("/usr/lib/x", ImagePath.parse("/usr//lib/./x").value());
    assertEquals("/usr/x", ImagePath.parse("/usr/lib/../x/").value());
    assertEquals("/", ImagePath.parse("///").value());
    assertEquals("/", ImagePath.parse("/a/..").value());
    assertEquals("/a b/ü/\\", ImagePath.parse("/a b/ü/\\").value());
    assertTrue(ImagePath.parse("/.").isRoot());
    assertEquals(256, ImagePath.parse("/" + "x".repeat(255)).value().length());
  }

  @Test
  void rejectsEscapesNulRelativeAndEmptyNamingThePath() {
    for (String bad : new String[] {"/..", "/a/../..", "/a/../../etc/passwd", "/a\0b", "a/b", "", "./a",
        "/" + "x".repeat(256), "/" + "é".repeat(128)}) {
      InvalidInputException e = assertThrows(InvalidInputException.class, () -> ImagePath.parse(bad));
      assertEquals("image path", e.field());
      assertEquals(bad, e.value());
      assertTrue(e.getMessage().contains("image path"), e.getMessage());
    }
    assertThrows(InvalidInputException.class, () -> ImagePath.parse(null));
    assertThrows(InvalidInputException.class, () -> ImagePath.parse("/a").resolve("../.."));
  }

  @Test
  void navigatesParentsAndAncestors() {
    ImagePath p = ImagePath.parse("/usr/bin/env");
    assertEquals("env", p.fileName());
    assertEquals(ImagePath.parse("/usr/bin"), p.parent());
    assertEquals(ImagePath.ROOT, ImagePath.parse("/usr").parent());
    assertEquals(List.of(ImagePath.parse("/usr"), ImagePath.parse("/usr/bin")), p.ancestors());
    assertEquals(List.of("usr", "bin", "env"), p.segments());
    assertEquals("usr/bin/env", p.relative());
    assertEquals(ImagePath.parse("/usr/bin/env/x"), p.resolve("x"));
    assertTrue(p.startsWith(ImagePath.parse("/usr")));
    assertTrue(!ImagePath.parse("/usrx").startsWith(ImagePath.parse("/usr")));
  }

  @Test
  void sortsEachDirectoryRightBeforeItsSubtree() {
    List<ImagePath> paths = new ArrayList<>(List.of(ImagePath.parse("/a-b"), ImagePath.parse("/a/b"),
        ImagePath.parse("/a"), ImagePath.ROOT, ImagePath.parse("/a/b/c"), ImagePath.parse("/a.b")));
    paths.sort(null);
    assertEquals(List.of("/", "/a", "/a/b", "/a/b/c", "/a-b", "/a.b"),
        paths.stream().map(ImagePath::value).toList());
  }

  @Property(tries = 300)
  void normalisationIsIdempotentAndParentsSortFirst(@ForAll("rawPaths") String raw) {
    ImagePath p;
    try {
      p = ImagePath.parse(raw);
    } catch (InvalidInputException e) {
      assertTrue(e.getMessage().contains("climbs above /"), e.getMessage());
      return;
    }
    assertEquals(p, ImagePath.parse(p.value()));
    assertTrue(!p.value().contains("//") && !p.value().contains("/./") && !p.value().contains("/../"));
    for (ImagePath a : p.ancestors()) {
      assertTrue(a.compareTo(p) < 0, a + " < " + p);
      assertTrue(p.startsWith(a));
    }
  }

  @Provide
  Arbitrary<String> rawPaths() {
    Arbitrary<String> seg = Arbitraries.oneOf(Arbitraries.of("", ".", "..", "a", "b", "é", "a b"),
        Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(5));
    return seg.list().ofMaxSize(8).map(l -> "/" + String.join("/", l));
  }
}
