/**
 * Run a process in an isolated sandbox: {@link dev.boxkit.sandbox.Sandbox#run} takes a
 * {@link dev.boxkit.sandbox.SandboxSpec} (root filesystem, mounts, network, limits, stdio) and
 * returns an {@link dev.boxkit.sandbox.ExecResult}; backends plug in through
 * {@link dev.boxkit.sandbox.spi.SandboxProvider}. Semantics follow the
 * <a href="https://github.com/opencontainers/runtime-spec/blob/v1.2.0/config.md">OCI runtime-spec</a>
 * where it has a word for them.
 *
 * <p>Every type in this package is an immutable value unless it says otherwise; arguments and
 * results are non-null unless documented otherwise.
 */
package dev.boxkit.sandbox;
