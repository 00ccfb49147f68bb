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
    // A jlinked runtime + its ELF closure, no base image: java runs in the sandbox.
    boolean jmods = java.nio.file.Files.isDirectory(Path.of(System.getProperty("java.home"), "jmods"));
    if (!jmods && !"1".equals(System.getenv("BOXKIT_REQUIRE_TOOLS"))) {
      assertTrue(out.contains("skipping the Java image"), out);
      return;
    }
    assertTrue(out.contains("$ java -version\nopenjdk version \""), out);
    assertTrue(out.contains("Hello from Java " + Runtime.version().feature()), out);
    assertTrue(out.contains("in a sandbox: pid 2, user app"), out);
  }
}
