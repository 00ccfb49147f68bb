package dev.boxkit.sandbox.vm;

import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.spi.BundledBinary;

/**
 * The static guest agent binaries bundled in the jar ({@code native/linux-<arch>/boxkit-vm-agent}
 * beside this class), one per {@link GuestArch}, each checked against the SHA-256 the build
 * recorded next to it.
 */
final class GuestAgent {
  private static final String NAME = "boxkit-vm-agent";

  private GuestAgent() {}

  /** @return whether the jar carries an agent for that guest architecture */
  static boolean bundled(GuestArch arch) {
    return BundledBinary.present(GuestAgent.class, NAME, arch.agentPlatform());
  }

  /**
   * @return the agent's bytes for that guest architecture, verified
   * @throws SandboxException when it is missing or does not match its recorded digest
   */
  static byte[] load(GuestArch arch) {
    return BundledBinary.load(GuestAgent.class, NAME, "VM guest agent", arch.agentPlatform());
  }
}
