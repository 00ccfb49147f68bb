package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/build-kernel.sh refuses what it cannot build before downloading anything, and leaves
 * nothing behind. (The build itself, 4 minutes and Debian's kernel source, runs in CI's
 * {@code .ci/run}, whose VM tests then boot its kernel.) Each config file it applies sets only
 * options, one per line, in the {@code CONFIG_X=value} form its completeness check reads.
 */
class BuildKernelScriptTest {
  private static final Path SCRIPT = Path.of("scripts/build-kernel.sh");

  @TempDir Path tmp;

  private record Result(int exit, String output) {}

  private Result run(Map<String, String> env, String... args) throws IOException, InterruptedException {
    List<String> cmd = new java.util.ArrayList<>(List.of("sh", SCRIPT.toAbsolutePath().toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
    return new Result(p.exitValue(), out);
  }

  @Test
  void anUnknownArchitectureIsRefusedByName() throws Exception {
    Path dest = tmp.resolve("kernel");
    Result r = run(Map.of(), dest.toString(), "sparc64");
    assertEquals(1, r.exit(), r.output());
    assertTrue(r.output().contains("sparc64") && r.output().contains("expected x86_64 or aarch64"), r.output());
    assertFalse(Files.exists(dest));
  }

  @Test
  void aMissingToolIsNamedWithThePackagesToInstall() throws Exception {
    // Only what the script needs to get as far as its tool check.
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    for (String tool : List.of("sh", "dirname", "uname")) {
      Path host = List.of(Path.of("/bin", tool), Path.of("/usr/bin", tool)).stream().filter(Files::isExecutable)
          .findFirst().orElseThrow(() -> new IllegalStateException("no " + tool + " on this host"));
      Files.createSymbolicLink(bin.resolve(tool), host);
    }
    Path dest = tmp.resolve("kernel");
    Result r = run(Map.of("PATH", bin.toString()), dest.toString(), "x86_64");
    assertEquals(1, r.exit(), r.output());
    assertTrue(r.output().contains("apt-get not found") && r.output().contains("flex bison bc libelf-dev"), r.output());
    assertFalse(Files.exists(dest));
  }

  @Test
  void theConfigsHoldOnlyOptionLines() throws IOException {
    for (String arch : List.of("x86_64", "aarch64")) {
      List<String> lines = Files.readAllLines(Path.of("kernel/boxkit-" + arch + ".config"));
      for (String line : lines) {
        assertTrue(line.startsWith("#") || line.matches("CONFIG_[A-Z0-9_]+=(y|\"[^\" ]*\")"),
            arch + ": " + line);
      }
      assertTrue(lines.contains("CONFIG_VIRTIO_PCI=y") && lines.contains("CONFIG_VIRTIO_CONSOLE=y")
          && lines.contains("CONFIG_SECCOMP_FILTER=y"), arch + ": the drivers and features the guest needs");
    }
  }
}
