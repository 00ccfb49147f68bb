package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.boxkit.oci.Digest;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The jar carries a helper per architecture, each matching its own recorded SHA-256 and built for
 * that machine, and each one runs: fed a plan with no steps (or a bad header) it reports the
 * expected error record on the status fd and exits 1. The host's runs natively, the other under
 * Debian's qemu-user-static ({@code qemu-aarch64-static} on x86_64).
 *
 * <p>Skipped, naming the package, where the cross compiler left the other architecture out or
 * qemu is absent; failed instead under {@code BOXKIT_REQUIRE_TOOLS=1}.
 */
class HelperArchTest {
  @TempDir Path tmp;

  private static String hostArch() {
    String a = System.getProperty("os.arch");
    return a.equals("amd64") || a.equals("x86_64") ? "x86_64" : a.equals("aarch64") || a.equals("arm64") ? "aarch64" : a;
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = HelperBinary.class.getResourceAsStream(name)) {
      return in == null ? null : in.readAllBytes();
    }
  }

  /** The bundled helper of {@code arch}, checked, or a skip/failure naming what to install. */
  private static byte[] helper(String arch) throws IOException {
    String res = "native/linux-" + arch + "/boxkit-init";
    byte[] bin = resource(res);
    byte[] sha = resource(res + ".sha256");
    String pkgs = arch.equals(hostArch()) ? "gcc libc6-dev"
        : arch.equals("aarch64") ? "gcc-aarch64-linux-gnu libc6-dev-arm64-cross" : "gcc-x86-64-linux-gnu libc6-dev-amd64-cross";
    ExternalTools.requireHost(bin != null && sha != null, "the build left out the linux-" + arch
        + " helper (" + res + "): install the Debian packages '" + pkgs + "' and rebuild");
    assertEquals(new String(sha, StandardCharsets.US_ASCII).trim(), Digest.sha256(bin).hex(),
        "recorded SHA-256 of " + res);
    ByteBuffer b = ByteBuffer.wrap(bin).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(0x464c457f, b.getInt(0), "ELF magic of " + res);
    assertEquals(2, bin[4], "64-bit ELF");
    assertEquals(arch.equals("x86_64") ? 62 : 183, b.getShort(18), "e_machine of " + res);
    return bin;
  }

  @ParameterizedTest
  @ValueSource(strings = {"x86_64", "aarch64"})
  void eachArchitecturesHelperRunsAndReportsABadPlan(String arch) throws Exception {
    byte[] bin = helper(arch);
    List<String> runner = new ArrayList<>();
    if (!arch.equals(hostArch())) {
      runner.add(ExternalTools.require("qemu-" + arch + "-static", "qemu-user-static").toString());
    }
    Path exe = Files.write(tmp.resolve("boxkit-init-" + arch), bin);
    Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("r-x------"));
    runner.add(exe.toString());

    // Magic "BXP1", zero bytes of steps: the helper reads it all, then finds no exec.
    Status empty = run(runner, new byte[] {'B', 'X', 'P', '1', 0, 0, 0, 0});
    assertEquals(1, empty.exit, "exit status");
    assertEquals(1, empty.type, "STATUS_ERROR");
    assertEquals(22, empty.errno, "EINVAL");
    assertEquals("none", empty.step);
    assertEquals("plan ended without exec", empty.message);

    Status bad = run(runner, new byte[] {'N', 'O', 'P', 'E', 0, 0, 0, 0});
    assertEquals(1, bad.exit);
    assertEquals(22, bad.errno);
    assertEquals("bad plan header", bad.message);
  }

  private record Status(int exit, int type, int errno, String step, String message) {}

  /** Runs the helper with the plan on fd 3 and the status records on fd 4, as Spawner does. */
  private Status run(List<String> command, byte[] plan) throws Exception {
    Path planFile = Files.write(tmp.resolve("plan"), plan);
    Path statusFile = tmp.resolve("status");
    List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", "exec \"$@\" 3<\"$PLAN\" 4>\"$STATUS\"", "sh"));
    cmd.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("PLAN", planFile.toString());
    pb.environment().put("STATUS", statusFile.toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(true, p.waitFor(60, TimeUnit.SECONDS), "helper finished; output: " + out);
    ByteBuffer r = ByteBuffer.wrap(Files.readAllBytes(statusFile)).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(true, r.remaining() >= 16, "a status record; helper output: " + out);
    int len = r.getInt();
    assertEquals(r.remaining(), len, "one record, length-prefixed");
    int type = r.getInt();
    r.getInt(); // op index
    int errno = r.getInt();
    String step = str(r);
    str(r); // path
    String message = str(r);
    assertNotNull(message);
    return new Status(p.exitValue(), type, errno, step, message);
  }

  private static String str(ByteBuffer r) {
    byte[] s = new byte[r.getInt()];
    r.get(s);
    return new String(s, StandardCharsets.UTF_8);
  }
}
