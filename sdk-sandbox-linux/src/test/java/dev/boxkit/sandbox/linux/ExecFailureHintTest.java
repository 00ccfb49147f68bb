package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxSetupException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;

/** A program that cannot be found says where it was looked for, and why it is not there. */
class ExecFailureHintTest {

  @Test
  void aBareNameNamesThePathSearched() {
    Sandboxes.require();
    SandboxSetupException e = assertThrows(SandboxSetupException.class,
        () -> Sandbox.builder().command("boxkit-no-such-program").run());
    assertEquals("exec", e.step());
    assertTrue(e.getMessage().contains("no boxkit-no-such-program on the sandbox's PATH=/bin:/usr/bin")
        && e.getMessage().contains("the spec sets no PATH"), e.getMessage());
    SandboxSetupException withPath = assertThrows(SandboxSetupException.class,
        () -> Sandbox.builder().command("boxkit-no-such-program").env("PATH", "/opt/x:/usr/bin").run());
    assertTrue(withPath.getMessage().contains("PATH=/opt/x:/usr/bin"), withPath.getMessage());
  }

  @Test
  void aProgramInAHiddenHostDirectorySaysItIsHidden() throws IOException {
    Sandboxes.require();
    // Under the host's /tmp (java.io.tmpdir is not always there: make sure of it).
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "boxkit-hint-");
    try {
      Path prog = Files.copy(Path.of("/bin/true"), dir.resolve("prog"), StandardCopyOption.COPY_ATTRIBUTES);
      SandboxSetupException e = assertThrows(SandboxSetupException.class,
          () -> Sandbox.builder().command(prog.toString()).run());
      assertTrue(e.getMessage().contains(prog + " exists on the host, but the host's /tmp is hidden"),
          e.getMessage());
      // Bound in, as the message says, it runs.
      assertEquals(0, Sandbox.builder().command(prog.toString()).mount(Mount.tmpfs("/tmp", 1 << 20))
          .mount(Mount.bind(dir, dir.toString())).run().exitCode());
    } finally {
      Files.deleteIfExists(dir.resolve("prog"));
      Files.deleteIfExists(dir);
    }
  }
}
