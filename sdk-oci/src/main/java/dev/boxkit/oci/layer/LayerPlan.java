package dev.boxkit.oci.layer;

import dev.boxkit.oci.InvalidInputException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The pure half of a layer build: from the entries a {@link LayerBuilder} gathered (by image
 * path) to the list written, with no I/O. Files sharing a host inode become one file plus
 * hardlinks to it (the first path in sort order); missing parent directories are synthesised
 * (0755, 0:0); conflicts are refused by path (a whiteout beside what it hides, a parent that is
 * not a directory, a hardlink to a non-file); the order is sorted, except that a hardlink to a
 * later file of the layer follows that file (image-spec {@code layer.md}).
 */
final class LayerPlan {
  private LayerPlan() {}

  /**
   * @param entries the layer's entries by path; not modified
   * @param sharedInodes groups of paths whose host files are one inode (each group in any order)
   * @return the entries in write order
   * @throws InvalidInputException naming the path of a conflict
   */
  static List<LayerEntry> of(Map<ImagePath, LayerEntry> entries, Collection<List<ImagePath>> sharedInodes) {
    TreeMap<ImagePath, LayerEntry> all = new TreeMap<>(entries);
    for (List<ImagePath> group : sharedInodes) {
      List<ImagePath> sorted = new ArrayList<>(group);
      sorted.sort(null);
      for (ImagePath link : sorted.subList(1, sorted.size())) {
        all.put(link, new LayerEntry.Hardlink(link, sorted.get(0), all.get(link).attributes()));
      }
    }
    synthesiseParents(all);
    checkWhiteouts(all);
    checkHardlinkTargets(all);
    return writeOrder(all);
  }

  static boolean sameDirectory(LayerEntry a, LayerEntry b) {
    return a instanceof LayerEntry.Directory && b instanceof LayerEntry.Directory
        && a.attributes().equals(b.attributes());
  }

  static InvalidInputException duplicate(ImagePath p, String first, String second) {
    return new InvalidInputException("image path", p.value(), "added twice to the layer (" + first
        + ", then " + second + "); image-spec layer.md forbids duplicate entries; use replace() to override");
  }

  static String describe(LayerEntry e) {
    if (e instanceof LayerEntry.RegularFile f) {
      return "file from " + f.source();
    }
    if (e instanceof LayerEntry.Symlink s) {
      return "symlink to " + s.target();
    }
    if (e instanceof LayerEntry.Hardlink h) {
      return "hardlink to " + h.target();
    }
    return "directory";
  }

  private static void checkWhiteouts(Map<ImagePath, LayerEntry> all) {
    for (ImagePath p : all.keySet()) {
      String name = p.fileName();
      if (name.startsWith(LayerBuilder.WHITEOUT_PREFIX) && !name.equals(LayerBuilder.OPAQUE_WHITEOUT)) {
        ImagePath hidden = p.parent().resolve(name.substring(LayerBuilder.WHITEOUT_PREFIX.length()));
        if (all.containsKey(hidden)) {
          throw new InvalidInputException("image path", hidden.value(),
              "is both whited out and added in the same layer; a whiteout only hides lower layers"
              + " (image-spec layer.md)");
        }
      }
    }
  }

  private static void synthesiseParents(TreeMap<ImagePath, LayerEntry> all) {
    for (ImagePath p : new ArrayList<>(all.keySet())) {
      for (ImagePath parent : p.ancestors()) {
        LayerEntry e = all.get(parent);
        if (e == null) {
          all.put(parent, new LayerEntry.Directory(parent, EntryAttributes.DEFAULTS));
        } else if (!(e instanceof LayerEntry.Directory)) {
          throw new InvalidInputException("image path", p.value(),
              "its parent " + parent + " is a " + describe(e) + ", not a directory");
        }
      }
    }
  }

  private static void checkHardlinkTargets(Map<ImagePath, LayerEntry> all) {
    for (LayerEntry e : all.values()) {
      if (e instanceof LayerEntry.Hardlink h) {
        LayerEntry t = all.get(h.target());
        if (t != null && !(t instanceof LayerEntry.RegularFile)) {
          throw new InvalidInputException("hardlink target", h.target().value(),
              "of " + h.path() + " is a " + describe(t) + " in this layer; hardlinks need a regular file");
        }
      }
    }
  }

  /** Sorted order, except that a hardlink to a later file of this layer follows that file. */
  private static List<LayerEntry> writeOrder(TreeMap<ImagePath, LayerEntry> all) {
    List<LayerEntry> out = new ArrayList<>(all.size());
    Map<ImagePath, List<LayerEntry>> waiting = new HashMap<>();
    for (LayerEntry e : all.values()) {
      if (e instanceof LayerEntry.Hardlink h && all.containsKey(h.target())
          && h.target().compareTo(h.path()) > 0) {
        waiting.computeIfAbsent(h.target(), k -> new ArrayList<>()).add(e);
        continue;
      }
      out.add(e);
      List<LayerEntry> links = waiting.remove(e.path());
      if (links != null) {
        out.addAll(links);
      }
    }
    return List.copyOf(out);
  }
}
