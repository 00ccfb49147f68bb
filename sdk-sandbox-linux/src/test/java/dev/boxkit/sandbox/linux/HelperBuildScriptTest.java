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
 * Compilers are "missing" here by pointing CC / CC_&lt;arch&gt; at a name that does not exist. With
 * musl-gcc installed the host's helper is linked against musl (MUSL_CC=none: glibc).
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

  /** glibc's static start-up reads its tunables from this variable; musl has no such string. */
  private boolean linkedAgainstGlibc(String arch) throws IOException {
    byte[] b = Files.readAllBytes(out.resolve("dev/boxkit/sandbox/linux/native/linux-" + arch + "/boxkit-init"));
    return new String(b, StandardCharsets.ISO_8859_1).contains("GLIBC_TUNABLES");
  }

  @Test
  void theHostsHelperIsLinkedAgainstMuslWhenItIsInstalledAndGlibcOtherwise() throws Exception {
    ExternalTools.require("gcc", "gcc");
    ExternalTools.require("musl-gcc", "musl-tools");
    Result musl = build("host", Map.of("CC_" + other, "/nonexistent/cross-gcc"));
    assertEquals(0, musl.exit(), musl.output());
    assertTrue(musl.output().contains("linux-" + host + ": musl-gcc (musl)"), musl.output());
    assertFalse(linkedAgainstGlibc(host), "a musl binary");

    Result glibc = build("host", Map.of("CC_" + other, "/nonexistent/cross-gcc", "MUSL_CC", "none"));
    assertEquals(0, glibc.exit(), glibc.output());
    assertTrue(glibc.output().contains("linux-" + host + ": gcc, sha256"), glibc.output());
    assertTrue(linkedAgainstGlibc(host), "MUSL_CC=none keeps glibc");
  }

  @Test
  void aSourceMuslCannotBuildFallsBackToGlibcWithANote() throws Exception {
    ExternalTools.require("gcc", "gcc");
    // A "musl" that links the script's probe but fails on the real source.
    Path fake = Files.writeString(out.resolve("fake-musl"),
        "#!/bin/sh\ncase \"$*\" in *boxkit-init.c*) echo 'error: no such header' >&2; exit 1;; esac\nexec gcc \"$@\"\n");
    assertTrue(fake.toFile().setExecutable(true));
    Result r = build("host", Map.of("CC_" + other, "/nonexistent/cross-gcc", "MUSL_CC", fake.toString()));
    assertEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("NOTE") && r.output().contains("glibc instead") && r.output().contains("no such header"),
        r.output());
    assertTrue(built(host) && linkedAgainstGlibc(host), "the glibc helper");
  }

  @Test
  void anUnknownModeFails() throws Exception {
    Result r = build("sometimes", Map.of());
    assertEquals(1, r.exit(), r.output());
    assertTrue(r.output().contains("expected host, all or none-ok"), r.output());
  }
}
