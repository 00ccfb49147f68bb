package dev.boxkit.junit5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A class without images gets sandboxes on the host's {@code /}, read-only. */
@BoxKitTest
class HostRootTest {
  @Sandboxed
  TestSandbox sandbox;

  @Test
  void hostProgramsRunAndTheHostCannotBeWritten() {
    ExecResult r = sandbox.exec("sh", "-c", "ls /usr/bin >/dev/null && echo x > /usr/boxkit-probe");
    assertNotEquals(0, r.exitCode());
    assertTrue(r.stderrText().contains("Read-only file system"), r.stderrText());
    assertTrue(Files.notExists(Path.of("/usr/boxkit-probe")));
  }

  @Test
  void tmpIsTheTestsScratchDirectory() throws Exception {
    assertEquals(0, sandbox.exec("sh", "-c", "echo hi > /tmp/f").exitCode());
    assertEquals("hi\n", Files.readString(sandbox.hostTmp().resolve("f")));
    assertTrue(sandbox.hostTmp().startsWith(Path.of(System.getProperty("java.io.tmpdir")).toRealPath())
        || sandbox.hostTmp().startsWith(Path.of(System.getProperty("java.io.tmpdir"))));
  }
}
