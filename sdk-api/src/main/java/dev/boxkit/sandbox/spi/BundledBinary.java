package dev.boxkit.sandbox.spi;

import dev.boxkit.oci.Digest;
import dev.boxkit.sandbox.SandboxException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A static Linux program a provider's jar carries, built by the Maven build, at
 * {@code native/linux-<arch>/<name>} beside the provider's classes, with the SHA-256 the build
 * recorded in {@code <name>.sha256}. Its bytes are checked against that digest on every load, so
 * a jar whose program was altered is refused rather than run.
 */
public final class BundledBinary {
  private BundledBinary() {}

  /**
   * @return the resource directory for this JVM's CPU, {@code linux-x86_64} or
   *     {@code linux-aarch64}; empty on other CPUs (the host OS is not checked: a VM guest is
   *     Linux on any host)
   */
  public static Optional<String> linuxArch() {
    String arch = System.getProperty("os.arch", "");
    if (arch.equals("amd64") || arch.equals("x86_64")) {
      return Optional.of("linux-x86_64");
    }
    if (arch.equals("aarch64") || arch.equals("arm64")) {
      return Optional.of("linux-aarch64");
    }
    return Optional.empty();
  }

  /**
   * @param owner a class in the package holding {@code native/}
   * @param name the program's file name, e.g. {@code "boxkit-init"}
   * @return whether the jar carries the program for this CPU
   */
  public static boolean present(Class<?> owner, String name) {
    return linuxArch().map(a -> present(owner, name, a)).orElse(false);
  }

  /**
   * @param owner a class in the package holding {@code native/}
   * @param name the program's file name
   * @param platform the resource directory, {@code linux-x86_64} or {@code linux-aarch64}
   * @return whether the jar carries the program for that platform (a VM guest may be another
   *     architecture than the host)
   */
  public static boolean present(Class<?> owner, String name, String platform) {
    return owner.getResource(resource(platform, name)) != null;
  }

  /**
   * @param owner a class in the package holding {@code native/}
   * @param name the program's file name
   * @param what names the program in errors, e.g. {@code "native sandbox helper"}
   * @return its bytes, matching the recorded SHA-256
   * @throws SandboxException when this CPU has none, it is missing, or its digest differs
   */
  public static byte[] load(Class<?> owner, String name, String what) {
    String arch = linuxArch().orElseThrow(() -> new SandboxException(
        "no " + what + " for architecture " + System.getProperty("os.arch")));
    return load(owner, name, what, arch);
  }

  /**
   * @param owner a class in the package holding {@code native/}
   * @param name the program's file name
   * @param what names the program in errors
   * @param platform the resource directory, {@code linux-x86_64} or {@code linux-aarch64}
   * @return its bytes, matching the recorded SHA-256
   * @throws SandboxException when it is missing or its digest differs
   */
  public static byte[] load(Class<?> owner, String name, String what, String platform) {
    String resource = resource(platform, name);
    byte[] bytes = read(owner, resource, what);
    String expected = new String(read(owner, resource + ".sha256", what), StandardCharsets.US_ASCII).trim();
    Digest actual = Digest.sha256(bytes);
    if (!actual.hex().equals(expected)) {
      throw new SandboxException(what + " " + resource + " is corrupt: sha256 " + actual.hex()
          + ", the build recorded " + expected);
    }
    return bytes;
  }

  private static String resource(String arch, String name) {
    return "native/" + arch + "/" + name;
  }

  private static byte[] read(Class<?> owner, String name, String what) {
    try (InputStream in = owner.getResourceAsStream(name)) {
      if (in == null) {
        throw new SandboxException(what + " resource " + name + " is missing from the jar"
            + " (this jar was built without a C compiler for that architecture)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new SandboxException("reading " + what + " resource " + name, e);
    }
  }
}
