package dev.boxkit.sandbox.vm;

import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.spi.BundledBinary;
import java.util.Optional;

/**
 * The static guest agent binary bundled in the jar ({@code native/linux-<arch>/boxkit-vm-agent}
 * beside this class), checked against the SHA-256 the build recorded next to it.
 */
final class GuestAgent {
  private static final String NAME = "boxkit-vm-agent";

  private GuestAgent() {}

  /** @return the resource directory of the guest architecture (the host's), e.g. {@code linux-x86_64} */
  static Optional<String> platform() {
    return BundledBinary.linuxArch();
  }

  /** @return whether the jar carries an agent for this architecture */
  static boolean bundled() {
    return BundledBinary.present(GuestAgent.class, NAME);
  }

  /**
   * @return the agent's bytes, verified
   * @throws SandboxException when it is missing or does not match its recorded digest
   */
  static byte[] load() {
    return BundledBinary.load(GuestAgent.class, NAME, "VM guest agent");
  }
}
