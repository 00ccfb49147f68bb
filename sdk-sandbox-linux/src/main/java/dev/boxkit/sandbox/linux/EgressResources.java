package dev.boxkit.sandbox.linux;

import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.internal.egress.SandboxEgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sandbox's egress allow-list as a layer of its resources: the {@link SandboxEgress} proxy that
 * the sandbox reaches at {@link SandboxEgress#SANDBOX_PORT} inside (op FORWARD_OUT), closed when
 * the other resources are finished, after the sandbox ended; its refusals go into the usage.
 */
final class EgressResources extends LayeredResources {
  private static final Logger LOG = LoggerFactory.getLogger(EgressResources.class);

  /** The proxy's port on the sandbox's own loopback. */
  static final int SANDBOX_PORT = SandboxEgress.SANDBOX_PORT;

  private final SandboxEgress egress;

  private EgressResources(SandboxResources inner, SandboxEgress egress) {
    super(inner);
    this.egress = egress;
  }

  /** Starts the proxy for {@code spec}'s allow-list around {@code inner}. */
  static EgressResources start(SandboxSpec spec, SandboxResources inner) {
    return new EgressResources(inner, SandboxEgress.start(spec));
  }

  /** @return the proxy's port on the host's loopback */
  int hostPort() {
    return egress.hostPort();
  }

  /** @see SandboxEgress#withProxyEnv */
  static SandboxSpec withProxyEnv(SandboxSpec spec) {
    return SandboxEgress.withProxyEnv(spec);
  }

  @Override
  void release() {
    try {
      egress.close();
    } catch (RuntimeException e) {
      LOG.warn("closing the egress proxy: {}", e.toString());
    }
  }

  @Override
  Usage usage(Usage u) {
    return new Usage(u.peakMemoryBytes(), u.oomKilled(), egress.denied());
  }
}
