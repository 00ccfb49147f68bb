package dev.boxkit.sandbox.vm;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code vfkit} on macOS (Virtualization.framework; a plain {@code java} binary lacks the
 * {@code com.apple.security.virtualization} entitlement, vfkit has it): the Linux bootloader with
 * kernel, initrd and command line; the console on a virtio-serial device logged to a file; the
 * control channel on vsock port {@value #CONTROL_PORT}, which the guest connects to and vfkit
 * forwards to the host's listening Unix socket; shares as virtio-fs devices (always writable from
 * the host's side: read-only is enforced inside the guest); a NAT network device only when the VM
 * has network; a REST endpoint on a Unix socket for state and stop ({@code GET/POST /vm/state}).
 *
 * @param vfkit the {@code vfkit} program
 * @param restSocket where vfkit's REST endpoint listens, empty for none ({@code --restful-uri none})
 */
public record VfkitHypervisor(Path vfkit, Optional<Path> restSocket) implements Hypervisor {

  /** Guest vsock port of the control channel. */
  public static final int CONTROL_PORT = 1024;

  /** @throws IllegalArgumentException when a path is null */
  public VfkitHypervisor {
    if (vfkit == null || restSocket == null) {
      throw new IllegalArgumentException("vfkit and restSocket must not be null");
    }
  }

  /**
   * @return {@code vfkit} as found on {@code PATH}, else Homebrew's {@code /opt/homebrew/bin/vfkit}
   *     (returned even when absent; {@link #unavailableReason()} says so), with no REST endpoint
   */
  public static VfkitHypervisor onHost() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "vfkit"))) {
        return new VfkitHypervisor(Path.of(dir, "vfkit"), Optional.empty());
      }
    }
    return new VfkitHypervisor(Path.of("/opt/homebrew/bin/vfkit"), Optional.empty());
  }

  @Override
  public String name() {
    return "vfkit";
  }

  @Override
  public Optional<String> unavailableReason() {
    if (!System.getProperty("os.name", "").startsWith("Mac")) {
      return Optional.of("vfkit runs on macOS only");
    }
    if (!Files.isExecutable(vfkit)) {
      return Optional.of(vfkit + " not found: install vfkit (brew install vfkit)");
    }
    return Optional.empty();
  }

  @Override
  public Map<String, String> kernelFeatures(boolean shares) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("VIRTIO_PCI", "virtio_pci");
    f.put("VIRTIO_CONSOLE", "virtio_console");
    f.put("VIRTIO_VSOCKETS", "vmw_vsock_virtio_transport");
    if (shares) {
      f.put("VIRTIO_FS", "virtiofs");
    }
    return f;
  }

  @Override
  public String kernelParameters() {
    return "console=hvc0 boxkit.ctl=vsock:" + CONTROL_PORT;
  }

  @Override
  public List<List<String>> helperCommands(List<VmConfig.Share> shares) {
    return List.of();
  }

  @Override
  public List<String> command(VmConfig vm) {
    List<String> c = new ArrayList<>();
    c.add(vfkit.toString());
    c.addAll(List.of("--cpus", Integer.toString(vm.cpus()), "--memory", Long.toString(vm.memoryMib())));
    String cmdline = vm.cmdline().isEmpty() ? kernelParameters() : vm.cmdline() + " " + kernelParameters();
    c.addAll(List.of("--bootloader", "linux,kernel=" + vm.kernel() + ",initrd=" + vm.initrd()
        + ",cmdline=\"" + cmdline + "\""));
    c.addAll(List.of("--device", "virtio-serial,logFilePath=" + vm.consoleLog()));
    c.addAll(List.of("--device", "virtio-vsock,port=" + CONTROL_PORT + ",socketURL=" + vm.controlSocket()));
    for (VmConfig.Share s : vm.shares()) {
      c.addAll(List.of("--device", "virtio-fs,sharedDir=" + s.hostDir() + ",mountTag=" + s.tag()));
    }
    // vfkit (as documented) has no read-only flag for a disk: the guest mounts it read-only and
    // nodev, and the program cannot make device nodes (no CAP_MKNOD), so it cannot reach the disk.
    vm.rootDisk().ifPresent(disk -> c.addAll(List.of("--device", "virtio-blk,path=" + disk)));
    if (vm.network()) {
      c.addAll(List.of("--device", "virtio-net,nat"));
    }
    // vfkit's default endpoint is tcp://localhost:8081, which concurrent VMs would fight over.
    c.addAll(List.of("--restful-uri", restSocket.map(r -> "unix://" + r).orElse("none")));
    return List.copyOf(c);
  }
}
