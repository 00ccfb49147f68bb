package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.seccomp.SeccompArch;
import dev.boxkit.sandbox.seccomp.SeccompFilter;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loads compiled programs into the real kernel, in a small C process (never into this JVM), and
 * checks what each system call returns under them.
 */
class SeccompKernelTest {
  private static final int EPERM = 1;
  private static final int ENOTTY = 25;
  private static final int ENOSYS = 38;
  private static final int EAFNOSUPPORT = 97;
  private static final int SIGSYS = 31;

  @TempDir
  static Path dir;
  private static Path tryer;

  @BeforeAll
  static void buildLoader() throws Exception {
    Path gcc = ExternalTools.require("gcc", "gcc");
    ExternalTools.requireHost(Files.exists(Path.of("/proc/sys/kernel/seccomp/actions_avail")),
        "the kernel lacks seccomp filters (CONFIG_SECCOMP_FILTER)");
    tryer = dir.resolve("seccomp_try");
    Result r = exec(List.of(gcc.toString(), "-O2", "-Wall", "-Wextra", "-Werror", "-pthread",
        "-o", tryer.toString(), Path.of("src/test/c/seccomp_try.c").toAbsolutePath().toString()));
    assertEquals(0, r.exit, "gcc: " + r.stderr);
  }

  @Test
  void defaultFilterLoadsAndDeniesInTheKernel() throws Exception {
    SeccompArch arch = SeccompArch.host();
    Path prog = dir.resolve("default.bpf");
    Files.write(prog, SeccompFilter.defaultDenyList().compile(arch));
    Result filtered = exec(List.of(tryer.toString(), prog.toString()));
    assertEquals(0, filtered.exit, "loader failed: " + filtered.stderr);
    Map<String, Integer> got = parse(filtered.stdout);
    Map<String, Integer> control = parse(exec(List.of(tryer.toString(), "--no-filter")).stdout);

    Map<String, Integer> want = new LinkedHashMap<>();
    want.put("getpid", 0);
    want.put("keyctl", EPERM);
    want.put("add_key", EPERM);
    want.put("clone3", ENOSYS);
    want.put("ioctl_tiocsti", EPERM);
    want.put("ioctl_tiocsti_high", EPERM);
    want.put("ioctl_tioclinux_high", EPERM);
    want.put("ioctl_tcgets", ENOTTY); // allowed: fails only because stdin is not a terminal
    want.put("io_uring_setup", ENOSYS);
    want.put("open_tree", ENOSYS);
    want.put("fsopen", ENOSYS);
    want.put("bpf", EPERM);
    want.put("perf_event_open", EPERM);
    want.put("kcmp", EPERM);
    want.put("personality_query", 0);
    want.put("socket_vsock", EAFNOSUPPORT);
    want.put("socket_unix", 0);
    if (arch == SeccompArch.X86_64) {
      want.put("x32_getpid", ENOSYS);
    }
    want.put("unshare_user", EPERM);
    want.put("unshare_files", EPERM);
    want.put("clone_newns", EPERM);
    want.put("clone_newuser", EPERM);
    want.put("clone_plain", 0);
    want.put("personality_no_aslr", EPERM);
    want.put("ptrace_traceme", EPERM);
    want.put("fork", 0);
    want.put("pthread_create", 0);
    assertEquals(want, got, "control run without a filter: " + control);

    // The control run shows the errnos come from the filter, not from the host or bad arguments.
    for (String call : List.of("add_key", "ioctl_tiocsti_high", "ioctl_tioclinux_high", "fsopen", "kcmp")) {
      assertNotEquals(want.get(call), control.get(call), call + " unfiltered: " + control);
    }
    assertEquals(ENOTTY, control.get("ioctl_tiocsti_high"));
  }

  @Test
  void programForAnotherArchitectureKillsTheProcess() throws Exception {
    SeccompArch other = SeccompArch.host() == SeccompArch.X86_64 ? SeccompArch.AARCH64 : SeccompArch.X86_64;
    Path prog = dir.resolve("other.bpf");
    Files.write(prog, SeccompFilter.defaultDenyList().compile(other));
    Result r = exec(List.of(tryer.toString(), prog.toString()));
    assertEquals(128 + SIGSYS, r.exit, "expected death by SIGSYS; stdout: " + r.stdout + " stderr: " + r.stderr);
    assertEquals("", r.stdout);
  }

  @Test
  void emptyFilterAllowsEverything() throws Exception {
    Path prog = dir.resolve("empty.bpf");
    Files.write(prog, SeccompFilter.builder().build().compile(SeccompArch.host()));
    Map<String, Integer> got = parse(exec(List.of(tryer.toString(), prog.toString())).stdout);
    Map<String, Integer> control = parse(exec(List.of(tryer.toString(), "--no-filter")).stdout);
    assertEquals(control.keySet(), got.keySet());
    assertTrue(got.size() > 20, got.toString());
    // Calls that change process state ran in children, so both runs see the same host.
    assertEquals(control, got);
  }

  private static Map<String, Integer> parse(String out) {
    Map<String, Integer> m = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      if (!line.isBlank()) {
        String[] f = line.trim().split(" ");
        m.put(f[0], Integer.parseInt(f[1]));
      }
    }
    return m;
  }

  private record Result(int exit, String stdout, String stderr) {}

  private static Result exec(List<String> cmd) throws IOException, InterruptedException {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process p = new ProcessBuilder(cmd)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectOutput(out.toFile())
        .redirectError(err.toFile())
        .start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + cmd);
    }
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }
}
