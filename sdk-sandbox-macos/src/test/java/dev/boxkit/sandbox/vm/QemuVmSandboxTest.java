package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSetupException;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.OptionalInt;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boots real QEMU VMs (TCG where KVM is absent: about a second each, so few boots) with the
 * configured kernel ({@code BOXKIT_VM_KERNEL}: in CI BoxKit's own) and BoxKit's initramfs.
 */
class QemuVmSandboxTest {
  @TempDir static Path tmp;
  private static VmSandboxProvider provider;
  private static Path root;

  @BeforeAll
  static void setUp() throws Exception {
    provider = TestVms.qemuProvider();
    root = TestVms.rootWith(Files.createDirectories(tmp.resolve("root")), List.of("/bin/sh", "/bin/bash", "/bin/cat", "/bin/sleep", "/bin/mount",
        "/bin/cp", "/bin/chmod"));
  }

  @Test
  void runsACommandWithExactStdoutStderrAndExitCode() {
    ExecResult r = provider.run(SandboxSpec.builder().root(Rootfs.directory(root))
        .command("/bin/sh", "-c", "echo hi; echo oops >&2; exit 3").build());
    assertEquals("hi\n", r.stdoutText());
    assertEquals("oops\n", r.stderrText());
    assertEquals(3, r.exitCode());
    assertTrue(r.signal().isEmpty());
  }

  @Test
  void readsABoundHostDirectoryThatStaysReadOnlyAndHasNoNetwork() throws Exception {
    TestVms.requireRootForBinds();
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(data.resolve("greeting.txt"), "from the host\n");
    Path input = Files.writeString(tmp.resolve("input.txt"), "line from a host file\n");
    String script = "read -r first; echo \"stdin: $first\"; cat /data/greeting.txt;"
        + " if echo x > /data/new.txt; then echo data-writable; else echo data-ro; fi;"
        + " if echo x > /rootfile; then echo root-writable; else echo root-ro; fi;"
        // uid 0 in the guest, but without CAP_SYS_ADMIN: read-only cannot be undone.
        + " if mount -o remount,rw /data 2>/dev/null; then echo remounted; else echo remount-denied; fi;"
        + " cat /proc/net/dev | while read -r line; do case $line in *:*) echo \"if ${line%%:*}\";; esac; done;"
        // 10.0.2.2 is the host as QEMU's user-mode network would show it.
        + " if echo > /dev/tcp/10.0.2.2/80; then echo net-reachable; else echo net-unreachable; fi";
    ExecResult r = provider.run(SandboxSpec.builder().root(Rootfs.directory(root))
        .mount(Mount.bind(data, "/data")).stdin(Stdio.file(input))
        .command("/bin/bash", "-c", script).build());
    assertEquals("stdin: line from a host file\nfrom the host\ndata-ro\nroot-ro\nremount-denied\nif lo\nnet-unreachable\n", r.stdoutText(), r.stderrText());
    assertTrue(r.stderrText().contains("/data/new.txt: Read-only file system"), r.stderrText());
    assertTrue(r.stderrText().contains("/rootfile: Read-only file system"), r.stderrText());
    assertTrue(r.stderrText().contains("Network is unreachable"), r.stderrText());
    assertEquals(0, r.exitCode());
    assertTrue(Files.notExists(data.resolve("new.txt")));
  }

  @Test
  void aWritableShareNeverGetsASetuidFile() throws Exception {
    TestVms.requireRootForBinds();
    Path out = Files.createDirectories(tmp.resolve("out"));
    ExecResult r = provider.run(SandboxSpec.builder().root(Rootfs.directory(root))
        .mount(Mount.bind(out, "/out").readWrite())
        .command("/bin/sh", "-c", "cp /bin/sh /out/x && chmod 4755 /out/x; chmod u+s,g+s /out/x;"
            + " chmod 0700 /out/x && echo plain-chmod-ok").build());
    assertEquals("plain-chmod-ok\n", r.stdoutText(), r.stderrText());
    assertTrue(r.stderrText().contains("Operation not permitted"), r.stderrText());
    int mode = (Integer) Files.getAttribute(out.resolve("x"), "unix:mode");
    assertEquals(0, mode & 06000, "no set-id bit reached the host: " + Integer.toOctalString(mode));
  }

  @Test
  void startedSandboxTakesStdinStreamsStdoutAndReceivesSignals() throws Exception {
    try (SandboxProcess p = provider.start(SandboxSpec.builder().root(Rootfs.directory(root)).stdin(Stdio.pipe())
        .command("/bin/sh", "-c", "read -r a; echo \"got $a\"; cat; echo ready; exec /bin/sleep 600").build())) {
      p.stdin().write("first line\nrest\n".getBytes(StandardCharsets.UTF_8));
      p.stdin().close();
      BufferedReader out = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.UTF_8));
      assertEquals("got first line", out.readLine());
      assertEquals("rest", out.readLine(), "cat copies the rest and ends at the closed stdin");
      assertEquals("ready", out.readLine());
      assertTrue(p.pid() > 0);
      assertTrue(p.waitFor(Duration.ZERO).isEmpty(), "still running");
      p.signal(15);
      ExecResult r = p.waitFor();
      assertEquals(OptionalInt.of(15), r.signal());
      assertEquals(128 + 15, r.exitCode());
      assertEquals(null, out.readLine(), "stdout ends with the program");
    }
  }

  @Test
  void timeoutKillsTheVm() {
    ExecResult r = provider.run(SandboxSpec.builder().root(Rootfs.directory(root))
        .command("/bin/sleep", "600").limits(ResourceLimits.builder().timeout(Duration.ofSeconds(5)).build()).build());
    assertTrue(r.timedOut());
    assertEquals(OptionalInt.of(9), r.signal());
    assertTrue(r.wallTime().compareTo(Duration.ofSeconds(5)) >= 0, r.wallTime().toString());
  }

  @Test
  void setupFailuresNameTheStepPathAndErrno() {
    SandboxSetupException exec = assertThrows(SandboxSetupException.class, () -> provider.run(SandboxSpec.builder()
        .root(Rootfs.directory(root)).command("/bin/no-such-program").build()));
    assertEquals("exec", exec.step());
    assertEquals("/bin/no-such-program", exec.path().orElseThrow());
    assertEquals(2, exec.errno());

    SandboxSetupException chdir = assertThrows(SandboxSetupException.class, () -> provider.run(SandboxSpec.builder()
        .root(Rootfs.directory(root)).workingDir("/no/such/dir").command("/bin/sh", "-c", "echo never").build()));
    assertEquals("chdir", chdir.step());
    assertEquals("/no/such/dir", chdir.path().orElseThrow());
    assertEquals(2, chdir.errno());
  }
}
