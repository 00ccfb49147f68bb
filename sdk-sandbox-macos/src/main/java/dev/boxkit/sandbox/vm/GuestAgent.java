package dev.boxkit.sandbox.vm;

import dev.boxkit.oci.Digest;
import dev.boxkit.sandbox.SandboxException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The static guest agent binary bundled in the jar ({@code native/linux-<arch>/boxkit-vm-agent}
 * beside this class), checked against the SHA-256 the build recorded next to it.
 */
final class GuestAgent {
  private GuestAgent() {}

  /** @return the resource directory of the guest architecture (the host's), e.g. {@code linux-x86_64} */
  static Optional<String> platform() {
    String arch = System.getProperty("os.arch", "");
    if (arch.equals("amd64") || arch.equals("x86_64")) {
      return Optional.of("linux-x86_64");
    }
    if (arch.equals("aarch64") || arch.equals("arm64")) {
      return Optional.of("linux-aarch64");
    }
    return Optional.empty();
  }

  /** @return whether the jar carries an agent for this architecture */
  static boolean bundled() {
    return platform().map(p -> GuestAgent.class.getResource(resource(p)) != null).orElse(false);
  }

  private static String resource(String platform) {
    return "native/" + platform + "/boxkit-vm-agent";
  }

  /**
   * @return the agent's bytes, verified
   * @throws SandboxException when it is missing or does not match its recorded digest
   */
  static byte[] load() {
    String platform = platform().orElseThrow(() -> new SandboxException(
        "no VM guest agent for architecture " + System.getProperty("os.arch")));
    byte[] bytes = read(resource(platform));
    String expected = new String(read(resource(platform) + ".sha256"), StandardCharsets.US_ASCII).trim();
    Digest actual = Digest.sha256(bytes);
    if (!actual.hex().equals(expected)) {
      throw new SandboxException("VM guest agent " + resource(platform) + " is corrupt: sha256 "
          + actual.hex() + ", the build recorded " + expected);
    }
    return bytes;
  }

  private static byte[] read(String name) {
    try (InputStream in = GuestAgent.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new SandboxException("VM guest agent resource " + name + " is missing from the jar"
            + " (it is built only where gcc can link static Linux binaries)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new SandboxException("reading VM guest agent resource " + name, e);
    }
  }
}
