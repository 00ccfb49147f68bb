package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxSetupException;
import dev.boxkit.testing.ExternalTools;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rootless path (single-id maps written by the sandbox itself, no cgroup writes): when the
 * tests run as root, a child JVM runs {@link Main} as the unprivileged user {@code nobody}.
 */
class RootlessModeTest {
  @TempDir Path tmp;

  /** Checks printed as "name=value" lines, compared by the test. */
  public static final class Main {
    public static void main(String[] args) {
      ExecResult ids = Sandbox.builder().command("/bin/sh", "-c",
          "id -u; id -g; cat /proc/self/uid_map | tr -s ' '; grep CapEff /proc/self/status; readlink /proc/self/ns/user")
          .user(Long.parseLong(args[0]), 0).run();
      System.out.println("ids=" + ids.stdoutText().replace('\n', '|'));
      System.out.println("exit=" + Sandbox.builder().command("/bin/sh", "-c", "exit 5").run().exitCode());
      try {
        Sandbox.builder().command("/bin/true").limits(ResourceLimits.builder().memoryBytes(1 << 26).build()).run();
        System.out.println("cgroup=ran");
      } catch (SandboxSetupException e) {
        System.out.println("cgroup=" + e.step());
      }
      // An image root: overlayfs mounted in a user namespace an unprivileged user owns.
      Path work = Path.of(args[1]);
      dev.boxkit.image.Image image = dev.boxkit.image.Image.builder().cacheDir(work.resolve("store"))
          .layer(dev.boxkit.image.Layer.fromExecutables(Path.of("/bin/sh"), Path.of("/bin/cat"),
              Path.of("/usr/bin/id")))
          .entrypoint("/bin/sh", "-c").env("PATH", "/bin:/usr/bin").build();
      ExecResult img = Sandbox.builder().image(image)
          .root(dev.boxkit.sandbox.Rootfs.image(image).withCache(
              dev.boxkit.oci.unpack.RootfsCache.open(work.resolve("rootfs"))))
          .command("echo written > /new && cat /new && id -u").run();
      System.out.println("image=" + img.exitCode() + "|" + img.stdoutText().replace('\n', '|')
          + img.stderrText().replace('\n', '|'));
    }
  }

  @Test
  void unprivilegedUserGetsASandboxWithItsOwnIdMapped() throws Exception {
    Sandboxes.require();
    boolean root = LibC.INSTANCE.geteuid() == 0;
    // Not a missing tool: run as non-root, every other test here already takes the rootless path.
    Assumptions.assumeTrue(root, "only root can switch to an unprivileged user");
    Path runuser = ExternalTools.require("runuser", "util-linux");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    List<String> cp = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path p = Path.of(entry);
      if (Files.isRegularFile(p)) { // jars in a private Maven repository: copy them somewhere readable
        Path copy = tmp.resolve(cp.size() + "-" + p.getFileName());
        Files.copy(p, copy, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
        p = copy;
      }
      cp.add(p.toString());
    }
    String uid = "1234";
    Path work = Files.createDirectory(tmp.resolve("work"));
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxrwxrwx"));
    Process child = new ProcessBuilder(runuser.toString(), "-u", "nobody", "--",
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", String.join(":", cp),
        Main.class.getName(), uid, work.toString()).directory(tmp.toFile()).redirectErrorStream(true).start();
    String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, child.waitFor(), out);
    long nobody = Long.parseLong(new String(new ProcessBuilder("id", "-u", "nobody").start()
        .getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
    String hostUserNs = Files.readSymbolicLink(Path.of("/proc/self/ns/user")).toString();
    String[] ids = out.lines().filter(l -> l.startsWith("ids=")).findFirst().orElse("ids=").substring(4).split("\\|");
    assertEquals(5, ids.length, out);
    assertEquals(List.of(uid, "0", " " + uid + " " + nobody + " 1", "CapEff:\t0000000000000000"),
        List.of(ids).subList(0, 4), "inside uid/gid, the one-line map of nobody, no capabilities");
    assertEquals(false, ids[4].equals(hostUserNs), "own user namespace");
    assertEquals(true, out.contains("exit=5"), out);
    assertEquals(true, out.contains("cgroup=cgroup"), "limits without a writable cgroup fail closed: " + out);
    assertEquals(true, out.contains("image=0|written|0|"), "a writable image root without root: " + out);
  }
}
