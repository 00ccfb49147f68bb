package dev.boxkit.sandbox.linux.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Detection on fake /proc and cgroupfs trees, covering layouts this host does not have (v2-only
 * with the JVM in a cgroup that holds processes). A fake {@code cgroup.subtree_control} that is a
 * directory stands for one the kernel refuses to write (EBUSY under the no-internal-processes rule).
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

  @Test
  void v2UsesTheNearestAncestorThatCanHoldLimitedChildren() throws IOException {
    Path cg = tmp.resolve("cg");
    file("cg/cgroup.controllers", "cpuset cpu io memory pids\n");
    file("cg/cgroup.subtree_control", "cpu memory pids\n");
    file("cg/user.slice/cgroup.controllers", "cpu memory pids\n");
    file("cg/user.slice/cgroup.subtree_control", "cpu memory pids\n");
    file("cg/user.slice/session-1.scope/cgroup.controllers", "cpu memory pids\n");
    Files.createDirectories(cg.resolve("user.slice/session-1.scope/cgroup.subtree_control")); // refuses writes
    Cgroups.Detection d = detect("41 31 0:38 / " + cg + " rw,relatime - cgroup2 cgroup2 rw\n",
        "0::/user.slice/session-1.scope\n");
    assertEquals(Optional.of(CgroupVersion.V2), d.controller().map(CgroupController::version), d.reasons().toString());
    assertEquals(List.of(cg.resolve("user.slice")), d.controller().get().parents());
    assertEquals(1, d.reasons().size(), d.reasons().toString());
    assertTrue(d.reasons().get(0).contains("session-1.scope"), d.reasons().toString());
    try (var files = Files.list(cg.resolve("user.slice"))) {
      assertEquals(3, files.count(), "the probe cgroup was not removed");
    }
  }

  @Test
  void v2EnablesControllersWhereAllowed() throws IOException {
    Path cg = tmp.resolve("cg");
    file("cg/cgroup.controllers", "memory pids\n");
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
