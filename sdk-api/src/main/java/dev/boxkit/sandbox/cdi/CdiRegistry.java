package dev.boxkit.sandbox.cdi;

import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The CDI specs of some spec directories, and the edits a list of requested devices needs. As
 * CDI's reference implementation does: each directory's {@code *.json}, {@code *.yaml} and
 * {@code *.yml} files are read (not its subdirectories, in name order); a device defined in a
 * later directory replaces one of the same kind and name in an earlier directory, and the same
 * device defined twice in one directory is an error.
 */
public final class CdiRegistry {
  /** Where CDI specs live unless a caller says otherwise: {@code /etc/cdi}, then {@code /var/run/cdi}. */
  public static final List<Path> DEFAULT_SPEC_DIRS = List.of(Path.of("/etc/cdi"), Path.of("/var/run/cdi"));

  /**
   * The edits of one spec or one of its devices, in the order they apply.
   *
   * @param spec the spec they come from
   * @param field where they are in the spec's document: {@code containerEdits} (the spec's own)
   *     or {@code devices[N].containerEdits}
   * @param edits the edits
   */
  public record Edits(CdiSpec spec, String field, CdiSpec.ContainerEdits edits) {}

  /** A device with where it was defined. */
  private record Entry(CdiSpec spec, int device, int dir) {}

  private final List<CdiSpec> specs;
  /** Per spec: the index of its directory (higher wins). */
  private final List<Integer> priorities;
  private final List<Path> dirs;
  private final Map<String, Entry> devices = new LinkedHashMap<>();

  private CdiRegistry(List<CdiSpec> specs, List<Integer> priorities, List<Path> dirs) {
    this.specs = List.copyOf(specs);
    this.priorities = List.copyOf(priorities);
    this.dirs = List.copyOf(dirs);
    for (int s = 0; s < specs.size(); s++) {
      CdiSpec spec = specs.get(s);
      for (int d = 0; d < spec.devices().size(); d++) {
        String q = spec.kind() + "=" + spec.devices().get(d).name();
        Entry before = devices.get(q);
        if (before != null && before.dir() == priorities.get(s)) {
          throw new InvalidCdiSpecException(spec.origin(), "devices[" + d + "].name", "device " + q
              + " is also defined in " + before.spec().origin());
        }
        devices.put(q, new Entry(spec, d, priorities.get(s)));
      }
    }
  }

  /**
   * Reads every spec in {@code dirs}; a directory that does not exist holds none.
   *
   * @param dirs spec directories, lowest priority first; absolute
   * @return the registry
   * @throws InvalidCdiSpecException naming the file and field of the first bad spec, or a
   *     device defined twice in one directory
   * @throws dev.boxkit.sandbox.SandboxException when a directory or file cannot be read
   */
  public static CdiRegistry load(List<Path> dirs) {
    List<CdiSpec> specs = new ArrayList<>();
    List<Integer> priorities = new ArrayList<>();
    for (int i = 0; i < dirs.size(); i++) {
      Path dir = dirs.get(i);
      if (!Files.isDirectory(dir)) {
        continue;
      }
      List<Path> files;
      try (Stream<Path> s = Files.list(dir)) {
        files = s.filter(f -> {
          String n = f.getFileName().toString();
          return (n.endsWith(".json") || n.endsWith(".yaml") || n.endsWith(".yml")) && Files.isRegularFile(f);
        }).sorted().toList();
      } catch (IOException e) {
        throw new SandboxException("listing CDI spec directory " + dir + ": " + e, e);
      }
      for (Path f : files) {
        specs.add(CdiSpec.read(f));
        priorities.add(i);
      }
    }
    return new CdiRegistry(specs, priorities, dirs);
  }

  /**
   * A registry of given specs, as if they were files of one directory.
   *
   * @param specs the specs
   * @return the registry
   * @throws InvalidCdiSpecException when two specs define the same device
   */
  public static CdiRegistry of(List<CdiSpec> specs) {
    return new CdiRegistry(specs, specs.stream().map(s -> 0).toList(), List.of());
  }

  /**
   * This registry plus {@code spec}, whose devices replace any of the same names (used for the
   * built-in NVIDIA discovery, which only applies when no spec has its kind).
   *
   * @param spec the spec to add
   * @return a new registry
   */
  public CdiRegistry with(CdiSpec spec) {
    List<CdiSpec> all = new ArrayList<>(specs);
    all.add(spec);
    List<Integer> all2 = new ArrayList<>(priorities);
    all2.add(Integer.MAX_VALUE);
    return new CdiRegistry(all, all2, dirs);
  }

  /** @return the specs read, in priority order (lowest first) */
  public List<CdiSpec> specs() {
    return specs;
  }

  /**
   * @param kind {@code vendor/class}
   * @return whether some spec declares {@code kind}
   */
  public boolean hasKind(String kind) {
    return specs.stream().anyMatch(s -> s.kind().equals(kind));
  }

  /**
   * The edits the requested devices need, in the order they apply: for each spec (in the order
   * of its first requested device) its own {@code containerEdits}, then those of each of its
   * requested devices. A device requested twice applies once. {@code kind=all} is the device
   * named {@code all} if a spec defines one, else every device of that kind.
   *
   * @param names the requested devices
   * @return the edits
   * @throws InvalidSandboxSpecException naming {@code devices} when no spec declares a kind, or
   *     a kind has no such device (the message lists the devices it has)
   */
  public List<Edits> edits(List<CdiName> names) {
    Map<CdiSpec, Set<Integer>> chosen = new LinkedHashMap<>();
    for (CdiName name : names) {
      if (!hasKind(name.kind())) {
        throw new InvalidSandboxSpecException("devices", name + ": no CDI spec declares kind "
            + name.kind() + (dirs.isEmpty() ? "" : " (searched " + dirs + ")"));
      }
      Entry e = devices.get(name.toString());
      if (e != null) {
        chosen.computeIfAbsent(e.spec(), k -> new LinkedHashSet<>()).add(e.device());
      } else if (name.isAll()) {
        devices.forEach((q, all) -> {
          if (all.spec().kind().equals(name.kind())) {
            chosen.computeIfAbsent(all.spec(), k -> new LinkedHashSet<>()).add(all.device());
          }
        });
      } else {
        List<String> known = devices.keySet().stream().filter(q -> q.startsWith(name.kind() + "="))
            .map(q -> q.substring(name.kind().length() + 1)).toList();
        throw new InvalidSandboxSpecException("devices", name + ": kind " + name.kind()
            + " has no device \"" + name.name() + "\"; it has " + String.join(", ", known));
      }
    }
    List<Edits> out = new ArrayList<>();
    chosen.forEach((spec, indexes) -> {
      out.add(new Edits(spec, "containerEdits", spec.containerEdits()));
      for (int i : indexes) {
        out.add(new Edits(spec, "devices[" + i + "].containerEdits", spec.devices().get(i).containerEdits()));
      }
    });
    return out;
  }
}
