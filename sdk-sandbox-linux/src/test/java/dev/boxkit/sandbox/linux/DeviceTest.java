package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.cdi.InvalidCdiSpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Host device nodes in a sandbox ({@link Mount#device}, CDI devices): the node given is reachable
 * inside, reads and writes as the device does, cannot be chmod'ed, and no other host device
 * shows. Fake devices are made with mknod (root only): {@code /dev/null}'s numbers 1:3 under
 * another name. Without root, the host's own {@code /dev/null} bound under another name shows
 * the same (device nodes on a bind work in a user namespace when the source mount is not nodev).
 */
class DeviceTest {
  @TempDir Path tmp;

  /** What devMinimal's /dev holds; a sandbox with one device must show exactly this plus it. */
  static final Set<String> MINIMAL_DEV = Set.of("fd", "full", "null", "ptmx", "pts", "random", "shm",
      "stderr", "stdin", "stdout", "tty", "urandom", "zero");

  private static boolean root() {
    return LibC.INSTANCE.geteuid() == 0;
  }

  /**
   * A character device with /dev/null's numbers, mode 0666, in a fresh directory on a mount
   * without nodev (the JVM must be root to mknod).
   */
  private Path fakeNode(String name) throws IOException, InterruptedException {
    Sandboxes.require();
    assumeTrue(root(), "mknod needs root; rootless runs cover binding /dev/null under another name");
    Path dir = tmp.toRealPath();
    // The sandbox (shifted ids: "other" to the host) opens the node through this directory.
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    assumeTrue(DeviceMounts.nodevMount(dir, DeviceMounts.mountinfo()).isEmpty(),
        "the temporary directory " + dir + " is on a nodev mount");
    Path node = dir.resolve(name);
    Process p = new ProcessBuilder("mknod", "-m", "666", node.toString(), "c", "1", "3")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), "mknod: " + out);
    return node;
  }

  private static final String PROBE = "echo x > /dev/fakedev && echo WROTE;"
      + " printf 'read %s bytes\\n' $(cat /dev/fakedev | wc -c);"
      + " chmod 600 /dev/fakedev 2>/dev/null && echo CHMODDED;"
      + " for d in /dev/sda /dev/vda /dev/nvme0n1 /dev/fuse /dev/kmsg /dev/mem /dev/console; do"
      + "   test -e $d && echo HOST-DEVICE $d; done;"
      + " ls -A /dev";

  private static void assertOnlyTheFakeDevice(ExecResult r) {
    assertEquals(0, r.exitCode(), r.stderrText());
    List<String> lines = Arrays.asList(r.stdoutText().split("\n"));
    assertEquals("WROTE", lines.get(0), r.stdoutText() + r.stderrText());
    assertEquals("read 0 bytes", lines.get(1), "reading the null device gives EOF");
    assertFalse(r.stdoutText().contains("CHMODDED"), "the node's inode is the host's and stays as it is");
    assertFalse(r.stdoutText().contains("HOST-DEVICE"), r.stdoutText());
    Set<String> expected = new TreeSet<>(MINIMAL_DEV);
    expected.add("fakedev");
    assertEquals(expected, new TreeSet<>(lines.subList(2, lines.size())), "no other host device shows");
  }

  @Test
  void aFakeDeviceNodeIsReachableInsideAndNothingElse() throws Exception {
    Path node = fakeNode("fakedev");
    assertOnlyTheFakeDevice(Sandboxes.sh(PROBE).mount(Mount.device(node, "/dev/fakedev")).run());
  }

  @Test
  void aDeviceNodeAtItsOwnPathOutsideDev() throws Exception {
    Path node = fakeNode("own");
    // The host root's /tmp is an empty cover where the mount point is made (0755: under a
    // sticky world-writable tmpfs the kernel refuses O_CREAT opens of another owner's device).
    ExecResult r = Sandboxes.sh("echo x > " + node + " && echo WROTE; ls -A " + node.getParent())
        .mount(Mount.device(node)).run();
    assertEquals("WROTE\nown\n", r.stdoutText(), r.stderrText());
  }

  /** Runs with or without root: the host's /dev/null (devtmpfs, not nodev) under another name. */
  @Test
  void theHostsNullBoundUnderAnotherNameWorksRootlessToo() {
    ExecResult r = Sandboxes.sh(PROBE).mount(Mount.device(Path.of("/dev/null"), "/dev/fakedev")).run();
    assertOnlyTheFakeDevice(r);
  }

  @Test
  void aCdiSpecInJsonGivesItsNodesMountsAndEnv() throws Exception {
    Path node = fakeNode("cdi0");
    Path lib = Files.writeString(Files.createDirectories(tmp.toRealPath().resolve("lib")).resolve("libfake.so.1"), "ELF");
    Path specs = Files.createDirectories(tmp.toRealPath().resolve("cdi"));
    Files.writeString(specs.resolve("fake.json"), """
        {"cdiVersion": "0.6.0", "kind": "boxkit.test/fake",
         "devices": [{"name": "dev0", "containerEdits": {"env": ["FAKE_DEVICE=0"],
             "deviceNodes": [{"path": "/dev/fakedev", "hostPath": "%s", "type": "c", "major": 1, "minor": 3}]}}],
         "containerEdits": {"mounts": [{"hostPath": "%s", "containerPath": "/tmp/fake/libfake.so.1",
             "options": ["ro", "nosuid", "nodev", "bind"]}]}}
        """.formatted(node, lib));
    ExecResult r = Sandboxes.sh("echo \"$FAKE_DEVICE\"; cat /tmp/fake/libfake.so.1; echo;"
            + " echo y >> /tmp/fake/libfake.so.1 2>/dev/null && echo LIB-WRITTEN; " + PROBE)
        .cdiSpecDirs(List.of(specs)).device("boxkit.test/fake=all").run();
    assertEquals(0, r.exitCode(), r.stderrText());
    assertTrue(r.stdoutText().startsWith("0\nELF\nWROTE\n"), r.stdoutText() + r.stderrText());
    assertFalse(r.stdoutText().contains("LIB-WRITTEN"), "a CDI mount with ro is read-only");
  }

  @Test
  void whatIsNotADeviceIsRefusedBeforeTheSandboxStarts() throws Exception {
    Sandboxes.require();
    Path file = Files.writeString(tmp.resolve("file"), "x");
    InvalidSandboxSpecException e = assertThrows(InvalidSandboxSpecException.class,
        () -> Sandboxes.sh("true").mount(Mount.device(file, "/dev/x")).run());
    assertEquals("mount.source", e.field());
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("regular file"), e.getMessage());
    Path specs = Files.createDirectories(tmp.resolve("cdi"));
    Files.writeString(specs.resolve("hook.yaml"), """
        cdiVersion: 0.5.0
        kind: boxkit.test/hooked
        devices: [{name: d, containerEdits: {deviceNodes: [{path: /dev/null}]}}]
        containerEdits:
          hooks: [{hookName: createContainer, path: /usr/bin/true}]
        """);
    InvalidCdiSpecException hook = assertThrows(InvalidCdiSpecException.class,
        () -> Sandboxes.sh("true").cdiSpecDirs(List.of(specs)).device("boxkit.test/hooked=d").run());
    assertEquals("containerEdits.hooks[0]", hook.field());
  }

  @Test
  void aNodeOnANodevMountIsRefusedNamingIt() {
    List<String> mountinfo = List.of(
        "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
        "30 22 0:25 / /dev rw,nosuid shared:2 - devtmpfs udev rw",
        "31 22 0:26 / /tmp rw,nosuid,nodev shared:3 - tmpfs tmpfs rw",
        "32 31 0:27 / /tmp/dev\\040ok rw shared:4 - tmpfs tmpfs rw");
    assertEquals(Optional.of("/tmp"), DeviceMounts.nodevMount(Path.of("/tmp/x/fakedev"), mountinfo));
    assertEquals(Optional.empty(), DeviceMounts.nodevMount(Path.of("/tmp/dev ok/fakedev"), mountinfo),
        "the deepest mount counts; mountinfo escapes are read");
    assertEquals(Optional.empty(), DeviceMounts.nodevMount(Path.of("/dev/fuse"), mountinfo));
    SandboxSpec spec = Sandbox.builder().command("/bin/true").mount(Mount.device(Path.of("/tmp/x/fakedev"))).build();
    InvalidSandboxSpecException e = assertThrows(InvalidSandboxSpecException.class,
        () -> DeviceMounts.check(spec, mountinfo));
    assertEquals("mount.source", e.field());
    assertTrue(e.getMessage().contains("nodev"), e.getMessage());
  }

  @Test
  void devicesAreBoundFromThePlainPathNeverIdmapped() {
    SandboxSpec spec = Sandbox.builder().command("/bin/true")
        .mount(Mount.device(Path.of("/dev/null"), "/dev/fakedev")).build();
    for (long uid : new long[] {0, 1000}) {
      Plan plan = PlanCompiler.compile(spec, uid, uid, Optional.empty());
      List<String> steps = new java.util.ArrayList<>();
      for (int i = 0; i < plan.ops().size(); i++) {
        steps.add(plan.describe(i));
      }
      assertTrue(steps.contains("mount /dev/null -> /dev/fakedev (bind, device, rw)"), steps.toString());
      assertFalse(steps.stream().anyMatch(s -> s.contains("idmapped mount of /dev/null")), steps.toString());
    }
  }
}
