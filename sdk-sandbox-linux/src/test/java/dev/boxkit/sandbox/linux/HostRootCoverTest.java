package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Mount;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host's read-only root hides the host's socket directories, /proc and /dev: a read-only
 * mount does not stop connect(2), and the host's procfs links lead to writable host roots.
 */
class HostRootCoverTest {
  @TempDir Path tmp;

  @Test
  void hostUnixSocketsUnderTmpAndRunAreNotReachable() throws IOException {
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "boxkit-sock-");
    Path sock = dir.resolve("agent.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(sock));
      ExecResult r = Sandboxes.run("test -e " + sock + " && echo VISIBLE; ls -A " + dir
          + "; ls -A /tmp /var/tmp /run; echo x > /tmp/new; echo done");
      assertFalse(r.stdoutText().contains("VISIBLE"), r.stdoutText());
      assertFalse(r.stdoutText().contains("agent.sock"), r.stdoutText());
      assertFalse(r.stdoutText().contains(dir.getFileName().toString()), r.stdoutText());
      assertTrue(r.stdoutText().endsWith("done\n"), r.stdoutText() + r.stderrText());
      assertTrue(r.stderrText().contains("Read-only file system"), "the cover is read-only: " + r.stderrText());
      assertEquals("/run:\n\n/tmp:\n\n/var/tmp:\ndone\n", r.stdoutText(), "the covers are empty");
    } finally {
      Files.deleteIfExists(sock);
      Files.delete(dir);
    }
  }

  @Test
  void specMountsBelowOrAtACoveredPathStillWork() throws IOException {
    Path data = Files.writeString(Files.createDirectories(tmp.resolve("data")).resolve("f"), "bound");
    ExecResult r = Sandboxes.sh("cat /tmp/in/f; echo w > /var/tmp/w && cat /var/tmp/w")
        .mount(Mount.bind(data.getParent(), "/tmp/in")).mount(Mount.tmpfs("/var/tmp", 1 << 20)).run();
    assertEquals(0, r.exitCode(), r.stderrText());
    assertEquals("boundw\n", r.stdoutText());
  }

  @Test
  void leavingOutProcAndDevNeverShowsTheHosts() {
    ExecResult r = Sandboxes.sh("ls -A /proc /dev; ls /proc/1 && echo HOST-PROC; echo done")
        .mounts(List.of()).run();
    assertEquals("/dev:\n\n/proc:\ndone\n", r.stdoutText(), r.stderrText());
    assertFalse(r.stdoutText().contains("HOST-PROC"));
  }

  @Test
  void procWithoutDevShowsOnlyTheSandboxsPids() {
    ExecResult r = Sandboxes.sh("ls -d /proc/[0-9]* | wc -l; ls -A /dev | wc -l")
        .mounts(List.of(Mount.proc())).run();
    assertEquals(0, r.exitCode(), r.stderrText());
    List<String> lines = r.stdoutText().lines().toList();
    assertTrue(Integer.parseInt(lines.get(0).trim()) <= 5, "init, sh, ls and wc only: " + lines);
    assertEquals("0", lines.get(1).trim(), "/dev is empty");
  }
}
