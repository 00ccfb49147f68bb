package dev.boxkit.sandbox.linux.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the cgroup interface this process can create limited cgroups with: v2 when the unified
 * hierarchy offers the memory and pids controllers somewhere this process may write, else v1 when
 * the memory and pids hierarchies are mounted and writable, else none.
 *
 * <p>v2 placement: new cgroups go under the nearest of the process's own cgroup and its ancestors
 * that has memory and pids enabled in {@code cgroup.subtree_control}, or where enabling them
 * succeeds. The process's own cgroup usually fails the "no internal processes" rule (it holds
 * this JVM, which is never moved), so its parent is typically used, as with systemd delegation.
 * v1 placement: under the process's own cgroup in each hierarchy.
 */
public final class Cgroups {
  private static final Logger LOG = LoggerFactory.getLogger(Cgroups.class);
  private static final Set<String> V2_NEEDED = Set.of("memory", "pids");

  private Cgroups() {}

  /**
   * The outcome of {@link #detectWithReasons()}.
   *
   * @param controller the controller, or empty when cgroups cannot be used
   * @param reasons why each place looked at was rejected, in the order tried; immutable
   */
  public record Detection(Optional<CgroupController> controller, List<String> reasons) {
    /** Copies the reasons. */
    public Detection {
      reasons = List.copyOf(reasons);
    }
  }

  /**
   * Looks at {@code /proc/self/mountinfo} and {@code /proc/self/cgroup}; probes a candidate parent
   * by creating and removing a child cgroup, and may enable memory/pids/cpu in a v2 parent's
   * {@code cgroup.subtree_control}. Logs at DEBUG why a version was rejected. Does I/O each
   * time: call once and keep the controller.
   *
   * @return a controller, or empty when this process cannot create limited cgroups
   */
  public static Optional<CgroupController> detect() {
    return detectWithReasons().controller();
  }

  /**
   * Like {@link #detect()}, also saying why each candidate was rejected (for error messages).
   *
   * @return the detection result
   */
  public static Detection detectWithReasons() {
    return detect(Path.of("/proc/self/mountinfo"), Path.of("/proc/self/cgroup"));
  }

  static Detection detect(Path mountinfo, Path procSelfCgroup) {
    List<String> reasons = new ArrayList<>();
    List<Mount> mounts;
    Map<String, String> paths;
    try {
      mounts = Mount.parseAll(Files.readAllLines(mountinfo, StandardCharsets.UTF_8));
      paths = parseProcCgroup(Files.readAllLines(procSelfCgroup, StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      reasons.add("cannot read " + mountinfo + " or " + procSelfCgroup + ": " + e);
      LOG.debug("no usable cgroups: {}", reasons);
      return new Detection(Optional.empty(), reasons);
    }
    Optional<CgroupController> c = detectV2(mounts, paths, reasons);
    if (c.isEmpty()) {
      c = detectV1(mounts, paths, reasons);
    }
    if (c.isEmpty()) {
      LOG.debug("no usable cgroups: {}", reasons);
    } else {
      LOG.debug("using {} (rejected before: {})", c.get(), reasons);
    }
    return new Detection(c, reasons);
  }

  /** @return controller name (v1) or "" (v2) → path of this process's cgroup */
  static Map<String, String> parseProcCgroup(List<String> lines) {
    Map<String, String> out = new HashMap<>();
    for (String line : lines) {
      String[] f = line.split(":", 3);
      if (f.length != 3) {
        continue;
      }
      if (f[0].equals("0") && f[1].isEmpty()) {
        out.put("", f[2]);
      } else {
        for (String ctl : f[1].split(",")) {
          out.put(ctl, f[2]);
        }
      }
    }
    return out;
  }

  private static Optional<CgroupController> detectV2(List<Mount> mounts, Map<String, String> paths,
      List<String> reasons) {
    Optional<Mount> m = mounts.stream().filter(x -> x.fsType().equals("cgroup2")).findFirst();
    if (m.isEmpty() || !paths.containsKey("")) {
      reasons.add("v2: no cgroup2 mount or no 0:: line in /proc/self/cgroup");
      return Optional.empty();
    }
    Optional<Path> own = m.get().dirOf(paths.get(""));
    if (own.isEmpty()) {
      reasons.add("v2: own cgroup " + paths.get("") + " is not under the mount's root " + m.get().root());
      return Optional.empty();
    }
    Path top = m.get().mountPoint();
    for (Path p = own.get(); p != null && p.startsWith(top); p = p.getParent()) {
      Optional<String> why = v2Unusable(p);
      if (why.isEmpty()) {
        return Optional.of(new CgroupV2Controller(p));
      }
      reasons.add("v2: " + p + ": " + why.get());
    }
    return Optional.empty();
  }

  /** @return why new cgroups cannot go under {@code p}, or empty when they can */
  private static Optional<String> v2Unusable(Path p) {
    try {
      if (!Files.isWritable(p)) {
        return Optional.of("not writable");
      }
      Set<String> available = CgroupFiles.words(p.resolve("cgroup.controllers"));
      if (!available.containsAll(V2_NEEDED)) {
        return Optional.of("controllers " + available + " lack one of " + V2_NEEDED);
      }
      Path subtree = p.resolve("cgroup.subtree_control");
      if (!CgroupFiles.words(subtree).containsAll(V2_NEEDED)) {
        // Fails with EBUSY where p holds processes ("no internal processes" rule).
        CgroupFiles.write(subtree, "+memory +pids");
        if (available.contains("cpu")) {
          try {
            CgroupFiles.write(subtree, "+cpu");
          } catch (CgroupException e) {
            LOG.debug("cpu controller stays off under {}: {}", p, e.getMessage());
          }
        }
        if (!CgroupFiles.words(subtree).containsAll(V2_NEEDED)) {
          return Optional.of("memory and pids did not stay enabled in " + subtree);
        }
      }
      probe(p);
      return Optional.empty();
    } catch (CgroupException e) {
      return Optional.of(e.getMessage());
    }
  }

  private static Optional<CgroupController> detectV1(List<Mount> mounts, Map<String, String> paths,
      List<String> reasons) {
    Optional<Path> memory = v1Dir("memory", mounts, paths, reasons);
    Optional<Path> pids = v1Dir("pids", mounts, paths, reasons);
    if (memory.isEmpty() || pids.isEmpty()) {
      return Optional.empty();
    }
    List<String> cpuReasons = new ArrayList<>();
    Optional<Path> cpu = v1Dir("cpu", mounts, paths, cpuReasons);
    if (cpu.isEmpty()) {
      LOG.debug("cgroup v1 without cpu limits: {}", cpuReasons);
    }
    try {
      probe(memory.get());
      probe(pids.get());
      if (cpu.isPresent()) {
        probe(cpu.get());
      }
    } catch (CgroupException e) {
      reasons.add("v1: " + e.getMessage());
      return Optional.empty();
    }
    return Optional.of(new CgroupV1Controller(memory.get(), pids.get(), cpu));
  }

  private static Optional<Path> v1Dir(String controller, List<Mount> mounts, Map<String, String> paths,
      List<String> reasons) {
    Optional<Mount> m = mounts.stream()
        .filter(x -> x.fsType().equals("cgroup") && x.superOptions().contains(controller)).findFirst();
    if (m.isEmpty() || !paths.containsKey(controller)) {
      reasons.add("v1: no " + controller + " hierarchy mounted");
      return Optional.empty();
    }
    Optional<Path> dir = m.get().dirOf(paths.get(controller));
    if (dir.isEmpty() || !Files.isDirectory(dir.get())) {
      reasons.add("v1: own " + controller + " cgroup " + paths.get(controller) + " not found under "
          + m.get().mountPoint());
      return Optional.empty();
    }
    if (!Files.isWritable(dir.get())) {
      reasons.add("v1: " + dir.get() + " not writable");
      return Optional.empty();
    }
    return dir;
  }

  /** Creates and removes a child, proving this process may create cgroups in {@code parent}. */
  private static void probe(Path parent) {
    Path probe = parent.resolve("boxkit-probe-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    try {
      Files.createDirectory(probe);
      Files.delete(probe);
    } catch (IOException e) {
      throw new CgroupException(probe, "cannot create a cgroup in " + parent + ": " + CgroupFiles.reason(e), e);
    }
  }

  /** One line of {@code /proc/self/mountinfo} ({@code man 5 proc}, section mountinfo). */
  record Mount(String root, Path mountPoint, String fsType, List<String> superOptions) {
    static List<Mount> parseAll(List<String> lines) {
      List<Mount> out = new ArrayList<>();
      for (String line : lines) {
        String[] f = line.split(" ");
        int dash = Arrays.asList(f).indexOf("-");
        if (dash < 6 || f.length < dash + 4) {
          continue;
        }
        out.add(new Mount(unescape(f[3]), Path.of(unescape(f[4])), f[dash + 1],
            List.of(f[dash + 3].split(","))));
      }
      return out;
    }

    /** @return the directory of cgroup {@code path} (as in /proc/self/cgroup) under this mount */
    Optional<Path> dirOf(String path) {
      if (path.contains("..") || !path.startsWith("/")) {
        return Optional.empty();
      }
      String rel;
      if (root.equals("/")) {
        rel = path;
      } else if (path.equals(root) || path.startsWith(root + "/")) {
        rel = path.substring(root.length());
      } else {
        return Optional.empty();
      }
      rel = rel.replaceAll("^/+", "");
      return Optional.of(rel.isEmpty() ? mountPoint : mountPoint.resolve(rel));
    }

    /** mountinfo writes space, tab, newline and backslash as octal escapes such as {@code \040}. */
    private static String unescape(String s) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
          b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
          i += 3;
        } else {
          b.append(c);
        }
      }
      return b.toString();
    }
  }
}
