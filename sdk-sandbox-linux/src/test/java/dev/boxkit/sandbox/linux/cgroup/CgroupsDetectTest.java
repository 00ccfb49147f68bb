package dev.boxkit.sandbox.linux.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Detection on fake /proc and cgroupfs trees, covering layouts this host does not have (v2-only
 * with the JVM in a cgroup that holds processes). Fake interface files keep what is written, so
 * tests check what detection wrote (which pid moved, which controllers it enabled).
 */
class CgroupsDetectTest {
  @TempDir
  Path tmp;

  private Path file(String rel, String content) throws IOException {
    Path p = tmp.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
    return p;
  }

  private Cgroups.Detection detect(String mountinfo, String procCgroup) throws IOException {
    return Cgroups.detect(file("proc/mountinfo", mountinfo), file("proc/cgroup", procCgroup));
  }

  private static final long SELF = ProcessHandle.current().pid();
  private static final String V2_MOUNT = "41 31 0:38 / %s rw,relatime - cgroup2 cgroup2 rw\n";

  /** A fake delegated service cgroup {@code cg/app.service} whose parent enables everything. */
  private Path service(String subtreeControl, String procs) throws IOException {
    file("cg/cgroup.controllers", "cpuset cpu io memory pids\n");
    file("cg/cgroup.subtree_control", "cpu memory pids\n");
    file("cg/cgroup.procs", "");
    file("cg/app.service/cgroup.controllers", "cpu memory pids\n");
    file("cg/app.service/cgroup.subtree_control", subtreeControl);
    file("cg/app.service/cgroup.procs", procs);
    return tmp.resolve("cg/app.service");
  }

  private Cgroups.Detection detectIn(String ownCgroup) throws IOException {
    return detect(String.format(V2_MOUNT, tmp.resolve("cg")), "0::" + ownCgroup + "\n");
  }

  private static String ls(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      return String.join(",", files.map(f -> f.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void v2UsesTheJvmsOwnCgroupWhenItsControllersAreEnabled() throws IOException {
    Path own = service("cpu memory pids\n", "");
    Cgroups.Detection d = detectIn("/app.service");
    assertEquals(List.of(own), d.controller().map(CgroupController::parents).orElseThrow(), d.reasons().toString());
    assertEquals("cgroup.controllers,cgroup.procs,cgroup.subtree_control", ls(own), "probe removed");
  }

  @Test
  void v2NeverFallsBackToTheParentOutsideTheServicesLimits() throws IOException {
    Path own = service("", "1\n" + SELF + "\n");
    Cgroups.Detection d = detectIn("/app.service");
    assertTrue(d.controller().isEmpty(), "the parent cg/ must not be used: " + d.reasons());
    assertEquals("app.service,cgroup.controllers,cgroup.procs,cgroup.subtree_control", ls(tmp.resolve("cg")));
    String why = d.reasons().get(0);
    assertTrue(why.contains(own.toString()) && why.contains("[1]") && why.contains("Delegate=yes")
        && why.contains("pid " + SELF), why);
    assertEquals("", Files.readString(own.resolve("cgroup.subtree_control")), "nothing enabled");
    assertFalse(Files.exists(own.resolve(V2Placement.JVM_LEAF)), "nobody moved");
  }

  @Test
  void v2MovesTheJvmAloneIntoItsLeafThenEnablesControllers() throws IOException {
    Path own = service("", SELF + "\n");
    file("cg/app.service/cgroup.controllers", "memory pids\n"); // no cpu: one write to check
    Path leafProcs = file("cg/app.service/boxkit-jvm/cgroup.procs", ""); // the kernel makes it
    Cgroups.Detection d = detectIn("/app.service");
    assertEquals(Long.toString(SELF), Files.readString(leafProcs), "this JVM was moved");
    // A fake file keeps what is written; the kernel would then show "memory pids".
    assertEquals("+memory +pids", Files.readString(own.resolve("cgroup.subtree_control")));
    assertTrue(d.controller().isEmpty());
    assertTrue(d.reasons().get(0).contains("after moving this JVM into " + own.resolve("boxkit-jvm")),
        d.reasons().toString());
  }

  @Test
  void v2DetectionFromTheLeafUsesTheDelegatedCgroupAgain() throws IOException {
    Path own = service("cpu memory pids\n", "");
    file("cg/app.service/boxkit-jvm/cgroup.procs", SELF + "\n");
    Cgroups.Detection d = detectIn("/app.service/boxkit-jvm");
    assertEquals(List.of(own), d.controller().map(CgroupController::parents).orElseThrow(), d.reasons().toString());
  }

  @Test
  void placementDecisions() {
    Set<Long> none = Set.of();
    assertEquals(V2Placement.Action.USE, V2Placement.decide(true, false, Set.of(1L, SELF), SELF).action());
    assertEquals(V2Placement.Action.ENABLE, V2Placement.decide(false, false, none, SELF).action());
    assertEquals(V2Placement.Action.ENABLE, V2Placement.decide(false, true, Set.of(1L), SELF).action(),
        "the real root cgroup may enable controllers while holding processes");
    assertEquals(V2Placement.Action.MOVE_SELF_THEN_ENABLE, V2Placement.decide(false, false, Set.of(SELF), SELF).action());
    V2Placement.Decision refuse = V2Placement.decide(false, false, Set.of(SELF, 7L, 1L), SELF);
    assertEquals(V2Placement.Action.REFUSE, refuse.action());
    assertEquals(Set.of(1L, 7L), refuse.othersPids());
  }

  @Test
  void v2EnablesControllersWhereAllowed() throws IOException {
    Path cg = tmp.resolve("cg");
    file("cg/cgroup.controllers", "memory pids\n");
    file("cg/cgroup.procs", "");
    Path subtree = file("cg/cgroup.subtree_control", "");
    // A fake file keeps what is written; the kernel would show "memory pids". Pre-answer that.
    Cgroups.Detection d = detect("41 31 0:38 / " + cg + " rw - cgroup2 cgroup2 rw\n", "0::/\n");
    assertTrue(d.controller().isEmpty(), "the fake file does not enable anything");
    assertEquals("+memory +pids", Files.readString(subtree), "enabling was attempted");
  }

  @Test
  void hybridWithoutV2ControllersFallsBackToV1() throws IOException {
    Path root = tmp.resolve("fs");
    file("fs/unified/cgroup.controllers", "hugetlb\n");
    file("fs/unified/cgroup.subtree_control", "");
    Files.createDirectories(root.resolve("memory/process_api/abc"));
    Files.createDirectories(root.resolve("pids"));
    Files.createDirectories(root.resolve("cpu,cpuacct"));
    String mountinfo = String.join("\n",
        "32 31 0:29 / " + root + "/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct",
        "34 31 0:31 / " + root + "/cpuset rw,relatime - cgroup cgroup rw,cpuset",
        "35 31 0:32 / " + root + "/memory rw,relatime - cgroup cgroup rw,memory",
        "39 31 0:36 / " + root + "/pids rw,relatime - cgroup cgroup rw,pids",
        "41 31 0:38 / " + root + "/unified rw,relatime - cgroup2 cgroup2 rw", "");
    String self = "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/abc\n3:cpuset:/\n1:cpu,cpuacct:/\n0::/\n";
    Cgroups.Detection d = detect(mountinfo, self);
    assertEquals(Optional.of(CgroupVersion.V1), d.controller().map(CgroupController::version), d.reasons().toString());
    assertEquals(List.of(root.resolve("memory/process_api/abc"), root.resolve("pids"), root.resolve("cpu,cpuacct")),
        d.controller().get().parents());
    assertTrue(d.reasons().get(0).contains("hugetlb"), d.reasons().toString());
  }

  @Test
  void nothingUsableGivesEmptyWithReasons() throws IOException {
    Cgroups.Detection d = detect("22 1 0:21 / /proc rw - proc proc rw\n", "0::/\n");
    assertTrue(d.controller().isEmpty());
    assertTrue(d.reasons().stream().anyMatch(r -> r.contains("no memory hierarchy")), d.reasons().toString());
  }

  @Test
  void mountRootAndEscapesAreHonoured() {
    Cgroups.Mount m = Cgroups.Mount.parseAll(List.of(
        "35 31 0:32 /docker/abc /sys/fs/cgroup/my\\040mem rw - cgroup cgroup rw,memory")).get(0);
    assertEquals(Path.of("/sys/fs/cgroup/my mem"), m.mountPoint());
    assertEquals(Optional.of(Path.of("/sys/fs/cgroup/my mem/x")), m.dirOf("/docker/abc/x"));
    assertEquals(Optional.of(Path.of("/sys/fs/cgroup/my mem")), m.dirOf("/docker/abc"));
    assertEquals(Optional.empty(), m.dirOf("/docker/abcd"));
    assertEquals(Optional.empty(), m.dirOf("/docker/abc/../../etc"));
    assertEquals(Map.of("", "/a", "cpu", "/b", "cpuacct", "/b"),
        Cgroups.parseProcCgroup(List.of("0::/a", "1:cpu,cpuacct:/b", "garbage")));
  }
}
