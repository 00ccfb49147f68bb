package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxSetupException;
import org.junit.jupiter.api.Test;

class HelloSandboxTest {

  @Test
  void providerIsFoundByServiceLoader() {
    assertInstanceOf(LinuxSandboxProvider.class, Sandbox.providers().get(0));
  }

  @Test
  void runsAProgramAndCapturesItsOutput() {
    ExecResult r = Sandboxes.run("echo hello; echo oops >&2; exit 7");
    assertEquals(7, r.exitCode(), r.stderrText());
    assertEquals("hello\n", r.stdoutText());
    assertEquals("oops\n", r.stderrText());
    assertTrue(r.signal().isEmpty());
  }

  @Test
  void reportsTheSignalThatKilledTheProgram() {
    ExecResult r = Sandboxes.run("kill -TERM $$");
    assertEquals(15, r.signal().orElse(-1));
    assertEquals(128 + 15, r.exitCode());
  }

  @Test
  void missingProgramIsASetupFailureNotExit127() {
    Sandboxes.require();
    SandboxSetupException e = assertThrows(SandboxSetupException.class,
        () -> Sandbox.builder().command("/no/such/program").run());
    assertEquals("exec", e.step());
    assertEquals(2, e.errno());
    assertTrue(e.getMessage().contains("ENOENT"), e.getMessage());
    assertEquals(127, Sandboxes.run("exit 127").exitCode(), "a program's own 127 is just an exit code");
  }

  @Test
  void captureIsCapped() {
    ExecResult r = Sandboxes.sh("head -c 100000 /dev/zero").captureLimitBytes(1000).run();
    assertEquals(0, r.exitCode());
    assertEquals(1000, r.stdout().length);
  }
}
