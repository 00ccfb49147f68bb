package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.SandboxSetupException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mounts: the root, binds, tmpfs, /proc, /dev; each test tries to reach or change the host. */
class FilesystemEscapeTest {
  @TempDir Path tmp;

  private Path hostSecret() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("host"));
    return Files.writeString(dir.resolve("secret.txt"), "TOP-SECRET");
  }

  @Test
  void unboundHostFileIsUnreachableByAnyRoute() throws IOException {
    Path secret = hostSecret();
    String s = secret.toString();
    ExecResult r = MiniRoot.sh(tmp.resolve("root"), String.join("; ",
        "cat " + s, "cat /proc/1/root" + s, "cat /proc/self/root" + s, "cat ../../../../.." + s,
        "cd / && cat ./../../.." + s, "for f in /proc/self/fd/* /proc/1/fd/*; do cat $f" + s + "; done",
        "ln -s " + s + " /tmp/l 2>/dev/null; cat /tmp/l", "find / -name secret.txt 2>/dev/null", "true"))
        .mount(Mount.tmpfs("/tmp", 1 << 20)).run();
    assertFalse(r.stdoutText().contains("TOP-SECRET"), r.stdoutText());
    assertFalse(r.stdoutText().contains("secret.txt"), r.stdoutText());
    assertTrue(r.stderrText().contains("No such file"), "the routes were tried: " + r.stderrText());
  }

  @Test
  void readOnlyBindRejectsWritesAndRemounts() throws IOException {
    Path secret = hostSecret();
    ExecResult r = Sandboxes.sh("echo x > /mnt/secret.txt; echo y > /mnt/new; rm /mnt/secret.txt;"
        + " mount -o remount,rw /mnt; echo z > /mnt/new2; cat /mnt/secret.txt")
        .mount(Mount.bind(secret.getParent(), "/mnt")).run();
    assertTrue(r.stderrText().contains("Read-only file system"), r.stderrText());
    assertEquals("TOP-SECRET", r.stdoutText());
    assertEquals("TOP-SECRET", Files.readString(secret));
    assertEquals(List.of(secret), Files.list(secret.getParent()).toList());
  }

  @Test
  void readOnlyBindIsNosuidAndNodev() throws IOException {
    ExecResult r = Sandboxes.sh("grep ' /mnt ' /proc/self/mountinfo")
        .mount(Mount.bind(hostSecret().getParent(), "/mnt")).run();
    assertEquals(0, r.exitCode(), r.toString() + r.stderrText());
    String opts = r.stdoutText().split(" ")[5];
    assertTrue(opts.contains("ro") && opts.contains("nosuid") && opts.contains("nodev"), r.stdoutText());
  }

  @Test
  void hostRootIsReadOnly() {
    ExecResult r = Sandboxes.run("touch /etc/boxkit-escape; echo x > /usr/boxkit-escape; mkdir /boxkit-escape; echo done");
    assertEquals("done\n", r.stdoutText());
    assertTrue(r.stderrText().contains("Read-only file system"), r.stderrText());
    assertFalse(Files.exists(Path.of("/etc/boxkit-escape")));
    assertFalse(Files.exists(Path.of("/boxkit-escape")));
  }

  @Test
  void readWriteBindWritesThroughToTheHost() throws IOException {
    Path dir = Sandboxes.userOwned(Files.createDirectories(tmp.resolve("rw")));
    ExecResult r = Sandboxes.sh("echo written > /srv/result").mount(Mount.bind(dir, "/srv").readWrite()).run();
    assertEquals(0, r.exitCode(), r.stderrText());
    assertEquals("written\n", Files.readString(dir.resolve("result")));
  }

  @Test
  void tmpfsIsWritableAndBounded() {
    ExecResult r = Sandboxes.sh("echo ok > /opt/a && cat /opt/a; head -c 2000000 /dev/zero > /opt/big; echo rc=$?")
        .mount(Mount.tmpfs("/opt", 1 << 20)).run();
    assertTrue(r.stdoutText().startsWith("ok\n"), r.stdoutText());
    assertTrue(r.stderrText().contains("No space left"), r.stderrText());
  }

  @Test
  void devHoldsOnlyTheMinimalNodes() {
    ExecResult r = Sandboxes.run("ls /dev | tr '\\n' ' '; echo; echo x > /dev/null && head -c 4 /dev/zero | wc -c;"
        + " head -c 4 /dev/urandom | wc -c; test -e /dev/sda || test -e /dev/kmsg || echo no-host-devices");
    List<String> lines = r.stdoutText().lines().toList();
    assertEquals("fd full null ptmx pts random shm stderr stdin stdout tty urandom zero ", lines.get(0));
    assertEquals(List.of("4", "4", "no-host-devices"), lines.subList(1, 4), r.stderrText());
  }

  @Test
  void procIsTheSandboxesOwnAndItsKernelKnobsAreReadOnly() {
    ExecResult r = Sandboxes.run("echo 1 > /proc/sys/kernel/sysrq; echo x > /proc/sys/vm/drop_caches; cat /proc/1/cmdline | tr '\\0' ' '; echo");
    assertTrue(r.stderrText().contains("Read-only file system"), r.stderrText());
    assertTrue(r.stdoutText().contains("boxkit-init"), "pid 1 is the sandbox's init: " + r.stdoutText());
  }

  @Test
  void symlinkPlantedInTheRootCannotRedirectAMount() throws IOException {
    Path hostDir = Files.createDirectories(tmp.resolve("victim"));
    Path root = MiniRoot.create(Files.createDirectories(tmp.resolve("evilroot")));
    Files.createSymbolicLink(root.resolve("work/link"), hostDir);
    Files.createSymbolicLink(root.resolve("escape"), Path.of("/work/link"));
    for (String dst : List.of("/work/link", "/work/link/sub", "/escape", "/escape/x")) {
      SandboxSetupException e = assertThrows(SandboxSetupException.class,
          () -> MiniRoot.sh(root, "true").mount(Mount.tmpfs(dst, 4096)).run(), dst);
      assertTrue(e.getMessage().contains(dst), e.getMessage());
      assertNotEquals(0, e.errno());
    }
    assertEquals(List.of(), Files.list(hostDir).toList(), "nothing was created on the host");
    assertTrue(Files.readString(Path.of("/proc/self/mountinfo")).indexOf(hostDir.toString()) < 0,
        "nothing was mounted on the host");
  }

  @Test
  void writableDirectoryRootGetsMissingMountPointsCreated() throws IOException {
    Path root = Sandboxes.userOwned(MiniRoot.create(tmp.resolve("rwroot")));
    ExecResult r = Sandboxes.require0(() -> dev.boxkit.sandbox.Sandbox.builder()
        .root(dev.boxkit.sandbox.Rootfs.directory(root).readWrite())
        .mount(Mount.bind(Path.of("/usr"), "/usr")).mount(Mount.tmpfs("/new/scratch", 4096))
        .command("/bin/sh", "-c", "echo hi > /new/scratch/f && echo root-file > /written && cat /new/scratch/f")
        .run());
    assertEquals("hi\n", r.stdoutText(), r.stderrText());
    assertTrue(Files.isDirectory(root.resolve("new/scratch")), "mount point created in the root");
    assertEquals(List.of(), Files.list(root.resolve("new/scratch")).toList(), "tmpfs content stays in the tmpfs");
    assertEquals("root-file\n", Files.readString(root.resolve("written")));
  }

  @Test
  void writableDirectoryRootIsNosuidAndNodev() {
    Path root = Sandboxes.userOwned(MiniRoot.create(tmp.resolve("rwroot")));
    ExecResult r = Sandboxes.require0(() -> dev.boxkit.sandbox.Sandbox.builder()
        .root(dev.boxkit.sandbox.Rootfs.directory(root).readWrite())
        .mount(Mount.bind(Path.of("/usr"), "/usr"))
        .command("/bin/sh", "-c", "grep '^[^ ]* [^ ]* [^ ]* [^ ]* / ' /proc/self/mountinfo").run());
    assertEquals(0, r.exitCode(), r.stderrText());
    String opts = r.stdoutText().split(" ")[5];
    assertTrue(opts.startsWith("rw") && opts.contains("nosuid") && opts.contains("nodev"), r.stdoutText());
  }

  @Test
  void procHardwareKnobsAreReadOnlyAndKernelInternalsMasked() {
    dev.boxkit.testing.ExternalTools.requireHost(Files.exists(Path.of("/proc/irq/default_smp_affinity"))
        && Files.exists(Path.of("/proc/timer_list")), "this kernel has /proc/irq and /proc/timer_list");
    ExecResult r = Sandboxes.run("echo f > /proc/irq/default_smp_affinity; echo f > /proc/sys/kernel/ns_last_pid;"
        + " echo timers=$(wc -c < /proc/timer_list) keys=$(wc -c < /proc/keys);"
        + " grep -c -E ' /proc/(irq|sys|keys|timer_list) ' /proc/self/mountinfo");
    assertEquals(0, r.exitCode(), r.stderrText());
    List<String> err = r.stderrText().lines().toList();
    assertEquals(2, err.size(), r.stderrText());
    assertTrue(err.stream().allMatch(l -> l.contains("Read-only file system")), r.stderrText());
    List<String> out = r.stdoutText().lines().toList();
    assertEquals("timers=0 keys=0", out.get(0), "masked by /dev/null");
    assertTrue(Integer.parseInt(out.get(1)) >= 4, "read-only and masking mounts: " + r.stdoutText());
  }

  @Test
  void missingMountPointInReadOnlyRootFailsNamingIt() {
    Sandboxes.require();
    SandboxSetupException e = assertThrows(SandboxSetupException.class,
        () -> Sandboxes.sh("true").mount(Mount.tmpfs("/no-such-dir-boxkit", 4096)).run());
    assertEquals("mount-tmpfs", e.step());
    assertEquals(30, e.errno(), e.getMessage()); // EROFS: the host root is read-only
    assertTrue(e.getMessage().contains("/no-such-dir-boxkit"), e.getMessage());
  }

  @Test
  void bindSourceThatIsASymlinkIsRefused() throws IOException {
    Path link = Files.createSymbolicLink(tmp.resolve("cache"), Path.of("/etc"));
    dev.boxkit.sandbox.InvalidSandboxSpecException e = assertThrows(
        dev.boxkit.sandbox.InvalidSandboxSpecException.class,
        () -> Sandboxes.sh("cat /mnt/hostname").mount(Mount.bind(link, "/mnt").readWrite()).run());
    assertEquals("mount.source", e.field());
    assertTrue(e.getMessage().contains(link.toString()), e.getMessage());
  }

  @Test
  void bindSourceBelowASymlinkedDirectoryIsRefused() throws IOException {
    hostSecret();
    Path link = Files.createSymbolicLink(tmp.resolve("via"), tmp);
    dev.boxkit.sandbox.InvalidSandboxSpecException e = assertThrows(
        dev.boxkit.sandbox.InvalidSandboxSpecException.class,
        () -> Sandboxes.sh("cat /mnt/secret.txt").mount(Mount.bind(link.resolve("host"), "/mnt")).run());
    assertEquals("mount.source", e.field());
    assertTrue(e.getMessage().contains("component \"" + link + "\" is a symbolic link"), e.getMessage());
    // The caller's own link, resolved by the caller, is fine.
    ExecResult r = Sandboxes.sh("cat /mnt/secret.txt")
        .mount(Mount.bind(link.resolve("host").toRealPath(), "/mnt")).run();
    assertEquals("TOP-SECRET", r.stdoutText(), r.stderrText());
  }

  @Test
  void directoryRootGivenThroughALinkIsRefused() throws IOException {
    Path root = MiniRoot.create(tmp.resolve("real-root"));
    Files.writeString(root.resolve("data/marker"), "real");
    Path link = Files.createSymbolicLink(tmp.resolve("current"), root);
    dev.boxkit.sandbox.InvalidSandboxSpecException e = assertThrows(
        dev.boxkit.sandbox.InvalidSandboxSpecException.class, () -> Sandboxes.require0(() ->
            dev.boxkit.sandbox.Sandbox.builder().root(dev.boxkit.sandbox.Rootfs.directory(link))
                .mount(Mount.bind(Path.of("/usr"), "/usr")).command("/bin/sh", "-c", "cat /data/marker").run()));
    assertEquals("root.path", e.field());
    ExecResult r = dev.boxkit.sandbox.Sandbox.builder()
        .root(dev.boxkit.sandbox.Rootfs.directory(link.toRealPath())).mount(Mount.bind(Path.of("/usr"), "/usr"))
        .command("/bin/sh", "-c", "cat /data/marker").run();
    assertEquals("real", r.stdoutText(), r.stderrText());
  }

  @Test
  void missingBindSourceFailsNamingIt() {
    Sandboxes.require();
    SandboxSetupException e = assertThrows(SandboxSetupException.class,
        () -> Sandboxes.sh("true").mount(Mount.bind(Path.of("/no/such/source"), "/mnt")).run());
    // A root JVM's shifted ids open bind sources as idmapped trees in the monitor.
    assertTrue(List.of("open-source", "idmap").contains(e.step()), e.step());
    assertEquals(2, e.errno());
    assertEquals("/no/such/source", e.path().orElse(""));
  }
}
