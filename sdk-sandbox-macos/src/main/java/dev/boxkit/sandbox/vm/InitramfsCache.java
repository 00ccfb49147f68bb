package dev.boxkit.sandbox.vm;

import dev.boxkit.sandbox.SandboxException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Built initramfs archives kept by what goes into them ({@link Initramfs#key}: the agent's and
 * modules' bytes, the root's tree key) in a directory
 * ({@code $XDG_CACHE_HOME/boxkit/vm-initramfs}, else {@code ~/.cache/boxkit/vm-initramfs}, mode
 * 0700), so that a sandbox whose agent, modules and root are unchanged boots the archive written
 * before instead of writing it again. The newest {@value #KEEP} archives are kept (a hit counts as
 * new; see {@link CacheDirectory}). {@code BOXKIT_VM_CACHE=off} disables it: each VM then writes its archive into its own work
 * directory, deleted afterwards. The archives hold copies of the roots, so the directory is private
 * to its user.
 */
final class InitramfsCache {
  private static final Logger LOG = LoggerFactory.getLogger(InitramfsCache.class);

  /** Archives kept: enough for the roots a test suite or a CLI session cycles through. */
  static final int KEEP = 16;

  private final Optional<CacheDirectory> dir;

  /** @param dir the cache directory (made on first use), empty for no cache */
  InitramfsCache(Optional<Path> dir) {
    this.dir = dir.map(d -> new CacheDirectory(d, ".cpio", KEEP));
  }

  /** @return the cache the environment asks for: the default directory unless {@value CacheDirectory#ENV} is {@code off} */
  static InitramfsCache fromEnvironment() {
    return new InitramfsCache(CacheDirectory.fromEnvironment("vm-initramfs"));
  }

  /**
   * @param agent the guest agent's bytes
   * @param modules kernel modules, in load order
   * @param root the sandbox's root; null when it comes on a disk (the archive's {@code /rootfs} is empty)
   * @param treeKey what names the root's tree ({@link RootDiskCache.Placement#treeKey}); ignored
   *     when {@code root} is null
   * @param work the VM's own work directory, used when there is no cache or it cannot be written
   * @return the archive to boot: a cached one, or one just written
   * @throws SandboxException when an input cannot be read
   */
  Path initramfs(byte[] agent, List<Path> modules, GuestRoot root, String treeKey, Path work) {
    if (dir.isPresent()) {
      String key = Initramfs.key(agent, modules, root == null ? null : treeKey);
      try {
        Optional<Path> hit = dir.get().hit(key);
        if (hit.isPresent()) {
          LOG.debug("initramfs {} from the cache", key);
          return hit.get();
        }
        return dir.get().put(key, tmp -> write(tmp, agent, modules, root));
      } catch (IOException e) {
        LOG.debug("initramfs cache {} not usable ({}); writing into the VM's work directory", dir.get().path(), e.toString());
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
}
