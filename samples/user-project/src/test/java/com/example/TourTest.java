package com.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.SandboxSetupException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The README's tour, run as a user of the published artifacts would. */
class TourTest {
  @Test
  void theReadmeTourRuns() throws Exception {
    // The tour packs build/app into the image and runs /app/run from it.
    Path app = Files.createDirectories(Path.of("build/app"));
    Path run = app.resolve("run");
    Files.writeString(run, "#!/bin/sh\necho \"app $MODE $1 in $PWD\"\n");
    Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
    ExecResult r;
    try {
      r = Tour.run();
    } catch (SandboxSetupException e) {
      // What the README says next to the tour: the limits need root or a delegated cgroup.
      Assumptions.assumeFalse("cgroup".equals(e.step()) && !"root".equals(System.getProperty("user.name")),
          "the tour's memory/pids limits need root or a delegated cgroup (README): " + e.getMessage());
      throw e;
    }
    assertEquals(0, r.exitCode(), r.stderrText());
    assertTrue(r.stdoutText().equals("app prod --once in /data\n"), r.stdoutText());
    assertTrue(Files.isRegularFile(Path.of("out/layout/index.json")));
    assertTrue(Files.size(Path.of("out/app.tar")) > 0);
  }
}
