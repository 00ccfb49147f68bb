package dev.boxkit.samples.agent;

import dev.boxkit.image.Image;
import dev.boxkit.image.Layer;
import dev.boxkit.oci.unpack.RootfsCache;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.NetworkMode;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A jail for an untrusted agent: its root is a small image of host tools (nothing else of the
 * host is visible), {@code /project} is the one host directory it may write, {@code /tmp} is a
 * private tmpfs, it has no network but its own loopback, runs as uid/gid 1000 with no
 * capabilities under the default seccomp filter, and is killed after {@code timeout}. A memory
 * cap, when asked for, is enforced by a cgroup or the run fails: it is never silently dropped.
 *
 * @param root the unpacked image used as the read-only root
 * @param project absolute host path of the project directory, bound read-write at {@code /project}
 * @param memoryBytes memory cap in bytes, 0 for none
 * @param timeout wall-clock limit of each run
 */
public record AgentJail(Path root, Path project, long memoryBytes, Duration timeout) {
  /** The agent's uid and gid inside the jail. */
  public static final int AGENT_ID = 1000;
  /** The host tools the agent gets, with their libraries. */
  static final List<Path> TOOLS = List.of(Path.of("/bin/sh"), Path.of("/bin/bash"), Path.of("/bin/cat"),
      Path.of("/bin/ls"), Path.of("/bin/mkdir"), Path.of("/usr/bin/touch"), Path.of("/usr/bin/id"),
      Path.of("/usr/bin/perl"));

  /**
   * Builds the tools image (blobs under {@code work/store}, unpacked once under {@code
   * work/rootfs}) and returns a jail for {@code project}.
   *
   * @param work a directory for the image caches
   * @param project the host directory the agent may change
   * @param memoryBytes memory cap in bytes, 0 for none
   * @return the jail
   */
  public static AgentJail create(Path work, Path project, long memoryBytes) {
    Image image = Image.builder()
        .layer(Layer.fromExecutables(TOOLS.toArray(Path[]::new)))
        // The root is read-only, so it carries its mount points.
        .layer(Layer.of("mount points", b -> b.addDirectory("/proc").addDirectory("/dev")
            .addDirectory("/tmp").addDirectory("/project")))
        .cacheDir(work.resolve("store"))
        .build();
    Path root = image.rootfs(RootfsCache.open(work.resolve("rootfs"))).rootfs();
    return new AgentJail(root, project.toAbsolutePath().normalize(), memoryBytes, Duration.ofSeconds(10));
  }

  /**
   * @param script a shell script run by {@code /bin/sh -c} in {@code /project}
   * @return the spec of one run in this jail
   */
  public SandboxSpec spec(String script) {
    ResourceLimits.Builder limits = ResourceLimits.builder().timeout(timeout);
    if (memoryBytes > 0) {
      limits.memoryBytes(memoryBytes);
    }
    return Sandbox.builder()
        .root(Rootfs.directory(root))
        .command("/bin/sh", "-c", script)
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", "/project")
        .workingDir("/project")
        .user(AGENT_ID, AGENT_ID)
        .mounts(List.of(Mount.proc(), Mount.devMinimal(), Mount.tmpfs("/tmp", 16L << 20),
            Mount.bind(project, "/project").readWrite()))
        .network(NetworkMode.NONE)
        .limits(limits.build())
        .build();
  }

  /**
   * Runs {@code script} in a fresh sandbox of this jail.
   *
   * @return how it ended, with its output
   * @throws dev.boxkit.sandbox.SandboxException when the jail cannot be set up as asked
   */
  public ExecResult run(String script) {
    return Sandbox.run(spec(script));
  }
}
