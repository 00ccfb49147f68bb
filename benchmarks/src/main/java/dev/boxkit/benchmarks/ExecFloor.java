package dev.boxkit.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The floor under a pooled run of a program: {@code exec-floor.c} (built here with {@code cc})
 * keeps a child forked and waiting, and per {@link #round()} wakes it to exec the program and
 * waits for its exit, timing that in C. What a pooled sandbox run costs above it is the
 * sandbox's: the JVM's part, init's hop and the isolation the program runs under.
 */
final class ExecFloor implements AutoCloseable {
  private final Process process;
  private final OutputStream toFloor;
  private final BufferedReader fromFloor;

  private ExecFloor(Process process) {
    this.process = process;
    this.toFloor = process.getOutputStream();
    this.fromFloor = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
  }

  /**
   * @param program the program each round execs, e.g. {@code /bin/true}
   * @return the running floor, or null (with a line on stderr) when no C compiler {@code cc} is
   *     installed (Debian: {@code gcc})
   */
  static ExecFloor start(String program) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("boxkit-exec-floor");
    Path source = dir.resolve("exec-floor.c");
    Path binary = dir.resolve("exec-floor");
    try (InputStream in = ExecFloor.class.getResourceAsStream("exec-floor.c")) {
      Files.copy(in, source);
    }
    Process cc;
    try {
      cc = new ProcessBuilder("cc", "-O2", "-o", binary.toString(), source.toString())
          .redirectErrorStream(true).start();
    } catch (IOException e) {
      System.err.println("no C compiler (cc; Debian package gcc): the exec floor row is left out");
      return null;
    }
    String out = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (cc.waitFor() != 0) {
      throw new IOException("cc exec-floor.c failed: " + out);
    }
    binary.toFile().deleteOnExit();
    source.toFile().deleteOnExit();
    dir.toFile().deleteOnExit();
    return new ExecFloor(new ProcessBuilder(binary.toString(), program).redirectErrorStream(true).start());
  }

  /** @return ms from the write that wakes the waiting child to waitpid's return */
  double round() throws IOException {
    toFloor.write('\n');
    toFloor.flush();
    String line = fromFloor.readLine();
    if (line == null) {
      throw new IOException("exec-floor ended");
    }
    String[] f = line.split(" ");
    if (!f[1].equals("0")) {
      throw new IOException("exec-floor's program exited " + f[1]);
    }
    return Long.parseLong(f[0]) / 1e6;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    toFloor.close();
    process.waitFor();
  }
}
