package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.boxkit.oci.Digest;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The jar carries a guest agent per architecture (the guest runs the host's), each a static ELF
 * for that machine matching its own recorded SHA-256. It is not run here: outside a VM it would
 * mount /proc, /sys and /dev over the host's. Skipped, naming the packages, where the build left
 * an architecture out; failed instead under {@code BOXKIT_REQUIRE_TOOLS=1}.
 */
class GuestAgentArchTest {
  private static byte[] resource(String name) throws IOException {
    try (InputStream in = GuestAgent.class.getResourceAsStream(name)) {
      return in == null ? null : in.readAllBytes();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"x86_64", "aarch64"})
  void eachArchitecturesAgentIsBundledAndMatchesItsDigest(String arch) throws IOException {
    String res = "native/linux-" + arch + "/boxkit-vm-agent";
    byte[] bin = resource(res);
    byte[] sha = resource(res + ".sha256");
    ExternalTools.requireHost(bin != null && sha != null, "the build left out the linux-" + arch
        + " guest agent (" + res + "): install gcc and libc6-dev, and for the other architecture"
        + " gcc-aarch64-linux-gnu and libc6-dev-arm64-cross (or gcc-x86-64-linux-gnu and"
        + " libc6-dev-amd64-cross), and rebuild");
    assertEquals(new String(sha, StandardCharsets.US_ASCII).trim(), Digest.sha256(bin).hex());
    ByteBuffer b = ByteBuffer.wrap(bin).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(0x464c457f, b.getInt(0), "ELF magic");
    assertEquals(2, bin[4], "64-bit ELF");
    assertEquals(2, b.getShort(16), "ET_EXEC: statically linked, no interpreter");
    assertEquals(arch.equals("x86_64") ? 62 : 183, b.getShort(18), "e_machine");
  }
}
