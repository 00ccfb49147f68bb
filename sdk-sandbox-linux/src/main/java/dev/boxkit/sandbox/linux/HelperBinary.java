package dev.boxkit.sandbox.linux;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.boxkit.oci.Digest;
import dev.boxkit.sandbox.SandboxException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The native init helper, taken from the jar ({@code native/linux-<arch>/boxkit-init} beside this
 * class), checked against the SHA-256 the build recorded next to it, and copied into a sealed
 * memfd that is executed as {@code /proc/self/fd/N}. Sealed (no write, grow, shrink, further
 * seals), the executable cannot be altered through {@code /proc/<pid>/exe} from inside a sandbox
 * (CVE-2019-5736) nor swapped on disk between check and use: the bytes checked are the bytes
 * run, for every sandbox.
 */
final class HelperBinary {
  private final int fd;
  private final Digest digest;

  private HelperBinary(int fd, Digest digest) {
    this.fd = fd;
    this.digest = digest;
  }

  /** @return the jar resource directory for this JVM's architecture, e.g. {@code linux-x86_64} */
  static Optional<String> platform() {
    String arch = System.getProperty("os.arch", "");
    if (!System.getProperty("os.name", "").equals("Linux")) {
      return Optional.empty();
    }
    if (arch.equals("amd64") || arch.equals("x86_64")) {
      return Optional.of("linux-x86_64");
    }
    if (arch.equals("aarch64") || arch.equals("arm64")) {
      return Optional.of("linux-aarch64");
    }
    return Optional.empty();
  }

  /** @return whether the jar carries a helper for this platform */
  static boolean bundled() {
    return platform().map(p -> HelperBinary.class.getResource(resource(p)) != null).orElse(false);
  }

  private static String resource(String platform) {
    return "native/" + platform + "/boxkit-init";
  }

  /**
   * Loads, verifies and seals the helper.
   *
   * @throws SandboxException when it is missing, its digest does not match, or memfd fails
   */
  static HelperBinary load() {
    String platform = platform().orElseThrow(() -> new SandboxException(
        "no native sandbox helper for " + System.getProperty("os.name") + "/" + System.getProperty("os.arch")));
    byte[] bytes = readResource(resource(platform));
    String expected = new String(readResource(resource(platform) + ".sha256"), StandardCharsets.US_ASCII).trim();
    Digest actual = Digest.sha256(bytes);
    if (!actual.hex().equals(expected)) {
      throw new SandboxException("native sandbox helper " + resource(platform) + " is corrupt: sha256 "
          + actual.hex() + ", the build recorded " + expected);
    }
    LibC c = LibC.INSTANCE;
    int fd = c.memfd_create("boxkit-init", LibC.MFD_CLOEXEC | LibC.MFD_ALLOW_SEALING);
    if (fd < 0) {
      throw new SandboxException("memfd_create for the sandbox helper: " + Errno.name(Native.getLastError()));
    }
    Memory mem = new Memory(bytes.length);
    mem.write(0, bytes, 0, bytes.length);
    long off = 0;
    while (off < bytes.length) {
      long n = c.write(fd, mem.share(off), bytes.length - off);
      if (n <= 0) {
        int errno = Native.getLastError();
        c.close(fd);
        throw new SandboxException("writing the sandbox helper to its memfd: " + Errno.name(errno));
      }
      off += n;
    }
    int seals = LibC.F_SEAL_WRITE | LibC.F_SEAL_GROW | LibC.F_SEAL_SHRINK | LibC.F_SEAL_SEAL;
    if (c.fcntl(fd, LibC.F_ADD_SEALS, seals) < 0) {
      int errno = Native.getLastError();
      c.close(fd);
      throw new SandboxException("sealing the sandbox helper's memfd: " + Errno.name(errno));
    }
    return new HelperBinary(fd, actual);
  }

  private static byte[] readResource(String name) {
    try (InputStream in = HelperBinary.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new SandboxException("native sandbox helper resource " + name + " is missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new SandboxException("reading native sandbox helper resource " + name, e);
    }
  }

  /** @return the path posix_spawn executes */
  String execPath() {
    return "/proc/self/fd/" + fd;
  }

  /** @return the SHA-256 of the sealed bytes */
  Digest digest() {
    return digest;
  }
}
