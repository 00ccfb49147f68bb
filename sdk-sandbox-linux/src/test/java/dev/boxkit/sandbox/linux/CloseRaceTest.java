package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.Stdio;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Closing a sandbox the moment it starts must end it: the monitor can be killed before the
 * sandbox's init has armed its parent-death signal, and init must still notice (the lifeline
 * pipe) rather than run on, re-parented to the host's init, with the close waiting forever.
 */
class CloseRaceTest {

  @Test
  @Timeout(120)
  void closeRightAfterStartLeavesNothingRunning() throws Exception {
    String marker = "boxkit-close-race-" + UUID.randomUUID();
    for (int i = 0; i < 150; i++) {
      SandboxProcess p = Sandboxes.sh("sleep 600 & sleep 600 & wait")
          .argv(List.of("/bin/sh", "-c", "sleep 600 & sleep 600 & wait", marker))
          .stdout(Stdio.pipe()).stderr(Stdio.pipe()).start();
      CompletableFuture<Void> closed = CompletableFuture.runAsync(p::close);
      closed.get(20, TimeUnit.SECONDS); // a hang here is the bug
    }
    // Processes killed by the close may take a moment to be reaped by the kernel.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    List<String> left = withMarker(marker);
    while (!left.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(50);
      left = withMarker(marker);
    }
    assertEquals(List.of(), left, "sandboxed processes outlived close()");
  }

  private static List<String> withMarker(String marker) throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) procs::iterator) {
        if (!p.getFileName().toString().chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
          String state = Files.readString(p.resolve("stat"));
          boolean zombie = state.substring(state.lastIndexOf(')') + 2).startsWith("Z");
          if (cmd.contains(marker) && !zombie) {
            found.add(p.getFileName() + ": " + cmd.replace('\0', ' '));
          }
        } catch (IOException e) {
          // the process ended while being read
        }
      }
    }
    return found;
  }
}
