package dev.boxkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Digest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shaded {@code target/boxkit.jar}, run as {@code java -jar}, the way the launcher runs it. */
class BoxkitJarIT {
  @TempDir Path tmp;

  private Cli.Result boxkit(String... args) throws Exception {
    Path jar = Path.of(System.getProperty("boxkit.jar", "target/boxkit.jar"));
    assertTrue(Files.isRegularFile(jar), jar + " is built by the package phase");
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
    cmd.addAll(Arrays.asList(args));
    return Cli.exec(cmd);
  }

  @Test
  void buildsAnImageAndRunsItWithTheProviderFoundThroughServiceLoader() throws Exception {
    Cli.Result version = boxkit("--version");
    assertEquals(0, version.exitCode(), version.toString());
    assertTrue(version.out().startsWith("boxkit "), version.toString());

    String image = "oci:" + tmp.resolve("layout") + ":sh";
    Cli.Result build = boxkit("build", "--cache-dir", tmp.resolve("store").toString(), "-q",
        "--executables", "/bin/sh", "--entrypoint", "/bin/sh", "--output", image);
    assertEquals(0, build.exitCode(), build.toString());
    Digest.parse(build.out().strip());

    Cli.requireSandbox();
    Cli.Result run = boxkit("run", "--cache-dir", tmp.resolve("rootfs").toString(), "--image", image,
        "--", "-c", "echo hi; exit 5");
    assertEquals(5, run.exitCode(), run.toString());
    assertEquals("hi\n", run.out());
  }
}
