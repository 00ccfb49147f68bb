/**
 * Run a process in an isolated sandbox: {@link dev.boxkit.sandbox.Sandbox#run} takes a
 * {@link dev.boxkit.sandbox.SandboxSpec} (root filesystem, mounts, network, limits, stdio) and
 * returns an {@link dev.boxkit.sandbox.ExecResult}; backends plug in through
 * {@link dev.boxkit.sandbox.spi.SandboxProvider}. Semantics follow the
 * <a href="https://github.com/opencontainers/runtime-spec/blob/v1.2.0/config.md">OCI runtime-spec</a>
 * where it has a word for them.
 *
 * <p>An image runs as {@code docker run} would run it, on a writable layer discarded at the end:
 * <pre>{@code
 * ExecResult r = Sandbox.builder().image(image)      // Entrypoint, Cmd, Env, WorkingDir, User
 *     .command("--verbose")                          // replaces Cmd only
 *     .limits(ResourceLimits.builder().memoryBytes(64L << 20).build())
 *     .run();
 * }</pre>
 *
 * <p>Every type in this package is an immutable value unless it says otherwise; arguments and
 * results are non-null unless documented otherwise.
 */
package dev.boxkit.sandbox;
