package dev.boxkit.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.unpack.RootfsCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layer.fromDirectorySplit: the same files as one layer, split by size, cached per part. */
class LayerSplitTest {
  @TempDir Path tmp;

  private Path tree() throws IOException {
    Path t = Files.createDirectories(tmp.resolve("tree"));
    Random r = new Random(42);
    for (String f : List.of("lib/a/x.bin", "lib/a/y.bin", "lib/b/z.bin", "big/one.bin", "big/two.bin",
        "bin/tool", "conf/app.conf")) {
      Path p = t.resolve(f);
      Files.createDirectories(p.getParent());
      byte[] b = new byte[f.startsWith("lib/a") ? 300_000 : f.startsWith("big") ? 200_000 : 1_000];
      r.nextBytes(b);
      Files.write(p, b);
    }
    Files.writeString(t.resolve("README"), "hello\n");
    Files.createSymbolicLink(t.resolve("current"), Path.of("conf"));
    return t;
  }

  /** @return every entry under {@code root}: relative path to "dir", "link -> target" or the content's hash */
  private static TreeMap<String, String> listing(Path root) throws IOException {
    TreeMap<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.toList()) {
        String rel = root.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          out.put(rel, "link -> " + Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          out.put(rel, "dir");
        } else {
          out.put(rel, Integer.toHexString(java.util.Arrays.hashCode(Files.readAllBytes(p))));
        }
      }
    }
    return out;
  }

  private Image build(List<Layer> layers, Path store, List<BuildEvent> events) {
    return Image.builder().platform(Platform.LINUX_AMD64).cacheDir(store).layers(layers)
        .listener(events::add).build();
  }

  @Test
  void theSplitLayersHoldTheTreeAsOneLayerDoes() throws IOException {
    Path tree = tree();
    List<Layer> split = Layer.fromDirectorySplit(tree, "/app", 3);
    assertEquals(3, split.size(), split.toString());
    Image parts = build(split, tmp.resolve("s1"), new ArrayList<>());
    Image whole = build(List.of(Layer.fromDirectory(tree, "/app")), tmp.resolve("s2"), new ArrayList<>());
    assertEquals(3, parts.layers().size());
    RootfsCache cache = RootfsCache.open(tmp.resolve("rootfs"));
    assertEquals(listing(whole.rootfs(cache).rootfs().resolve("app")),
        listing(parts.rootfs(cache).rootfs().resolve("app")));
    // lib/ is more than a third of the tree, so it is split into lib/a and lib/b.
    assertTrue(split.stream().anyMatch(l -> l.description().contains("lib/a")), split.toString());
    assertTrue(split.stream().noneMatch(l -> l.description().matches(".*[ :]lib[ )].*")), split.toString());
  }

  @Test
  void theSameTreeGivesTheSameLayersAndAChangeRebuildsOnlyItsPart() throws IOException {
    Path tree = tree();
    Image first = build(Layer.fromDirectorySplit(tree, "/app", 3), tmp.resolve("store"), new ArrayList<>());
    Image fresh = build(Layer.fromDirectorySplit(tree, "/app", 3), tmp.resolve("other"), new ArrayList<>());
    assertEquals(first.digest(), fresh.digest(), "reproducible: same tree, same split, same digests");

    Files.writeString(tree.resolve("conf/app.conf"), "changed\n");
    List<BuildEvent> events = new CopyOnWriteArrayList<>();
    Image second = build(Layer.fromDirectorySplit(tree, "/app", 3), tmp.resolve("store"), events);
    List<Descriptor> a = first.layers();
    List<Descriptor> b = second.layers();
    int changed = 0;
    for (int i = 0; i < a.size(); i++) {
      if (!a.get(i).digest().equals(b.get(i).digest())) {
        changed++;
      }
    }
    assertEquals(1, changed, "only the part holding conf/ changed");
    assertEquals(2, events.stream().filter(e -> e instanceof BuildEvent.LayerDone d && d.cached()).count(),
        events.toString());
    assertNotEquals(first.digest(), second.digest());
  }

  @Test
  void badArgumentsAreRefusedByName() throws IOException {
    Path tree = tree();
    assertEquals("maxLayers", assertThrows(InvalidInputException.class,
        () -> Layer.fromDirectorySplit(tree, "/app", 0)).field());
    assertEquals(1, Layer.fromDirectorySplit(tree, "/app", 1).size());
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    assertEquals(1, Layer.fromDirectorySplit(empty, "/app", 4).size());
    assertThrows(InvalidInputException.class, () -> Layer.fromDirectorySplit(tree, "relative", 2));
  }
}
