package dev.boxkit.samples.quickstart;

import dev.boxkit.image.Image;
import dev.boxkit.image.Layer;
import dev.boxkit.image.OciLayoutTarget;
import dev.boxkit.oci.ContainerConfig;
import dev.boxkit.oci.layer.EntryAttributes;
import dev.boxkit.oci.layer.FileMode;
import dev.boxkit.oci.unpack.CachedRootfs;
import dev.boxkit.oci.unpack.RootfsCache;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.NetworkMode;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxSpec;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a small image with no base image — a shell, a few tools and a script, found on the host
 * with their shared libraries — writes it as an OCI layout, then runs it in a sandbox with no
 * network, a memory cap and nothing of the host but what the image holds.
 *
 * <p>Usage: {@code Quickstart [WORKDIR]} (default {@code target/quickstart}). Exit status is the
 * sandboxed program's.
 */
public final class Quickstart {
  private static final String SCRIPT = String.join("\n",
      "#!/bin/sh",
      "echo \"$GREETING from a BoxKit sandbox\"",
      "echo \"uid=$(id -u) host=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname) pid=$$\"",
      "echo \"/ holds: $(ls / | tr '\\n' ' ')\"",
      "echo \"network interfaces: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\n' ' ')\"",
      "if cat /etc/shadow >/dev/null 2>&1; then echo 'host /etc/shadow is visible'; else echo 'host /etc/shadow: not there'; fi",
      "if touch /app/x 2>/dev/null; then echo 'image is writable'; else echo 'image is read-only'; fi",
      "echo scratch > /tmp/note && echo \"/tmp is writable: $(cat /tmp/note)\"",
      "");

  private Quickstart() {}

  /** @param args optional work directory */
  public static void main(String[] args) {
    System.exit(run(Path.of(args.length > 0 ? args[0] : "target/quickstart"), System.out));
  }

  static int run(Path work, PrintStream out) {
    Image image = Image.builder()
        .layer(Layer.fromExecutables(Path.of("/bin/sh"), Path.of("/bin/ls"), Path.of("/bin/cat"),
            Path.of("/usr/bin/id"), Path.of("/usr/bin/tail"), Path.of("/usr/bin/cut"),
            Path.of("/usr/bin/tr"), Path.of("/usr/bin/touch")))
        // The rootfs is shared read-only, so the image carries the mount points itself.
        .layer(Layer.of("app", b -> b.addFile("/app/hello.sh", SCRIPT.getBytes(StandardCharsets.UTF_8),
                EntryAttributes.DEFAULTS.withMode(FileMode.of(0755)))
            .addDirectory("/proc").addDirectory("/dev").addDirectory("/tmp")))
        .entrypoint("/bin/sh", "/app/hello.sh")
        .env("GREETING", "Hello")
        .env("PATH", "/usr/bin:/bin")
        .workingDir("/app")
        .cacheDir(work.resolve("store"))
        .build();
    image.writeTo(OciLayoutTarget.of(work.resolve("layout"), "quickstart:1"));
    out.println("built " + image.digest() + " (" + image.layers().size() + " layers) into "
        + work.resolve("layout") + ":quickstart:1");

    CachedRootfs rootfs = image.rootfs(RootfsCache.open(work.resolve("rootfs")));
    ContainerConfig c = image.config().config();
    List<String> argv = new ArrayList<>(c.entrypoint());
    if (c.cmd() != null) {
      argv.addAll(c.cmd());
    }
    SandboxSpec.Builder spec = Sandbox.builder()
        .root(Rootfs.directory(rootfs.rootfs()))
        .argv(argv)
        .workingDir(c.workingDir())
        .user(1000, 1000)
        .mounts(List.of(Mount.proc(), Mount.devMinimal(), Mount.tmpfs("/tmp", 16L << 20)))
        .network(NetworkMode.NONE)
        .limits(ResourceLimits.builder()
            .timeout(Duration.ofSeconds(10)).build());
    for (String kv : c.env()) {
      int eq = kv.indexOf('=');
      spec.env(kv.substring(0, eq), kv.substring(eq + 1));
    }
    ExecResult result = spec.run();
    out.print(result.stdoutText());
    if (!result.stderrText().isEmpty()) {
      out.print("stderr: " + result.stderrText());
    }
    out.println("exit " + result.exitCode() + " in " + result.wallTime().toMillis() + " ms");
    return result.exitCode();
  }
}
