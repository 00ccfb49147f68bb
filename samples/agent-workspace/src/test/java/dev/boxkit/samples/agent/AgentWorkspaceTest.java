package dev.boxkit.samples.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.SandboxException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's work succeeds; every escape attempt fails, for the reason the jail gives. */
class AgentWorkspaceTest {
  @Test
  void workSucceedsAndEveryEscapeFails(@TempDir Path work) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    List<AgentWorkspace.Outcome> outcomes = AgentWorkspace.run(work, 0, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String table = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(AgentWorkspace.attempts(1, 1, "/", 0).size(), outcomes.size(), table);
    for (AgentWorkspace.Outcome o : outcomes) {
      assertTrue(o.asExpected(), o.attempt().name() + ":\n" + table);
    }
    assertEquals("notes from the agent\n", Files.readString(work.resolve("project/NOTES.md")));
    assertFalse(Files.exists(work.resolve("escaped")));
    assertFalse(Files.exists(Path.of("/pwned")));

    // Each attempt fails for the jail's reason, not for a missing tool.
    Map<String, String> why = outcomes.stream().collect(Collectors.toMap(
        o -> o.attempt().name().replaceAll(" \\(pid .*| on 127.*", ""),
        o -> o.result().stdoutText() + o.result().stderrText()));
    assertTrue(why.get("read the host's /etc/shadow").contains("No such file or directory"), table);
    assertTrue(why.get("read the host's ~/.ssh").contains("No such file or directory"), table);
    assertTrue(why.get("write outside the project").contains("Read-only file system"), table);
    assertTrue(why.get("climb out of the project").contains("Read-only file system"), table);
    assertTrue(why.get("reach the internet").contains("Network is unreachable"), table);
    assertTrue(why.get("reach a host service").contains("Connection refused"), table);
    assertTrue(why.get("signal the host JVM").contains("No such process"), table);
    assertTrue(why.get("list host processes").matches("(?s)[1-4] processes visible.*"), table);
    assertTrue(why.get("ptrace pid 1").contains("ptrace: Operation not permitted"), table);
    assertTrue(why.get("mount a filesystem").contains("mount: Operation not permitted"), table);
    assertEquals("1000\n", why.get("raise privileges"), table);
  }

  @Test
  void withAMemoryCapTheHogIsBlockedToo(@TempDir Path work) {
    List<AgentWorkspace.Outcome> outcomes;
    try {
      outcomes = AgentWorkspace.run(work, 128L << 20, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    } catch (SandboxException e) {
      // Without a cgroup this JVM may create (e.g. rootless without delegation) the jail is refused.
      assertTrue(e.getMessage().contains("cgroup"), e.getMessage());
      return;
    }
    AgentWorkspace.Outcome hog = outcomes.get(outcomes.size() - 1);
    assertTrue(hog.attempt().name().startsWith("use 512 MiB of memory"), hog.attempt().name());
    assertTrue(hog.result().oomKilled(), hog.result().toString());
    assertTrue(outcomes.stream().allMatch(AgentWorkspace.Outcome::asExpected));
  }

  @Test
  void aMemoryCapIsEnforcedOrTheRunIsRefused(@TempDir Path work) throws Exception {
    Path project = dev.boxkit.sandbox.SandboxDirectories.createWritable(work.resolve("project"));
    AgentJail jail = AgentJail.create(work, project, 64L << 20);
    try {
      ExecResult r = jail.run(AgentWorkspace.MEMORY_HOG);
      assertFalse(r.succeeded(), r.toString());
      assertTrue(r.oomKilled(), r.toString());
    } catch (SandboxException e) {
      // Where no cgroup can enforce the cap, the run is refused rather than left uncapped.
      assertTrue(e.getMessage().contains("cgroup"), e.getMessage());
    }
  }
}
