package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSetupException;
import org.junit.jupiter.api.Test;

/** exec into a running sandbox: the same namespaces, root and restrictions as its program. */
class ExecIntoTest {

  @Test
  void anExecSeesTheSandboxsProcessesFilesAndNetwork() throws Exception {
    Sandboxes.require();
    if (LibC.INSTANCE.geteuid() != 0) {
      try (SandboxProcess p = Sandboxes.sh("exec sleep 30").start()) {
        SandboxException e = assertThrows(SandboxException.class, () -> p.exec("/bin/true"));
        assertTrue(e.getMessage().contains("needs a JVM running as root"), e.getMessage());
      }
      return;
    }
    try (SandboxProcess p = Sandboxes.sh("echo from-program > /mnt/shared; hostname; exec sleep 30")
        .mount(Mount.tmpfs("/mnt", 1 << 20)).hostname("box").start()) {
      // Right after start: the exec waits for the finished root instead of joining a half-built one.
      ExecResult first = p.exec("/bin/true");
      assertEquals(0, first.exitCode(), first.stderrText());
      // The program's tmpfs file, its hostname, its pid namespace (sleep is there).
      ExecResult r = null;
      for (int i = 0; i < 100; i++) {
        r = p.exec("/bin/sh", "-c", "cat /mnt/shared && hostname && ls /proc | grep -c '^[0-9]'");
        if (r.exitCode() == 0) {
          break;
        }
        Thread.sleep(20); // the program has not written its file yet
      }
      String[] lines = r.stdoutText().split("\n");
      assertEquals("from-program", lines[0], r.stdoutText() + r.stderrText());
      assertEquals("box", lines[1]);
      int processes = Integer.parseInt(lines[2].trim());
      assertTrue(processes >= 3 && processes < 10, "init, sleep and the exec's own, not the host's: " + processes);
      ExecResult who = p.exec("/bin/sh", "-c", "id -u; grep CapEff /proc/self/status; cat /proc/self/uid_map");
      assertEquals("0", who.stdoutText().split("\n")[0], who.stderrText());
      assertTrue(who.stdoutText().contains("CapEff:\t0000000000000000"), "no capabilities: " + who.stdoutText());
      assertTrue(p.exec("/bin/sh", "-c", "exit 7").exitCode() == 7);
      SandboxSetupException missing = assertThrows(SandboxSetupException.class, () -> p.exec("no-such-program"));
      assertEquals("exec", missing.step());
    }
  }

  @Test
  void anExecIntoAnEndedSandboxIsRefused() {
    SandboxProcess p = Sandboxes.sh("true").start();
    p.waitFor();
    assertThrows(SandboxException.class, () -> p.exec("/bin/true"));
    p.close();
  }
}
