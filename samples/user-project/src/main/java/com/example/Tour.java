package com.example;

import dev.boxkit.image.DockerArchiveTarget;
import dev.boxkit.image.Image;
import dev.boxkit.image.Layer;
import dev.boxkit.image.OciLayoutTarget;
import dev.boxkit.oci.Platform;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.NetworkMode;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.Sandbox;
import java.nio.file.Path;
import java.time.Duration;

/** The README's tour, as a user copies it: only the imports and this method are added. */
public final class Tour {
  private Tour() {}

  /**
   * Runs the tour in the current directory, which must hold {@code build/app/run}.
   *
   * @return the sandbox's result
   */
  public static ExecResult run() {
    // tag::readme-tour[]
    // Build a reproducible image from files on disk: same inputs, same digests, on any machine.
    Image image = Image.builder()
        .from(Image.scratch())                                  // or OciLayoutSource.of(dir, "base:1")
        .platform(Platform.LINUX_AMD64)
        .layer(Layer.fromExecutables(Path.of("/bin/sh")))       // a host program + its libraries, no base image
        .layer(Layer.fromDirectory(Path.of("build/app"), "/app"))
        .entrypoint("/app/run").env("MODE", "prod").user("1000:1000").workingDir("/data").exposedPort(8080)
        .build();
    image.writeTo(OciLayoutTarget.of(Path.of("out/layout"), "app:1.0"));      // OCI image layout
    image.writeTo(DockerArchiveTarget.of(Path.of("out/app.tar"), "app:1.0")); // `docker load` tarball

    // Run a process that sees only what it was given: own user/mount/pid/ipc/uts/net namespaces,
    // no capabilities, a seccomp deny list, every other fd closed, writes kept in a throwaway overlay.
    ExecResult r = Sandbox.builder()
        .image(image)                                           // its Entrypoint, Cmd, Env, WorkingDir, User
        .command("--once")                                      // replaces Cmd, as `docker run` does
        .network(NetworkMode.NONE)
        .limits(ResourceLimits.builder().memoryBytes(256L << 20).pidsMax(64).timeout(Duration.ofSeconds(10)).build())
        .run();                                                 // r.exitCode(), r.stdoutText(), r.oomKilled()
    // .isolation(Isolation.VM) runs the same spec in a QEMU micro-VM with its own kernel instead.
    // end::readme-tour[]
    return r;
  }
}
