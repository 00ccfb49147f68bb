package dev.boxkit.oci.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The pure plan of a layer, with no I/O: order, parents and hardlinks for any set of paths. */
class LayerPlanProperties {
  @Provide
  Arbitrary<List<String>> paths() {
    Arbitrary<String> segment = Arbitraries.of("a", "b", "a-b", "a.b", "b0", "z", "A", "é");
    return segment.list().ofMinSize(1).ofMaxSize(4).map(s -> "/" + String.join("/", s))
        .list().ofMinSize(1).ofMaxSize(25).uniqueElements();
  }

  private static Map<ImagePath, LayerEntry> files(List<String> paths) {
    // A path that is another's ancestor is a directory; the rest are files.
    Set<ImagePath> parents = new HashSet<>();
    for (String p : paths) {
      parents.addAll(ImagePath.parse(p).ancestors());
    }
    Map<ImagePath, LayerEntry> all = new HashMap<>();
    for (String p : paths) {
      ImagePath ip = ImagePath.parse(p);
      all.put(ip, parents.contains(ip) ? new LayerEntry.Directory(ip, EntryAttributes.DEFAULTS)
          : LayerEntry.RegularFile.ofBytes(ip, new byte[0], EntryAttributes.DEFAULTS));
    }
    return all;
  }

  @Property(tries = 300)
  void everyEntryOnceAfterItsParentsInSortedOrder(@ForAll("paths") List<String> paths) {
    List<LayerEntry> plan = LayerPlan.of(files(paths), List.of());
    Set<ImagePath> seen = new HashSet<>();
    ImagePath previous = null;
    for (LayerEntry e : plan) {
      assertTrue(seen.containsAll(e.path().ancestors()), e.path() + " before a parent in " + plan);
      assertTrue(seen.add(e.path()), "twice: " + e.path());
      assertTrue(previous == null || previous.compareTo(e.path()) < 0, "order at " + e.path());
      previous = e.path();
    }
    for (String p : paths) {
      assertTrue(seen.contains(ImagePath.parse(p)), "lost " + p);
    }
  }

  @Property(tries = 300)
  void sharedInodesBecomeHardlinksToTheFirstPathAndFollowIt(@ForAll("paths") List<String> paths) {
    Map<ImagePath, LayerEntry> all = files(paths);
    List<ImagePath> regular = new ArrayList<>();
    all.forEach((p, e) -> {
      if (e instanceof LayerEntry.RegularFile) {
        regular.add(p);
      }
    });
    List<ImagePath> group = new ArrayList<>(regular);
    java.util.Collections.reverse(group); // the order given does not matter
    List<LayerEntry> plan = LayerPlan.of(all, List.of(group));
    ImagePath first = regular.stream().min(ImagePath::compareTo).orElseThrow();
    Map<ImagePath, Integer> position = new HashMap<>();
    for (int i = 0; i < plan.size(); i++) {
      position.put(plan.get(i).path(), i);
    }
    for (ImagePath p : regular) {
      LayerEntry e = plan.get(position.get(p));
      if (p.equals(first)) {
        assertInstanceOf(LayerEntry.RegularFile.class, e);
      } else {
        assertEquals(first, ((LayerEntry.Hardlink) e).target());
        assertTrue(position.get(first) < position.get(p), "a hardlink precedes its target");
      }
    }
  }
}
