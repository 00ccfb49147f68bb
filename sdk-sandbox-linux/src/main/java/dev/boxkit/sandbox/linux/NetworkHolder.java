package dev.boxkit.sandbox.linux;

import dev.boxkit.sandbox.SandboxNetwork;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;

/**
 * The Linux side of a {@link SandboxNetwork}: a helper process holding a user and a network
 * namespace (loopback up) that members enter before creating their own namespaces (pod-style,
 * as a Kubernetes Pod's pause container). Killed when the network is closed; members still
 * running keep the namespace until they end.
 */
final class NetworkHolder implements AutoCloseable {
  private final LinuxSandboxProcess process;
  private final int pid;

  private NetworkHolder(LinuxSandboxProcess process, int pid) {
    this.process = process;
    this.pid = pid;
  }

  /**
   * Starts the holder and waits until its namespaces are ready.
   *
   * @throws dev.boxkit.sandbox.SandboxSetupException naming the step that failed
   */
  static NetworkHolder start(HelperBinary helper, long hostUid, long hostGid) {
    SandboxSpec spec = SandboxSpec.builder().command("boxkit-network-holder")
        .stdin(Stdio.discard()).stdout(Stdio.discard()).stderr(Stdio.discard()).build();
    LinuxSandboxProcess p = LinuxSandboxProcess.launch(helper, spec,
        PlanCompiler.holderPlan(hostUid, hostGid), SandboxResources.NONE).startWaiter();
    try {
      return new NetworkHolder(p, p.childPid());
    } catch (RuntimeException e) {
      p.close();
      throw e;
    }
  }

  /** @return the holder's pid in the host's pid namespace */
  int pid() {
    return pid;
  }

  @Override
  public void close() {
    process.close();
  }
}
