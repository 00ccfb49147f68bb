package dev.boxkit.samples.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's main job: build an image, run a sandbox from it, see the isolation hold. */
class QuickstartTest {
  @Test
  void buildsAndRunsInAnIsolatedSandbox(@TempDir Path work) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int exit = Quickstart.run(work, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(0, exit, out);
    assertTrue(out.contains("Hello from a BoxKit sandbox"), out);
    assertTrue(out.contains("uid=1000 host=sandbox pid="), out);
    assertTrue(out.contains("network interfaces: lo \n"), out);
    assertTrue(out.contains("host /etc/shadow: not there"), out);
    assertTrue(out.contains("/app is read-only for uid 1000"), out);
    assertTrue(out.contains("home is writable: note"), out);
    assertTrue(out.contains("/tmp is writable: scratch"), out);
  }
}
