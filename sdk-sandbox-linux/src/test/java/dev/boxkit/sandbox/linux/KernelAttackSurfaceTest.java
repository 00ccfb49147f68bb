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

  @BeforeAll
  static void probeInsideASandbox() throws Exception {
    Path gcc = ExternalTools.require("gcc", "gcc");
    Process cc = new ProcessBuilder(gcc.toString(), "-O2", "-pthread", "-o", bin.resolve("try").toString(),
        Path.of("src/test/c/seccomp_try.c").toAbsolutePath().toString()).inheritIO().start();
    assertEquals(0, cc.waitFor(), "gcc failed");
    ExecResult r = Sandboxes.sh("/mnt/try --no-filter").mount(Mount.bind(bin, "/mnt")).run();
    assertEquals(0, r.exitCode(), r.stderrText());
    inside = new HashMap<>();
    r.stdoutText().lines().map(l -> l.split(" ")).forEach(f -> inside.put(f[0], Integer.parseInt(f[1])));
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
  void moduleLoadingAndPtraceOfInitFail() {
    ExecResult r = Sandboxes.run("insmod /nonexistent.ko 2>&1; modprobe -n dummy 2>&1; echo;"
        + " cat /proc/1/environ 2>&1 | head -c 100; echo; ls -l /proc/1/exe 2>&1 | grep -c boxkit");
    assertTrue(r.stdoutText().contains("ermission denied") || r.stdoutText().contains("not permitted")
        || r.stdoutText().contains("not found"), r.stdoutText());
    assertTrue(!r.stdoutText().contains("PATH="), "init's environment is readable: " + r.stdoutText());
  }
}
