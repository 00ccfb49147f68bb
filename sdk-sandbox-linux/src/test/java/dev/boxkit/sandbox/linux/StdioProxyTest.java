package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.SandboxSetupException;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Host files given as stdio reach the program only as pipes the helper copies: the program
 * never holds the host file's fd, so it cannot reopen it through {@code /proc/self/fd/N} with
 * more access than it was given, and the helper opens the path without following links.
 */
class StdioProxyTest {
  @TempDir Path tmp;

  @Test
  void readOnlyStdinCannotBeReopenedForWriting() throws IOException {
    Path in = Files.writeString(tmp.resolve("input.txt"), "host data\n");
    ExecResult r = Sandboxes.sh("readlink /proc/self/fd/0; echo x >> /proc/self/fd/0;"
        + " echo y > /dev/stdin; cat").stdin(Stdio.file(in)).run();
    assertEquals("host data\n", Files.readString(in), "the host file is unchanged");
    assertTrue(r.stdoutText().startsWith("pipe:["), r.stdoutText());
    // Without root the program may open its own stdin pipe for writing (same user): what it
    // writes there comes back to itself, never to the host file.
    assertTrue(r.stdoutText().contains("host data\n"), "the program read the file: " + r.stdoutText());
  }

  @Test
  void outputFilesGetEverythingThroughAPipe() throws IOException {
    Path out = tmp.resolve("out.log");
    Path err = tmp.resolve("err.log");
    Files.writeString(out, "old content that must be truncated");
    // (Reading /proc/self/fd/1 back would open the program's own output pipe: harmless, and it
    // would wait forever for data, so it is not tried here.)
    ExecResult r = Sandboxes.sh("readlink /proc/self/fd/1 >&2;"
        + " head -c 3000000 /dev/zero | tr '\\0' a; echo; echo to-err >&2")
        .stdout(Stdio.file(out)).stderr(Stdio.file(err)).run();
    assertEquals(0, r.exitCode());
    assertEquals(3_000_001, Files.size(out), "every byte of a large output arrives");
    String errText = Files.readString(err);
    assertTrue(errText.startsWith("pipe:["), errText);
    assertTrue(errText.endsWith("to-err\n"), errText);
    assertFalse(errText.contains("old content"), errText);
  }

  @Test
  void theHelperOpensStdioPathsWithoutFollowingLinks() throws IOException {
    Sandboxes.require();
    // A link planted by an earlier sandbox in a directory it could write, pointing at a host
    // directory: the helper itself refuses it, even when the JVM's checks are bypassed (this
    // compiles and launches the plan directly, as a race between the check and the open would).
    Path w = Files.createDirectories(tmp.resolve("w"));
    Path victim = Files.createDirectories(tmp.resolve("victim"));
    Files.writeString(victim.resolve("x.log"), "precious");
    Files.createSymbolicLink(w.resolve("stage"), victim);
    for (Stdio s : new Stdio[] {Stdio.file(w.resolve("stage/x.log"))}) {
      SandboxSpec out = Sandboxes.sh("echo overwritten").stdout(s).build();
      SandboxSpec in = Sandboxes.sh("cat").stdin(s).build();
      for (SandboxSpec spec : new SandboxSpec[] {out, in}) {
        LinuxSandboxProcess p = LinuxSandboxProcess.launch(HelperBinary.load(), spec,
            PlanCompiler.compile(spec, LibC.INSTANCE.geteuid(), LibC.INSTANCE.getegid(), Optional.empty()),
            SandboxResources.NONE);
        SandboxSetupException e = assertThrows(SandboxSetupException.class, () -> p.supervise(null, null));
        assertEquals("stdio", e.step(), e.getMessage());
        assertEquals(40, e.errno(), "ELOOP: " + e.getMessage());
      }
    }
    assertEquals("precious", Files.readString(victim.resolve("x.log")));
  }

  @Test
  void outputIsCompleteWhenTheProgramLeavesBackgroundWritersBehind() throws IOException {
    Path out = tmp.resolve("out.log");
    ExecResult r = Sandboxes.sh("(sleep 0.2; echo late) & echo early").stdout(Stdio.file(out)).run();
    assertEquals(0, r.exitCode());
    // The program's end kills the namespace: "late" never comes, and the run does not hang.
    assertEquals("early\n", Files.readString(out));
  }

  @Test
  void pipesToTheJvmStayAsTheyAre() {
    ExecResult r = Sandboxes.sh("readlink /proc/self/fd/1").mount(Mount.tmpfs("/tmp", 4096)).run();
    assertTrue(r.stdoutText().startsWith("pipe:["), r.stdoutText());
  }
}
