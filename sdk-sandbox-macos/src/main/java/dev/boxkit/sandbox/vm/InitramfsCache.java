package dev.boxkit.sandbox.vm;

import dev.boxkit.sandbox.SandboxException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Built initramfs archives kept by content ({@link Initramfs#digest}) in a directory
 * ({@code $XDG_CACHE_HOME/boxkit/vm-initramfs}, else {@code ~/.cache/boxkit/vm-initramfs}, mode
 * 0700), so that a sandbox whose agent, modules and root are unchanged boots the archive written
 * before instead of writing it again. The newest {@value #KEEP} archives are kept (a hit counts as
 * new). {@code BOXKIT_VM_CACHE=off} disables it: each VM then writes its archive into its own work
 * directory, deleted afterwards. The archives hold copies of the roots, so the directory is private
 * to its user.
 */
final class InitramfsCache {
  private static final Logger LOG = LoggerFactory.getLogger(InitramfsCache.class);

  /** Environment variable: {@code off} disables the cache. */
  static final String ENV = "BOXKIT_VM_CACHE";
  /** Archives kept: enough for the roots a test suite or a CLI session cycles through. */
  static final int KEEP = 16;

  private final Optional<Path> dir;

  /** @param dir the cache directory (made on first use), empty for no cache */
  InitramfsCache(Optional<Path> dir) {
    this.dir = dir;
  }

  /** @return the cache the environment asks for: the default directory unless {@value #ENV} is {@code off} */
  static InitramfsCache fromEnvironment() {
    if ("off".equalsIgnoreCase(System.getenv().getOrDefault(ENV, "").trim())) {
      return new InitramfsCache(Optional.empty());
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return new InitramfsCache(Optional.of(base.resolve("boxkit").resolve("vm-initramfs")));
  }

  /**
   * @param agent the guest agent's bytes
   * @param modules kernel modules, in load order
   * @param root the sandbox's root; null when it comes on a disk (the archive's {@code /rootfs} is empty)
   * @param work the VM's own work directory, used when there is no cache or it cannot be written
   * @return the archive to boot: a cached one, or one just written
   * @throws SandboxException when an input cannot be read
   */
  Path initramfs(byte[] agent, List<Path> modules, GuestRoot root, Path work) {
    if (dir.isPresent()) {
      String key = Initramfs.digest(agent, modules, root);
      Path cached = dir.get().resolve(key + ".cpio");
      try {
        if (Files.isRegularFile(cached)) {
          Files.setLastModifiedTime(cached, FileTime.fromMillis(System.currentTimeMillis()));
          LOG.debug("initramfs {} from the cache", key);
          return cached;
        }
        Files.createDirectories(dir.get(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path tmp = Files.createTempFile(dir.get(), key, ".tmp");
        try {
          write(tmp, agent, modules, root);
          try {
            Files.move(tmp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
          } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, cached, StandardCopyOption.REPLACE_EXISTING);
          }
        } finally {
          Files.deleteIfExists(tmp);
        }
        prune(cached);
        return cached;
      } catch (IOException e) {
        LOG.debug("initramfs cache {} not usable ({}); writing into the VM's work directory", dir.get(), e.toString());
      }
    }
    Path initrd = work.resolve("initrd.cpio");
    try {
      write(initrd, agent, modules, root);
    } catch (IOException e) {
      throw new SandboxException("writing the VM initramfs " + initrd + ": " + e.getMessage(), e);
    }
    return initrd;
  }

  private static void write(Path file, byte[] agent, List<Path> modules, GuestRoot root) throws IOException {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      Initramfs.write(out, agent, modules, root);
    }
  }

  /** Deletes all but {@code keep} and the newest {@value #KEEP} - 1 others. */
  private void prune(Path keep) throws IOException {
    List<Path> others = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir.get(), "*.cpio")) {
      s.forEach(p -> {
        if (!p.equals(keep)) {
          others.add(p);
        }
      });
    }
    if (others.size() < KEEP) {
      return;
    }
    others.sort(Comparator.comparing((Path p) -> {
      try {
        return Files.getLastModifiedTime(p).toMillis();
      } catch (IOException e) {
        return 0L;
      }
    }).reversed());
    for (Path old : others.subList(KEEP - 1, others.size())) {
      Files.deleteIfExists(old);
    }
  }
}
