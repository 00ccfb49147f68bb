package dev.boxkit.sandbox;

/**
 * Which kind of boundary a sandbox runs behind; {@link Sandbox#provider(SandboxSpec)} picks the
 * provider by it.
 */
public enum Isolation {
  /** Whatever the host does best: namespaces on Linux, a micro-VM elsewhere (macOS). Default. */
  AUTO,
  /**
   * Linux namespaces, seccomp and cgroups in the host kernel (see {@code man 7 namespaces}): fast,
   * but the sandbox shares the host kernel.
   */
  NAMESPACES,
  /**
   * A Linux micro-VM with its own kernel (QEMU on Linux, vfkit on macOS): slower to start, for
   * code too hostile to share the host kernel with.
   */
  VM
}
