package dev.boxkit.sandbox.vm;

import dev.boxkit.sandbox.InvalidSandboxSpecException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One VM to boot, independent of the hypervisor.
 *
 * @param kernel kernel image
 * @param initrd initramfs archive
 * @param cmdline kernel command line, without the console and control-channel parameters the
 *     hypervisor adds
 * @param cpus virtual CPUs, 1..64
 * @param memoryBytes guest memory in bytes, a multiple of 1 MiB, at least 64 MiB
 * @param controlSocket host Unix socket, listening, that the VM connects the control channel to
 * @param consoleLog host file receiving the guest's console
 * @param shares host directories shared with the guest over virtio-fs, in order
 * @param network whether the VM gets a (NAT) network device; false = no network device at all
 * @param rootDisk a read-only disk image (raw, a multiple of 4096 bytes) attached as the first
 *     virtio-blk disk, {@code /dev/vda} in the guest, holding the root as EROFS; empty when the
 *     root travels in the initramfs
 */
public record VmConfig(Path kernel, Path initrd, String cmdline, int cpus, long memoryBytes,
    Path controlSocket, Path consoleLog, List<Share> shares, boolean network, Optional<Path> rootDisk) {

  /** Smallest memory a VM gets: 64 MiB. */
  public static final long MIN_MEMORY_BYTES = 64L << 20;

  /**
   * A host directory shared with the guest.
   *
   * @param tag the virtio-fs tag the guest mounts, {@code [a-z0-9]{1,32}}
   * @param hostDir absolute host directory
   * @param socket where the share's vhost-user socket lives (used by QEMU's virtiofsd only)
   */
  public record Share(String tag, Path hostDir, Path socket) {
    /** @throws InvalidSandboxSpecException on a bad tag or a relative path */
    public Share {
      if (tag == null || !tag.matches("[a-z0-9]{1,32}")) {
        throw new InvalidSandboxSpecException("share.tag", "\"" + tag + "\" is not [a-z0-9]{1,32}");
      }
      if (hostDir == null || !hostDir.isAbsolute() || socket == null || !socket.isAbsolute()) {
        throw new InvalidSandboxSpecException("share." + tag, "paths must be absolute");
      }
    }
  }

  /** A VM whose root travels in the initramfs (no root disk). */
  public VmConfig(Path kernel, Path initrd, String cmdline, int cpus, long memoryBytes,
      Path controlSocket, Path consoleLog, List<Share> shares, boolean network) {
    this(kernel, initrd, cmdline, cpus, memoryBytes, controlSocket, consoleLog, shares, network, Optional.empty());
  }

  /** @throws InvalidSandboxSpecException naming the first bad field */
  public VmConfig {
    for (Path p : new Path[] {kernel, initrd, controlSocket, consoleLog}) {
      if (p == null || !p.isAbsolute()) {
        throw new InvalidSandboxSpecException("vm", "kernel, initrd, control socket and console log must be absolute paths");
      }
    }
    if (cmdline == null || cmdline.indexOf('"') >= 0 || cmdline.indexOf('\n') >= 0) {
      throw new InvalidSandboxSpecException("vm.cmdline", "null or contains '\"' or a newline");
    }
    if (cpus < 1 || cpus > 64) {
      throw new InvalidSandboxSpecException("vm.cpus", cpus + " is outside [1, 64]");
    }
    if (memoryBytes < MIN_MEMORY_BYTES || memoryBytes % (1L << 20) != 0) {
      throw new InvalidSandboxSpecException("vm.memoryBytes", memoryBytes + " is not a multiple of 1 MiB >= 64 MiB");
    }
    shares = List.copyOf(shares);
    if (rootDisk == null || rootDisk.isPresent() && !rootDisk.get().isAbsolute()) {
      throw new InvalidSandboxSpecException("vm.rootDisk", "must be empty or an absolute path");
    }
  }

  /** @return guest memory in MiB */
  public long memoryMib() {
    return memoryBytes >> 20;
  }
}
