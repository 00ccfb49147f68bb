package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a sandbox writes into host trees must never give it the host: no set-id file, no file
 * capability, no file owned by the host's root (unless the caller asked for host identity).
 * Each attempt is made the way an attacker would, from inside, by a compiled prober trying every
 * call that sets a mode; the host tree is then inspected from outside. Runs as root and (in CI)
 * again as an unprivileged user, where the set-id rule matters just as much: a setuid file of
 * the JVM's user would let any other host user act as that user.
 */
class SandboxWrittenFilesTest {
  private static final int S_ISUID = 04000;
  private static final int S_ISGID = 02000;
  private static final long SHIFTED = PlanCompiler.SHIFTED_BASE;

  @TempDir static Path bin;
  @TempDir Path tmp;

  @BeforeAll
  static void compileProber() throws Exception {
    Path gcc = ExternalTools.require("gcc", "gcc");
    Process cc = new ProcessBuilder(gcc.toString(), "-O2", "-o", bin.resolve("setid").toString(),
        Path.of("src/test/c/setid_try.c").toAbsolutePath().toString()).inheritIO().start();
    assertEquals(0, cc.waitFor(), "gcc failed");
  }

  private static boolean root() {
    return LibC.INSTANCE.geteuid() == 0;
  }

  /** A writable directory for the sandbox: an unprivileged user's when the JVM is root. */
  private Path workspace(String name, int owner) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve(name));
    if (root()) {
      Files.setAttribute(dir, "unix:uid", owner);
      Files.setAttribute(dir, "unix:gid", owner);
    }
    return dir;
  }

  /** Runs the prober, bound at {@code at}, on {@code dir} inside. */
  private static Map<String, Integer> probe(SandboxSpec.Builder b, String at, String dir) {
    ExecResult r = b.command(at + "/setid", dir).mount(Mount.bind(bin, at)).run();
    assertEquals(0, r.exitCode(), r.stderrText());
    Map<String, Integer> out = new HashMap<>();
    r.stdoutText().lines().map(l -> l.split(" ")).forEach(f -> out.put(f[0], Integer.parseInt(f[1])));
    return out;
  }

  private static void assertNoSetIdFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.toList()) {
        int mode = (Integer) Files.getAttribute(f, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        assertEquals(0, mode & (S_ISUID | S_ISGID), f + " has mode " + Integer.toOctalString(mode));
      }
    }
  }

  private static void assertNoRootOwnedFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(f -> !f.equals(dir)).toList()) {
        assertNotEquals(0, Files.getAttribute(f, "unix:uid", LinkOption.NOFOLLOW_LINKS), f + " is root's");
        assertNotEquals(0, Files.getAttribute(f, "unix:gid", LinkOption.NOFOLLOW_LINKS), f + " is root's group");
      }
    }
  }

  private static final List<String> SET_ID_CALLS = List.of("chmod_4755", "chmod_2755", "chmod_6755",
      "chmod_high_bits", "fchmod", "fchmodat", "fchmodat2", "chmod_proc_fd", "open_creat",
      "openat_creat", "creat", "mknod_reg", "mknodat_reg", "o_tmpfile");

  private static void assertSetIdRefused(Map<String, Integer> calls) {
    for (String call : SET_ID_CALLS) {
      assertEquals(1, calls.get(call), call + " must fail with EPERM: " + calls);
    }
    assertEquals(38, calls.get("openat2_creat"), "openat2 is ENOSYS (its mode is out of the filter's reach)");
    assertNotEquals(0, calls.get("setxattr_capability"), "no file capability: " + calls);
    assertEquals(0, calls.get("chmod_plain"), "ordinary modes still work: " + calls);
    assertEquals(0, calls.get("open_plain"), "ordinary creation still works: " + calls);
  }

  @Test
  void noSetIdFileOrCapabilityThroughAWritableBind() throws IOException {
    Sandboxes.require();
    Path w = workspace("w", 1000);
    Map<String, Integer> calls = probe(Sandboxes.sh("").mount(Mount.bind(w, "/srv").readWrite()), "/opt", "/srv");
    assertSetIdRefused(calls);
    assertNoSetIdFiles(w);
    assertNoRootOwnedFiles(w);
    assertTrue(Files.exists(w.resolve("open_plain")), "the program did write there");
  }

  @Test
  void noSetIdFileThroughAWritableDirectoryRoot() throws IOException {
    Sandboxes.require();
    Path root = workspace("root", 1000);
    MiniRoot.create(root);
    Map<String, Integer> calls = probe(SandboxSpec.builder().root(new Rootfs.Directory(root, true))
        .env("PATH", "/bin:/usr/bin").mounts(List.of(Mount.bind(Path.of("/usr"), "/usr"),
            Mount.tmpfs("/tmp", 1 << 20))), "/data", "/");
    assertSetIdRefused(calls);
    assertNoSetIdFiles(root);
  }

  @Test
  void noSetIdFileWithHostIdentityEither() throws IOException {
    Sandboxes.require();
    assumeTrue(root(), "host identity mapping needs a root JVM");
    Path w = workspace("w", 0);
    Map<String, Integer> calls = probe(Sandboxes.sh("").hostIdentityMapping()
        .mount(Mount.bind(w, "/srv").readWrite()), "/opt", "/srv");
    assertSetIdRefused(calls);
    assertNoSetIdFiles(w);
  }

  @Test
  void aShellCannotLeaveASetuidCopyOfAProgram() throws IOException {
    Sandboxes.require();
    Path w = workspace("w", 1000);
    ExecResult r = Sandboxes.sh("cp /bin/sh /srv/x; chmod 6755 /srv/x; chmod u+s /srv/x; chmod g+s /srv/x;"
        + " install -m 4755 /bin/sh /srv/y; ls -ln /rw").mount(Mount.bind(w, "/srv").readWrite()).run();
    assertTrue(r.stderrText().contains("Operation not permitted"), r.stderrText());
    assertNoSetIdFiles(w);
    assertTrue(Files.isRegularFile(w.resolve("x")), "the copy itself is allowed");
  }

  @Test
  void writesLandAsTheBindOwnerNeverAsHostRoot() throws IOException {
    Sandboxes.require();
    assumeTrue(root(), "ownership mapping applies to a root JVM (without root the map has one id)");
    Path w = workspace("w", 1234);
    Files.writeString(w.resolve("theirs"), "owned by 1234");
    Files.setAttribute(w.resolve("theirs"), "unix:uid", 1234);
    Files.setAttribute(w.resolve("theirs"), "unix:gid", 1234);
    Path rootOwned = Files.writeString(w.resolve("roots"), "owned by root");
    ExecResult r = Sandboxes.sh("stat -c '%u %g' /srv/theirs /srv/roots; echo ok >> /srv/theirs;"
        + " mkdir /srv/d; echo new > /srv/d/f; echo x >> /srv/roots")
        .mount(Mount.bind(w, "/srv").readWrite()).run();
    String[] owners = r.stdoutText().split("\n");
    assertEquals("0 0", owners[0], "the bind owner's files are the program's own inside");
    assertEquals("65534 65534", owners[1], "host root's files are nobody's inside");
    assertTrue(r.stderrText().contains("Permission denied"), "root's file stays root's: " + r.stderrText());
    assertEquals("owned by root", Files.readString(rootOwned));
    assertEquals("owned by 1234ok\n", Files.readString(w.resolve("theirs")));
    for (Path f : List.of(w.resolve("d"), w.resolve("d/f"))) {
      assertEquals(1234, Files.getAttribute(f, "unix:uid", LinkOption.NOFOLLOW_LINKS), f.toString());
      assertEquals(1234, Files.getAttribute(f, "unix:gid", LinkOption.NOFOLLOW_LINKS), f.toString());
    }
  }

  @Test
  void anotherInsideUserWritesAsAShiftedId() throws IOException {
    Sandboxes.require();
    assumeTrue(root(), "ownership mapping applies to a root JVM");
    Path w = workspace("w", 1234);
    Files.setPosixFilePermissions(w, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    ExecResult r = Sandboxes.sh("echo a > /srv/as-program").user(1000, 1000)
        .mount(Mount.bind(w, "/srv").readWrite()).run();
    assertEquals(0, r.exitCode(), r.stderrText());
    assertEquals(1234, Files.getAttribute(w.resolve("as-program"), "unix:uid"),
        "the program's uid, whatever it is inside, writes as the bind's owner");
  }

  @Test
  void rootOwnedWritableTreesAreRefused() throws IOException {
    Sandboxes.require();
    assumeTrue(root(), "applies to a root JVM");
    Path w = workspace("w", 0);
    Files.setAttribute(w, "unix:mode", 01777); // even one anybody may write
    InvalidSandboxSpecException e = assertThrows(InvalidSandboxSpecException.class,
        () -> Sandboxes.sh("true").mount(Mount.bind(w, "/srv").readWrite()).run());
    assertEquals("mount.source", e.field());
    assertTrue(e.getMessage().contains("host's root"), e.getMessage());
    Path rootGroup = workspace("g", 1000);
    Files.setAttribute(rootGroup, "unix:gid", 0);
    assertEquals("mount.source", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandboxes.sh("true").mount(Mount.bind(rootGroup, "/srv").readWrite()).run()).field());
    Path dirRoot = MiniRoot.create(tmp.resolve("rootfs"));
    assertEquals("root.path", assertThrows(InvalidSandboxSpecException.class,
        () -> SandboxSpec.builder().root(new Rootfs.Directory(dirRoot, true)).command("true").run()).field());
    assertEquals(0, Sandboxes.sh("cat /srv/x 2>/dev/null; true").mount(Mount.bind(w, "/srv")).run().exitCode(),
        "read-only binds of root's trees are fine");
    assertEquals(0, Sandboxes.sh("echo x > /srv/f").hostIdentityMapping()
        .mount(Mount.bind(w, "/srv").readWrite()).run().exitCode(), "the caller may opt in");
    assertEquals(0, Files.getAttribute(w.resolve("f"), "unix:uid"), "and then writes are root's");
  }

  @Test
  void deviceNodesAreReadOnlyBindsThatStillWork() {
    Sandboxes.require();
    SandboxSpec.Builder b = Sandboxes.sh("echo x > /dev/null && echo WROTE; head -c 4 /dev/urandom | wc -c;"
        + " chmod 000 /dev/null; chown 1:1 /dev/zero; touch /dev/tty; stat -c %a /dev/null");
    if (root()) {
      b.hostIdentityMapping(); // uid 0 inside owns the host's nodes here: the strongest case
    }
    ExecResult r = b.run();
    assertTrue(r.stdoutText().startsWith("WROTE\n4\n"), r.stdoutText() + r.stderrText());
    assertTrue(r.stderrText().contains("Read-only file system"), r.stderrText());
    assertEquals("666", r.stdoutText().strip().substring(r.stdoutText().strip().lastIndexOf('\n') + 1));
    assertEquals("rw-rw-rw-", java.nio.file.attribute.PosixFilePermissions.toString(uncheckedPerms(Path.of("/dev/null"))));
  }

  private static java.util.Set<java.nio.file.attribute.PosixFilePermission> uncheckedPerms(Path p) {
    try {
      return Files.getPosixFilePermissions(p);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
