package dev.boxkit.samples.quickstart;

import dev.boxkit.image.Image;
import dev.boxkit.image.Layer;
import dev.boxkit.image.OciLayoutTarget;
import dev.boxkit.oci.layer.EntryAttributes;
import dev.boxkit.oci.layer.FileMode;
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
import java.util.List;
import java.util.Optional;

/**
 * Builds a small image with no base image — a shell, a few tools and a script, found on the host
 * with their shared libraries — writes it as an OCI layout, then runs it in a sandbox with no
 * network, memory and process caps and nothing of the host but what the image holds. The image
 * is unpacked once into a cache and shared read-only; the sandbox writes to its own layer on top,
 * discarded when it ends.
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
      "if touch /app/x 2>/dev/null; then echo '/app is writable by uid 1000'; else echo '/app is read-only for uid 1000'; fi",
      "echo note > /home/app/note && echo \"home is writable: $(cat /home/app/note) (this sandbox's own layer)\"",
      "echo scratch > /tmp/note && echo \"/tmp is writable: $(cat /tmp/note)\"",
      "");

  private static final String PASSWD = "root:x:0:0:root:/root:/bin/sh\n"
      + "app:x:1000:1000:app:/home/app:/bin/sh\n";

  private Quickstart() {}

  /** @param args optional work directory */
  public static void main(String[] args) {
    System.exit(run(Path.of(args.length > 0 ? args[0] : "target/quickstart"), System.out));
  }

  static int run(Path work, PrintStream out) {
    RootfsCache cache = RootfsCache.open(work.resolve("rootfs"));
    long t0 = System.nanoTime();
    Image image = Image.builder()
        .layer(Layer.fromExecutables(Path.of("/bin/sh"), Path.of("/bin/ls"), Path.of("/bin/cat"),
            Path.of("/usr/bin/id"), Path.of("/usr/bin/tail"), Path.of("/usr/bin/cut"),
            Path.of("/usr/bin/tr"), Path.of("/usr/bin/touch")))
        .layer(Layer.of("app", b -> b.addFile("/app/hello.sh", SCRIPT.getBytes(StandardCharsets.UTF_8),
                EntryAttributes.DEFAULTS.withMode(FileMode.of(0755)))
            .addFile("/etc/passwd", PASSWD.getBytes(StandardCharsets.UTF_8))
            .addDirectory("/home/app", EntryAttributes.DEFAULTS.withOwner(1000, 1000))))
        .entrypoint("/bin/sh", "/app/hello.sh")
        .env("GREETING", "Hello")
        .env("PATH", "/usr/bin:/bin")
        .workingDir("/app")
        .user("app")
        .cacheDir(work.resolve("store"))
        .build();
    image.writeTo(OciLayoutTarget.of(work.resolve("layout"), "quickstart:1"));
    out.println("built " + image.digest() + " (" + image.layers().size() + " layers) into "
        + work.resolve("layout") + ":quickstart:1 in " + millis(t0) + " ms");

    // The image's entrypoint, env, working directory and user apply; the tree is unpacked once.
    int exit = show(out, "sh", Sandbox.builder()
        .image(image)
        .root(Rootfs.image(image).withCache(cache))
        .mount(Mount.tmpfs("/tmp", 16L << 20))
        .network(NetworkMode.NONE)
        .limits(limits(64L << 20))
        .run());

    long t1 = System.nanoTime();
    Optional<Image> java = JavaImage.build(work, work.resolve("store"), out);
    if (java.isEmpty()) {
      return exit;
    }
    java.get().writeTo(OciLayoutTarget.of(work.resolve("layout"), "java:1"));
    out.println("built " + java.get().digest() + " (jlinked runtime + its closure + app, no base image)"
        + " in " + millis(t1) + " ms");
    long t2 = System.nanoTime();
    boolean unpacked = java.get().rootfs(cache).unpacked();
    out.println((unpacked ? "unpacked" : "reused the unpacked tree") + " in " + millis(t2) + " ms");
    for (List<String> command : List.of(List.of("-version"), List.<String>of())) {
      SandboxSpec.Builder spec = Sandbox.builder()
          .image(java.get())
          .root(Rootfs.image(java.get()).withCache(cache))
          .network(NetworkMode.NONE)
          .limits(limits(256L << 20));
      if (!command.isEmpty()) {
        spec.command(command.toArray(String[]::new));
      }
      exit = Math.max(exit, show(out, command.isEmpty() ? "java Hello" : "java -version", spec.run()));
    }
    return exit;
  }

  private static ResourceLimits limits(long memoryBytes) {
    return ResourceLimits.builder().memoryBytes(memoryBytes).pidsMax(64)
        .timeout(Duration.ofSeconds(30)).build();
  }

  private static int show(PrintStream out, String what, ExecResult result) {
    out.println("$ " + what);
    out.print(result.stdoutText());
    if (!result.stderrText().isEmpty()) {
      out.print(result.stderrText());
    }
    out.println("exit " + result.exitCode() + " in " + result.wallTime().toMillis() + " ms");
    return result.exitCode();
  }

  private static long millis(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }
}
