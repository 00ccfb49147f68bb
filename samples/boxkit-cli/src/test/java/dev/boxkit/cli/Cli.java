package dev.boxkit.cli;

import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Test support: runs {@code boxkit} in this JVM or in a child JVM, capturing its output. */
final class Cli {
  private Cli() {}

  /**
   * What a run printed and returned.
   *
   * @param exitCode the exit status
   * @param out stdout
   * @param err stderr
   */
  record Result(int exitCode, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  /** Runs {@code args} in this JVM (a sandboxed program's own stdio still goes to the JVM's fds). */
  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BoxkitCommand.commandLine(new PrintWriter(out, true), new PrintWriter(err, true), args)
        .execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  /** Runs {@code java -cp <test class path> dev.boxkit.cli.Main args}, capturing all output. */
  static Result runInChildJvm(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    return exec(cmd);
  }

  /** Runs a command, capturing stdout and stderr (stdin is empty). */
  static Result exec(List<String> cmd) throws IOException, InterruptedException {
    Path errFile = java.nio.file.Files.createTempFile("boxkit-test-err", ".txt");
    try {
      Process p = new ProcessBuilder(cmd).redirectError(errFile.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(2, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new AssertionError("timed out: " + cmd);
      }
      return new Result(p.exitValue(), out, java.nio.file.Files.readString(errFile));
    } finally {
      java.nio.file.Files.deleteIfExists(errFile);
    }
  }

  /** Skips (fails under BOXKIT_REQUIRE_TOOLS=1) unless a sandbox provider can run here. */
  static void requireSandbox() {
    boolean usable = Sandbox.providers().stream().anyMatch(p -> p.unavailableReason().isEmpty());
    ExternalTools.requireHost(usable, "no usable sandbox provider: " + Sandbox.providers().stream()
        .map(p -> p.name() + ": " + p.unavailableReason().orElse("ok")).toList()
        + " (the Linux backend needs user namespaces, and gcc and libc6-dev at build time)");
  }
}
