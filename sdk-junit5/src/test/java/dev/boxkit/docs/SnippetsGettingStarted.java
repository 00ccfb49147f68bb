package dev.boxkit.docs;

import dev.boxkit.image.Image;
import dev.boxkit.image.Layer;
import dev.boxkit.image.OciLayoutTarget;
import dev.boxkit.oci.unpack.CachedRootfs;
import dev.boxkit.oci.unpack.RootfsCache;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.NetworkMode;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxUnavailableException;
import dev.boxkit.sandbox.Stdio;
import dev.boxkit.sandbox.spi.SandboxProvider;
import java.nio.file.Path;
import java.util.List;

/** Snippets of getting-started.md and troubleshooting.md. */
final class SnippetsGettingStarted {
  private SnippetsGettingStarted() {}

  static ExecResult firstRun() {
    // tag::first-run[]
    ExecResult r = Sandbox.builder()
        .command("/bin/sh", "-c", "echo hello from $(cat /proc/sys/kernel/hostname)")
        .run();
    System.out.println(r.stdoutText()); // hello from sandbox
    // end::first-run[]
    return r;
  }

  static ExecResult imageAndSandbox(Path work) {
    // tag::image-and-sandbox[]
    Image image = Image.builder()
        .layer(Layer.fromExecutables(Path.of("/bin/sh"), Path.of("/bin/ls")))
        // The image is the sandbox's read-only root: it holds its own mount points.
        .layer(Layer.of("mount points", b -> b.addDirectory("/proc").addDirectory("/dev").addDirectory("/tmp")))
        .env("PATH", "/bin")
        .cacheDir(work.resolve("store"))
        .build();
    image.writeTo(OciLayoutTarget.of(work.resolve("layout"), "hello:1"));

    CachedRootfs rootfs = image.rootfs(RootfsCache.open(work.resolve("rootfs")));
    ExecResult result = Sandbox.builder()
        .root(Rootfs.directory(rootfs.rootfs()))
        .command("/bin/sh", "-c", "ls /")
        .mounts(List.of(Mount.proc(), Mount.devMinimal(), Mount.tmpfs("/tmp", 16L << 20)))
        .network(NetworkMode.NONE)
        .run();
    System.out.println(result.stdoutText()); // bin dev lib lib64 proc tmp usr (as on the host)
    // end::image-and-sandbox[]
    return result;
  }

  static String checkProvider() {
    // tag::check-provider[]
    try {
      SandboxProvider p = Sandbox.provider();
      System.out.println("sandboxes run here with " + p.name());
    } catch (SandboxUnavailableException e) {
      System.out.println(e.getMessage()); // names each provider and what the host lacks
    }
    // end::check-provider[]
    return Sandbox.provider().name();
  }

  static void start() throws Exception {
    // tag::start[]
    try (SandboxProcess p = Sandbox.builder()
        .command("/bin/sh", "-c", "while read line; do echo \"got $line\"; done")
        .stdin(Stdio.pipe())
        .start()) {
      p.stdin().write("one\n".getBytes());
      p.stdin().close();
      System.out.println(new String(p.stdout().readAllBytes())); // got one
      System.out.println(p.waitFor().exitCode());               // 0
    } // close() kills whatever still runs in the sandbox and releases it
    // end::start[]
  }
}
