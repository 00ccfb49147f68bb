package dev.boxkit.sandbox.linux;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.boxkit.oci.CacheRoot;
import dev.boxkit.oci.Digest;
import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.spi.BundledBinary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The native init helper, taken from the jar ({@code native/linux-<arch>/boxkit-init} beside this
 * class) and checked against the SHA-256 the build recorded next to it.
 *
 * <p>Normally it is copied into a sealed memfd executed as {@code /proc/self/fd/N}. Sealed (no
 * write, grow, shrink, further seals), the executable cannot be altered through {@code
 * /proc/<pid>/exe} from inside a sandbox (CVE-2019-5736) nor swapped between check and use: the
 * bytes checked are the bytes run, for every sandbox. Where {@code memfd_create} is refused, it
 * is extracted to a cache directory under its SHA-256 ({@code <cache>/<sha256>/boxkit-init},
 * mode 0500, directory 0700) and re-hashed before every spawn.
 */
final class HelperBinary {
  private static final String NAME = "boxkit-init";

  private static final Logger LOG = LoggerFactory.getLogger(HelperBinary.class);

  private final int fd;
  private final Path file;
  private final Digest digest;

  private HelperBinary(int fd, Path file, Digest digest) {
    this.fd = fd;
    this.file = file;
    this.digest = digest;
  }

  /** @return the jar resource directory for this JVM's architecture, e.g. {@code linux-x86_64} */
  static Optional<String> platform() {
    if (!System.getProperty("os.name", "").equals("Linux")) {
      return Optional.empty();
    }
    return BundledBinary.linuxArch();
  }

  /** @return whether the jar carries a helper for this platform */
  static boolean bundled() {
    return platform().isPresent() && BundledBinary.present(HelperBinary.class, NAME);
  }

  /**
   * Loads, verifies and seals the helper.
   *
   * @throws SandboxException when it is missing, its digest does not match, or memfd fails
   */
  static HelperBinary load() {
    byte[] bytes = verifiedBytes();
    LibC c = LibC.INSTANCE;
    int fd = c.memfd_create("boxkit-init", LibC.MFD_CLOEXEC | LibC.MFD_ALLOW_SEALING);
    if (fd < 0) {
      LOG.info("memfd_create refused ({}): running the sandbox helper from {}",
          Errno.name(Native.getLastError()), defaultCacheRoot());
      return extracted(bytes, defaultCacheRoot());
    }
    Memory mem = new Memory(bytes.length);
    mem.write(0, bytes, 0, bytes.length);
    long off = 0;
    while (off < bytes.length) {
      long n = DirectLibC.write(fd, mem.share(off), bytes.length - off);
      if (n <= 0) {
        int errno = Native.getLastError();
        DirectLibC.close(fd);
        throw new SandboxException("writing the sandbox helper to its memfd: " + Errno.name(errno));
      }
      off += n;
    }
    int seals = LibC.F_SEAL_WRITE | LibC.F_SEAL_GROW | LibC.F_SEAL_SHRINK | LibC.F_SEAL_SEAL;
    if (DirectLibC.fcntl(fd, LibC.F_ADD_SEALS, seals) < 0) {
      int errno = Native.getLastError();
      DirectLibC.close(fd);
      throw new SandboxException("sealing the sandbox helper's memfd: " + Errno.name(errno));
    }
    return new HelperBinary(fd, null, Digest.sha256(bytes));
  }

  private static byte[] verifiedBytes() {
    if (platform().isEmpty()) {
      throw new SandboxException("no native sandbox helper for " + System.getProperty("os.name")
          + "/" + System.getProperty("os.arch"));
    }
    return BundledBinary.load(HelperBinary.class, NAME, "native sandbox helper");
  }

  /** {@code helpers} under {@code boxkit.cache.dir}, else under {@link CacheRoot#path()}. */
  static Path defaultCacheRoot() {
    String prop = System.getProperty("boxkit.cache.dir");
    return (prop != null ? Path.of(prop) : CacheRoot.path()).resolve("helpers");
  }

  /** The jar's helper extracted under {@code cacheRoot} (the memfd-less fallback). */
  static HelperBinary extracted(Path cacheRoot) {
    return extracted(verifiedBytes(), cacheRoot);
  }

  private static HelperBinary extracted(byte[] bytes, Path cacheRoot) {
    Digest digest = Digest.sha256(bytes);
    Path dir = cacheRoot.resolve(digest.hex());
    Path file = dir.resolve("boxkit-init");
    try {
      // Created private whatever the umask (a group-writable one would fail requirePrivate).
      Files.createDirectories(cacheRoot, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      requirePrivate(cacheRoot);
      requirePrivate(dir);
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || !Digest.sha256(Files.readAllBytes(file)).equals(digest)) {
        Path tmp = Files.createTempFile(dir, "boxkit-init", ".tmp");
        Files.write(tmp, bytes);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r-x------"));
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (SandboxException e) {
      throw e;
    } catch (IOException e) {
      throw new SandboxException("extracting the sandbox helper to " + file + ": " + e, e);
    }
    HelperBinary h = new HelperBinary(-1, file, digest);
    h.execPath();
    return h;
  }

  /**
   * Refuses a cache directory or file that someone else could change between the hash check and
   * the spawn: it must not be a symbolic link, must belong to the JVM's effective uid (or root)
   * and must be writable by no one else.
   *
   * @throws SandboxException naming the path, its owner and its mode otherwise
   */
  private static void requirePrivate(Path p) {
    try {
      int uid = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      long euid = Integer.toUnsignedLong(LibC.INSTANCE.geteuid());
      boolean link = (mode & 0170000) == 0120000;
      if (link || (uid != euid && uid != 0) || (mode & 022) != 0) {
        throw new SandboxException("sandbox helper location " + p + " (uid " + uid + ", mode "
            + Integer.toOctalString(mode & 07777) + (link ? ", a symbolic link" : "") + ") must be"
            + " a file or directory of uid " + euid + " or root that no one else can write");
      }
    } catch (IOException e) {
      throw new SandboxException("checking the sandbox helper location " + p + ": " + e, e);
    }
  }

  /**
   * @return the path posix_spawn executes; an extracted file is re-hashed first
   * @throws SandboxException when an extracted file no longer has the expected SHA-256
   */
  String execPath() {
    if (file == null) {
      return "/proc/self/fd/" + fd;
    }
    requirePrivate(file.getParent().getParent());
    requirePrivate(file.getParent());
    requirePrivate(file);
    try {
      Digest now = Digest.sha256(Files.readAllBytes(file));
      if (!now.equals(digest) || Files.isSymbolicLink(file)) {
        throw new SandboxException("sandbox helper " + file + " was modified (sha256 " + now.hex()
            + ", expected " + digest.hex() + "); refusing to run it");
      }
    } catch (IOException e) {
      throw new SandboxException("verifying the sandbox helper " + file + ": " + e, e);
    }
    return file.toString();
  }

  /** @return the SHA-256 of the sealed bytes */
  Digest digest() {
    return digest;
  }
}
