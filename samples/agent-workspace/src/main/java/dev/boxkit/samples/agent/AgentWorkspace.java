package dev.boxkit.samples.agent;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.SandboxException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An AI agent in a jail: the agent's legitimate work (writing in its project) succeeds, and each
 * escape attempt — reading host secrets, writing outside the project, reaching the network or a
 * host service, seeing or signalling host processes, ptrace, mount — fails.
 *
 * <p>Usage: {@code AgentWorkspace [WORKDIR] [--memory-mb N]} (default {@code target/agent} and a
 * 256 MiB memory cap; 0 for none). The cap needs a cgroup the JVM may create (root, or a
 * delegated cgroup v2 subtree): without one the jail is refused, exit status 2. Exit status 0
 * when the work succeeded and every attempt was blocked.
 */
public final class AgentWorkspace {
  /** A script that fills 512 MiB of memory. */
  public static final String MEMORY_HOG =
      "perl -e '$x = \"x\" x (512 * 1024 * 1024); print length($x), \" bytes\\n\"'";

  /**
   * One thing the agent tries.
   *
   * @param name what it tries
   * @param script the shell script; exit status 0 means it got through
   * @param escape true for an escape attempt (must fail), false for legitimate work (must succeed)
   */
  public record Attempt(String name, String script, boolean escape) {}

  /**
   * @param attempt what was tried
   * @param result how it ended
   */
  public record Outcome(Attempt attempt, ExecResult result) {
    /** @return whether the jail behaved: escapes failed, work succeeded */
    public boolean asExpected() {
      return attempt.escape() != result.succeeded();
    }
  }

  private AgentWorkspace() {}

  /**
   * @param args optional work directory, then optionally {@code --memory-mb N}
   */
  public static void main(String[] args) {
    Path work = Path.of(args.length > 0 && !args[0].startsWith("--") ? args[0] : "target/agent");
    long memoryMb = 256;
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals("--memory-mb")) {
        memoryMb = Long.parseLong(args[i + 1]);
      }
    }
    try {
      System.exit(run(work.toAbsolutePath(), memoryMb << 20, System.out).stream()
          .allMatch(Outcome::asExpected) ? 0 : 1);
    } catch (SandboxException e) {
      System.err.println("the jail could not be set up as asked: " + e.getMessage());
      System.exit(2);
    }
  }

  /**
   * @param hostPid a host process the agent tries to signal
   * @param hostPort a port on the host's loopback the agent tries to reach
   * @param hostHome the host home directory whose {@code .ssh} the agent tries to read
   * @param memoryBytes the jail's memory cap; when not 0 the agent also tries to use 512 MiB
   * @return the attempts, legitimate work first
   */
  public static List<Attempt> attempts(long hostPid, int hostPort, String hostHome, long memoryBytes) {
    String arch = System.getProperty("os.arch");
    // System call numbers: the jail's tools have no ptrace or mount program of their own.
    int ptrace = arch.equals("aarch64") ? 117 : 101;
    int mount = arch.equals("aarch64") ? 40 : 165;
    List<Attempt> all = new ArrayList<>(List.of(
        new Attempt("write a file in the project", "echo 'notes from the agent' > /project/NOTES.md && cat NOTES.md", false),
        new Attempt("read the host's /etc/shadow", "cat /etc/shadow", true),
        new Attempt("read the host's ~/.ssh", "ls -a " + hostHome + "/.ssh", true),
        new Attempt("write outside the project", "echo pwned > /pwned", true),
        new Attempt("climb out of the project", "cd /project/.. && echo pwned > escaped", true),
        new Attempt("reach the internet", "exec bash -c 'exec 3<>/dev/tcp/1.1.1.1/53'", true),
        new Attempt("reach a host service on 127.0.0.1:" + hostPort,
            "exec bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + hostPort + "'", true),
        new Attempt("signal the host JVM (pid " + hostPid + ")", "kill -0 " + hostPid, true),
        new Attempt("list host processes",
            "n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo \"$n processes visible\"; [ $n -gt 5 ]", true),
        new Attempt("ptrace pid 1",
            "perl -e 'syscall(" + ptrace + ", 16, 1, 0, 0) == 0 or die \"ptrace: $!\\n\"'", true),
        new Attempt("mount a filesystem", "perl -e 'my @a = (\"none\", \"/tmp\", \"tmpfs\"); syscall("
            + mount + ", $a[0], $a[1], $a[2], 0, 0) == 0 or die \"mount: $!\\n\"'", true),
        new Attempt("raise privileges", "id -u; [ \"$(id -u)\" = 0 ]", true)));
    if (memoryBytes > 0) {
      all.add(new Attempt("use 512 MiB of memory (cap " + (memoryBytes >> 20) + " MiB)", MEMORY_HOG, true));
    }
    return all;
  }

  /**
   * Creates {@code work/project}, builds the jail and runs every attempt, printing a table.
   *
   * @param work work directory (caches and the project)
   * @param memoryBytes memory cap in bytes, 0 for none
   * @param out where the table goes
   * @return each attempt's outcome
   * @throws SandboxException when the jail cannot be set up as asked (e.g. a memory cap
   *     without cgroup support)
   */
  public static List<Outcome> run(Path work, long memoryBytes, PrintStream out) {
    Path project = work.resolve("project");
    try {
      Files.createDirectories(project);
      Files.writeString(project.resolve("README.md"), "# a project the agent may change\n");
      if (Files.getAttribute(Path.of("/proc/self"), "unix:uid").equals(0)) {
        // A root JVM lets no sandbox write a tree the host root owns: the project is the agent's.
        for (Path p : List.of(project, project.resolve("README.md"))) {
          Files.setAttribute(p, "unix:uid", AgentJail.AGENT_ID);
          Files.setAttribute(p, "unix:gid", AgentJail.AGENT_ID);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("preparing " + project, e);
    }
    AgentJail jail = AgentJail.create(work, project, memoryBytes);
    List<Outcome> outcomes = new ArrayList<>();
    // A host service the agent must not reach: listening on the host's loopback.
    try (ServerSocket hostService = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      for (Attempt a : attempts(ProcessHandle.current().pid(), hostService.getLocalPort(),
          System.getProperty("user.home"), memoryBytes)) {
        ExecResult r = jail.run(a.script());
        Outcome o = new Outcome(a, r);
        outcomes.add(o);
        String why = (r.stdoutText() + r.stderrText()).strip().replace('\n', ' ')
            + (r.oomKilled() ? " (killed: out of memory)" : "");
        out.printf("%-45s %-8s %s%n", a.name(),
            a.escape() ? (r.succeeded() ? "ESCAPED" : "blocked") : (r.succeeded() ? "ok" : "FAILED"), why);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("opening the host service", e);
    }
    return outcomes;
  }
}
