package dev.boxkit.sandbox.linux;

import java.util.OptionalLong;

/**
 * What a sandbox holds outside its own processes (a cgroup): joined by the helper before it reads
 * its plan, killed as a whole, released when the sandbox ends.
 */
interface SandboxResources {

  /** Nothing held: no limits needing a cgroup were asked for. */
  SandboxResources NONE = new SandboxResources() {
    @Override
    public void adopt(int pid) {}

    @Override
    public void killAll() {}

    @Override
    public Usage finish() {
      return new Usage(OptionalLong.empty(), false);
    }
  };

  /** What the sandbox used, as far as the host reports it. */
  record Usage(OptionalLong peakMemoryBytes, boolean oomKilled,
      java.util.List<dev.boxkit.sandbox.EgressEvent> egressDenied) {
    Usage(OptionalLong peakMemoryBytes, boolean oomKilled) {
      this(peakMemoryBytes, oomKilled, java.util.List.of());
    }
  }

  /** Moves the helper (before it creates any namespace or child) under these resources. */
  void adopt(int pid);

  /** Kills every process held, where that is possible without a pid. */
  void killAll();

  /** Reads final usage and releases everything; called once, after the helper is reaped. */
  Usage finish();
}
