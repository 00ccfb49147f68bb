package dev.boxkit.oci.layer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Runs a real JVM with {@code SOURCE_DATE_EPOCH} in its environment, as a build tool would. */
class SourceDateEpochProcessTest {
  /** Builds a one-file layer with {@link LayerBuilder#create()} and prints the file's mtime. */
  public static void main(String[] args) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LayerBuilder.create().addFile("/a", new byte[0]).writeTo(out);
    long seconds = LayerReader.read(new ByteArrayInputStream(out.toByteArray())).entries().get(0)
        .mtime().getEpochSecond();
    System.out.print(seconds);
  }

  @Test
  void createHonoursTheEnvironmentVariable() throws Exception {
    assertEquals("1700000000", run("1700000000"));
    assertEquals("0", run(null));
  }

  private static String run(String sourceDateEpoch) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        SourceDateEpochProcessTest.class.getName());
    pb.environment().remove("SOURCE_DATE_EPOCH");
    if (sourceDateEpoch != null) {
      pb.environment().put("SOURCE_DATE_EPOCH", sourceDateEpoch);
    }
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8);
    assertEquals(0, p.waitFor(), out);
    return out.trim();
  }
}
