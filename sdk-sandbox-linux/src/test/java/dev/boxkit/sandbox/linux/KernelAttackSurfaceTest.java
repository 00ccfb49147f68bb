package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.testing.ExternalTools;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seccomp filter is really loaded in every sandbox: the project's syscall prober, run inside
 * without a filter of its own, sees the default deny list's answers.
 */
class KernelAttackSurfaceTest {
  @TempDir static Path bin;
  static Map<String, Integer> inside;
  static Map<String, Integer> escapes;

  @BeforeAll
  static void probeInsideASandbox() throws Exception {
    Path gcc = ExternalTools.require("gcc", "gcc");
    Process cc = new ProcessBuilder(gcc.toString(), "-O2", "-pthread", "-o", bin.resolve("try").toString(),
        Path.of("src/test/c/seccomp_try.c").toAbsolutePath().toString()).inheritIO().start();
    assertEquals(0, cc.waitFor(), "gcc failed");
    Process cc2 = new ProcessBuilder(gcc.toString(), "-O2", "-o", bin.resolve("escape").toString(),
        Path.of("src/test/c/escape_try.c").toAbsolutePath().toString()).inheritIO().start();
    assertEquals(0, cc2.waitFor(), "gcc failed");
    inside = probe("/mnt/try --no-filter");
    escapes = probe("/mnt/escape");
  }

  private static Map<String, Integer> probe(String command) {
    ExecResult r = Sandboxes.sh(command).mount(Mount.bind(bin, "/mnt")).run();
    assertEquals(0, r.exitCode(), r.stderrText());
    Map<String, Integer> out = new HashMap<>();
    r.stdoutText().lines().map(l -> l.split(" ")).forEach(f -> out.put(f[0], Integer.parseInt(f[1])));
    return out;
  }

  private static final int EPERM = 1;
  private static final int ENOSYS = 38;

  @Test
  void namespaceCreationIsDenied() {
    for (String call : List.of("unshare_user", "clone_newns", "clone_newuser")) {
      assertEquals(EPERM, inside.get(call), call + " " + inside);
    }
  }

  @Test
  void kernelInterfacesAreDenied() {
    for (String call : List.of("keyctl", "add_key", "bpf", "perf_event_open", "ptrace_traceme",
        "ioctl_tiocsti", "ioctl_tiocsti_high", "ioctl_tioclinux_high", "personality_no_aslr")) {
      assertEquals(EPERM, inside.get(call), call + " " + inside);
    }
    for (String call : List.of("clone3", "open_tree", "fsopen", "io_uring_setup")) {
      assertEquals(ENOSYS, inside.get(call), call + " " + inside);
    }
  }

  @Test
  void ordinaryCallsStillWork() {
    for (String call : List.of("getpid", "fork", "clone_plain", "pthread_create", "socket_unix")) {
      assertEquals(0, inside.get(call), call + " " + inside);
    }
  }

  @Test
  void modulesPtraceRebootSwapMountsAndHandlesAreDenied() {
    // The prober's arguments make the kernel itself fail with ENOENT/EBADF/ESRCH/EINVAL: EPERM
    // shows the sandbox refused first.
    assertEquals(0, escapes.remove("getppid"), escapes.toString());
    assertEquals(13, escapes.size(), escapes.toString());
    escapes.forEach((call, errno) -> assertEquals(EPERM, errno, call));
  }
}
