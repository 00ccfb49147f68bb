package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * build-static.sh (run by the build at generate-resources, -Dboxkit.native=host|all|none-ok):
 * no C compiler fails the build rather than make a jar that cannot run sandboxes; a missing cross
 * compiler only warns, naming the Debian packages, unless both architectures are required.
 * Compilers are "missing" here by pointing CC / CC_&lt;arch&gt; at a name that does not exist.
 */
class HelperBuildScriptTest {
  private static final Path SCRIPT = Path.of("src/main/c/build-static.sh");
  private static final Path SOURCE = Path.of("src/main/c/boxkit-init.c");

  @TempDir Path out;
  private String host;
  private String other;

  @BeforeEach
  void arches() {
    String a = System.getProperty("os.arch");
    host = a.equals("aarch64") || a.equals("arm64") ? "aarch64" : "x86_64";
    other = host.equals("x86_64") ? "aarch64" : "x86_64";
  }

  private record Result(int exit, String output) {}

  private Result build(String mode, Map<String, String> env) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder("sh", SCRIPT.toString(), "boxkit-init",
        "dev/boxkit/sandbox/linux/native", "native sandbox helper", SOURCE.toString(), out.toString(), mode)
        .redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), output);
    return new Result(p.exitValue(), output);
  }

  private boolean built(String arch) {
    Path dir = out.resolve("dev/boxkit/sandbox/linux/native/linux-" + arch);
    return Files.isRegularFile(dir.resolve("boxkit-init")) && Files.isRegularFile(dir.resolve("boxkit-init.sha256"));
  }

  @Test
  void noCompilerForTheHostFailsTheBuildNamingThePackages() throws Exception {
    Result r = build("host", Map.of("CC", "/nonexistent/gcc", "CC_" + other, "/nonexistent/cross-gcc"));
    assertEquals(1, r.exit(), r.output());
    assertTrue(r.output().contains("ERROR") && r.output().contains("apt-get install gcc libc6-dev"), r.output());
    assertTrue(r.output().contains("-Dboxkit.native=none-ok"), r.output());
    assertFalse(built(host), "nothing for the host");
  }

  @Test
  void noneOkBuildsNothingWithAWarning() throws Exception {
    Result r = build("none-ok", Map.of("CC", "/nonexistent/gcc", "CC_" + other, "/nonexistent/cross-gcc"));
    assertEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("WARNING"), r.output());
    assertFalse(built(host) || built(other));
  }

  @Test
  void aMissingCrossCompilerWarnsUnlessBothArchitecturesAreRequired() throws Exception {
    ExternalTools.require("gcc", "gcc");
    String pkg = other.equals("aarch64") ? "gcc-aarch64-linux-gnu libc6-dev-arm64-cross" : "gcc-x86-64-linux-gnu libc6-dev-amd64-cross";
    Result host = build("host", Map.of("CC_" + other, "/nonexistent/cross-gcc"));
    assertEquals(0, host.exit(), host.output());
    assertTrue(host.output().contains("WARNING") && host.output().contains(pkg), host.output());
    assertTrue(built(this.host), "the host's helper");
    assertFalse(built(other), "no " + other + " helper, and none left from before");

    Result all = build("all", Map.of("CC_" + other, "/nonexistent/cross-gcc"));
    assertEquals(1, all.exit(), all.output());
    assertTrue(all.output().contains("ERROR") && all.output().contains(pkg), all.output());
  }

  @Test
  void anUnknownModeFails() throws Exception {
    Result r = build("sometimes", Map.of());
    assertEquals(1, r.exit(), r.output());
    assertTrue(r.output().contains("expected host, all or none-ok"), r.output());
  }
}
