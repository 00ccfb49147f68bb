package dev.boxkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@code boxkit} launcher script runs the jar with the class-data sharing archive that the
 * package phase made: BoxKit's own classes come from the archive, not from the jar.
 */
class LauncherIT {
  private static Cli.Result launch(String javaOptions, String... args) throws Exception {
    Path jar = Path.of(System.getProperty("boxkit.jar", "target/boxkit.jar")).toAbsolutePath();
    Path launcher = jar.getParent().getParent().resolve("boxkit");
    assertTrue(Files.isExecutable(launcher), launcher + " is the CLI's launcher");
    assertTrue(Files.isRegularFile(jar.resolveSibling("boxkit.jsa")), "the package phase makes boxkit.jsa");
    // The java that made the archive (this JVM's), as JAVA_HOME; options through BOXKIT_JAVA_OPTS.
    List<String> cmd = new java.util.ArrayList<>(List.of("env",
        "JAVA_HOME=" + System.getProperty("java.home"), "BOXKIT_JAVA_OPTS=" + javaOptions,
        launcher.toString()));
    cmd.addAll(List.of(args));
    return Cli.exec(cmd);
  }

  @Test
  void runsTheJarWithTheArchiveMadeAtPackageTime() throws Exception {
    assumeFalse(Boolean.getBoolean("boxkit.cds.skip"), "built with -Dboxkit.cds.skip=true: no archive");
    Cli.Result r = launch("-Xlog:class+load=info", "--version");
    assertEquals(0, r.exitCode(), r.toString());
    assertTrue(r.out().contains("boxkit 0.1.0"), r.toString());
    assertTrue(r.out().contains("dev.boxkit.cli.Main source: shared objects file"), r.out());
    assertTrue(r.out().contains("picocli.CommandLine source: shared objects file"), r.out());
  }
}
