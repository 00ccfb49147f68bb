package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Stdio;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Availability messages, and the stdio kinds other than pipes. */
class ProviderTest {
  @TempDir Path tmp;

  private Path sysctl(String name, String value) throws IOException {
    Path f = tmp.resolve(name);
    Files.createDirectories(f.getParent());
    return Files.writeString(f, value + "\n");
  }

  @Test
  void disabledUserNamespacesAreExplainedWithTheFix() throws IOException {
    assertEquals(Optional.empty(), LinuxSandboxProvider.userNamespaceProblem(false, tmp));
    sysctl("kernel/apparmor_restrict_unprivileged_userns", "1");
    String apparmor = LinuxSandboxProvider.userNamespaceProblem(false, tmp).orElseThrow();
    assertTrue(apparmor.contains("sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"), apparmor);
    assertEquals(Optional.empty(), LinuxSandboxProvider.userNamespaceProblem(true, tmp), "root is not restricted");
    sysctl("kernel/unprivileged_userns_clone", "0");
    String debian = LinuxSandboxProvider.userNamespaceProblem(false, tmp).orElseThrow();
    assertTrue(debian.contains("sysctl -w kernel.unprivileged_userns_clone=1"), debian);
    sysctl("user/max_user_namespaces", "0");
    String all = LinuxSandboxProvider.userNamespaceProblem(true, tmp).orElseThrow();
    assertTrue(all.contains("user.max_user_namespaces=0"), all);
  }

  @Test
  void fileAndDiscardStdio() throws IOException {
    Path in = Files.writeString(tmp.resolve("in.txt"), "from a file\n");
    Path out = tmp.resolve("out.txt");
    ExecResult r = Sandboxes.sh("cat; echo to-stderr >&2").stdin(Stdio.file(in)).stdout(Stdio.file(out))
        .stderr(Stdio.discard()).run();
    assertEquals(0, r.exitCode());
    assertEquals("from a file\n", Files.readString(out));
    assertEquals(0, r.stdout().length);
    assertEquals(0, r.stderr().length);
  }

  @Test
  void extractedHelperRunsAndIsVerifiedBeforeEveryUse() throws IOException {
    Sandboxes.require();
    HelperBinary h = HelperBinary.extracted(tmp.resolve("cache"));
    Path file = Path.of(h.execPath());
    assertTrue(file.startsWith(tmp.resolve("cache").resolve(h.digest().hex())), file.toString());
    dev.boxkit.sandbox.SandboxSpec spec = Sandboxes.sh("echo via-file").build();
    LinuxSandboxProcess p = LinuxSandboxProcess.launch(h, spec,
        PlanCompiler.compile(spec, LibC.INSTANCE.geteuid(), LibC.INSTANCE.getegid(), Optional.empty()),
        SandboxResources.NONE);
    assertEquals("via-file\n", new String(p.stdout().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    assertEquals(0, p.startWaiter().waitFor().exitCode());
    Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    Files.write(file, new byte[] {0}, java.nio.file.StandardOpenOption.APPEND);
    dev.boxkit.sandbox.SandboxException e = org.junit.jupiter.api.Assertions.assertThrows(
        dev.boxkit.sandbox.SandboxException.class, h::execPath);
    assertTrue(e.getMessage().contains("was modified"), e.getMessage());
    assertEquals(file, Path.of(HelperBinary.extracted(tmp.resolve("cache")).execPath()), "a bad copy is replaced");
  }

  @Test
  void extractedHelperRefusesACacheEntryOthersCanWrite() throws IOException {
    Sandboxes.require();
    Path cache = tmp.resolve("shared");
    String hex = HelperBinary.extracted(cache).digest().hex();
    Path entry = cache.resolve(hex);
    Files.setPosixFilePermissions(entry, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    dev.boxkit.sandbox.SandboxException e = org.junit.jupiter.api.Assertions.assertThrows(
        dev.boxkit.sandbox.SandboxException.class, () -> HelperBinary.extracted(cache));
    assertTrue(e.getMessage().contains(entry.toString()) && e.getMessage().contains("777"), e.getMessage());

    Path linked = tmp.resolve("linked");
    Files.createDirectories(linked);
    Files.createSymbolicLink(linked.resolve(hex), entry);
    Files.setPosixFilePermissions(entry, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    e = org.junit.jupiter.api.Assertions.assertThrows(
        dev.boxkit.sandbox.SandboxException.class, () -> HelperBinary.extracted(linked));
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
  }

  @Test
  void helperIsSealedAndVerified() {
    Sandboxes.require();
    HelperBinary h = HelperBinary.load();
    assertEquals("sha256", h.digest().algorithm());
    ExecResult r = Sandboxes.run("ls -l /proc/1/exe 2>&1; echo x >> /proc/1/exe 2>&1; echo rc=$?");
    assertTrue(r.stdoutText().contains("rc=1") || r.stdoutText().contains("rc=2"), "init's executable must not be writable: " + r.stdoutText());
  }
}
