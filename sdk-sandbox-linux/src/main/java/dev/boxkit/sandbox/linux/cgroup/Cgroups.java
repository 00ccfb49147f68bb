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
 * <p>v2 placement: new cgroups go under the process's own cgroup (never an ancestor, so sandboxes
 * count against the limits of the service that embeds BoxKit), with memory and pids (and cpu
 * where offered) enabled in its {@code cgroup.subtree_control}. Because of the "no internal
 * processes" rule, when this JVM is the only process in its cgroup it first moves itself into the
 * leaf {@code boxkit-jvm} (systemd's {@code Delegate=yes} pattern); when other processes share
 * the cgroup, v2 is rejected with a reason naming them (they are never moved).
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
   * by creating and removing a child cgroup. On v2 it may enable memory/pids/cpu in the own
   * cgroup's {@code cgroup.subtree_control} and, to do so, move this JVM into the child
   * {@code boxkit-jvm} (only when no other process shares the cgroup). Logs at DEBUG why a version was rejected. Does I/O each
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
    Optional<Path> ownDir = m.get().dirOf(paths.get(""));
    if (ownDir.isEmpty()) {
      reasons.add("v2: own cgroup " + paths.get("") + " is not under the mount's root " + m.get().root());
      return Optional.empty();
    }
    Path own = ownDir.get();
    Path top = m.get().mountPoint();
    // An earlier detection moved this JVM into its leaf: the delegated cgroup is the leaf's parent.
    if (!own.equals(top) && own.getFileName().toString().equals(V2Placement.JVM_LEAF)) {
      own = own.getParent();
    }
    try {
      prepareV2(own, own.equals(top), ProcessHandle.current().pid());
      probe(own);
      return Optional.of(new CgroupV2Controller(own));
    } catch (CgroupException e) {
      reasons.add("v2: " + e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * Makes {@code own} able to hold limited child cgroups: enables memory and pids (and cpu where
   * offered) in its {@code cgroup.subtree_control}, first moving this process into
   * {@code own/}{@value V2Placement#JVM_LEAF} when it is the only process there.
   *
   * @throws CgroupException naming {@code own} and what to do when it cannot be made so
   */
  static void prepareV2(Path own, boolean isHierarchyRoot, long selfPid) {
    if (!Files.isWritable(own)) {
      throw new CgroupException(own, "own cgroup " + own + " is not writable by this process"
          + DELEGATE_HINT, null);
    }
    Set<String> available = CgroupFiles.words(own.resolve("cgroup.controllers"));
    if (!available.containsAll(V2_NEEDED)) {
      throw new CgroupException(own, "own cgroup " + own + " offers controllers " + available
          + ", lacking one of " + V2_NEEDED + DELEGATE_HINT, null);
    }
    Path subtree = own.resolve("cgroup.subtree_control");
    boolean enabled = CgroupFiles.words(subtree).containsAll(V2_NEEDED);
    Set<Long> procs = CgroupFiles.pids(own.resolve("cgroup.procs"));
    V2Placement.Decision d = V2Placement.decide(enabled, isHierarchyRoot, procs, selfPid);
    if (d.action() == V2Placement.Action.ENABLE && isHierarchyRoot && !procs.isEmpty()) {
      try {
        enableV2(subtree, available);
        return;
      } catch (CgroupException e) {
        // A cgroup namespace's root is no real root: the rule applies there too.
        LOG.debug("enabling controllers in {} with processes in it failed: {}", own, e.getMessage());
        d = V2Placement.decide(false, false, procs, selfPid);
      }
    }
    switch (d.action()) {
      case USE -> { }
      case ENABLE -> enableV2(subtree, available);
      case MOVE_SELF_THEN_ENABLE -> {
        Path leaf = own.resolve(V2Placement.JVM_LEAF);
        try {
          Files.createDirectories(leaf);
        } catch (IOException e) {
          throw new CgroupException(leaf, "cannot create " + leaf + " to move this JVM into: "
              + CgroupFiles.reason(e), e);
        }
        // Writing a pid to cgroup.procs moves the whole process, every thread included.
        CgroupFiles.write(leaf.resolve("cgroup.procs"), Long.toString(selfPid));
        LOG.info("moved this JVM (pid {}) into {} so that sandbox cgroups can be created under {}",
            selfPid, leaf, own);
        try {
          enableV2(subtree, available);
        } catch (CgroupException e) {
          throw new CgroupException(subtree, e.getMessage() + " (after moving this JVM into " + leaf
              + "; did another process join " + own + "?)", e);
        }
      }
      case REFUSE -> throw new CgroupException(own, "own cgroup " + own + " also holds processes "
          + d.othersPids() + " that are not this JVM (pid " + selfPid + "); BoxKit will not move them,"
          + " and cgroup v2 allows no child cgroups with limits while they are there"
          + DELEGATE_HINT, null);
      default -> throw new IllegalStateException(d.toString());
    }
  }

  private static final String DELEGATE_HINT = ": run the JVM in a cgroup of its own that it may"
      + " manage, e.g. a systemd service with Delegate=yes, or systemd-run --scope -p Delegate=yes";

  private static void enableV2(Path subtree, Set<String> available) {
    // Fails with EBUSY while the cgroup holds processes ("no internal processes" rule).
    CgroupFiles.write(subtree, "+memory +pids");
    if (available.contains("cpu")) {
      try {
        CgroupFiles.write(subtree, "+cpu");
      } catch (CgroupException e) {
        LOG.debug("cpu controller stays off under {}: {}", subtree.getParent(), e.getMessage());
      }
    }
    if (!CgroupFiles.words(subtree).containsAll(V2_NEEDED)) {
      throw new CgroupException(subtree, "memory and pids did not stay enabled in " + subtree, null);
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
