package dev.boxkit.sandbox.vm;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A program that boots {@link VmConfig}s: everything hypervisor-specific about a VM sandbox (the
 * command line, the devices the guest kernel needs, how the control channel is wired), so that
 * the rest is shared.
 */
public interface Hypervisor {

  /** @return a short stable name, e.g. {@code "qemu"} */
  String name();

  /**
   * @return the architecture of the guests it boots, which selects the guest agent; by default
   *     the host's
   */
  default GuestArch guestArch() {
    return GuestArch.hostOrDefault();
  }

  /**
   * @return whether it boots an uncompressed x86 {@code vmlinux} ELF through its PVH entry point,
   *     so that a {@code bzImage}'s kernel may be unpacked once on the host instead of by its own
   *     decompressor in every guest; false by default
   */
  default boolean bootsPvhElf() {
    return false;
  }

  /** @return empty when usable on this host; otherwise what is missing and how to get it */
  Optional<String> unavailableReason();

  /**
   * @param shares whether the VM has virtio-fs shares
   * @return the Kconfig symbols (without {@code CONFIG_}) the guest kernel needs for this
   *     hypervisor's devices, each mapped to the module providing it, in a stable order
   */
  Map<String, String> kernelFeatures(boolean shares);

  /**
   * @return the kernel command line parameters naming the console and the control channel,
   *     e.g. {@code console=ttyS0 boxkit.ctl=serial:boxkit.ctl}
   */
  String kernelParameters();

  /**
   * @param shares the VM's shares, in order
   * @return helper programs to start before the VM, one per share where the hypervisor needs them,
   *     each as an argv, whose {@link VmConfig.Share#socket()} must exist before the VM starts
   *     (empty when none); they depend on nothing else, so they start while the initramfs is built
   */
  List<List<String>> helperCommands(List<VmConfig.Share> shares);

  /**
   * @param vm the VM
   * @return the hypervisor's argv; the process it starts connects the control channel to
   *     {@link VmConfig#controlSocket()} and exits when the guest powers off
   */
  List<String> command(VmConfig vm);
}
