package dev.boxkit.sandbox.vm;

import dev.boxkit.sandbox.SandboxUnavailableException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * QEMU on Linux, for one {@link GuestArch}: an x86-64 guest on a {@code q35} machine, an arm64
 * guest on a {@code virt} machine ({@code cortex-a57} under TCG, whose emulation skips the pointer
 * authentication that {@code -cpu max} would make QEMU emulate); KVM when {@code /dev/kvm} is
 * usable and the guest is the host's architecture, TCG (emulation, much slower) otherwise. The
 * console is the first serial port ({@link GuestArch#serialConsole()}) written to a file; the
 * control channel a virtio-serial port named {@value #CONTROL_PORT} connected to the host's
 * listening Unix socket; each share is served by its own {@code virtiofsd} (QEMU's
 * {@code vhost-user-fs-pci}, which needs the guest memory shared through a memfd). Devices are PCI
 * on both machines.
 *
 * @param arch the guest's architecture
 * @param qemu the {@code qemu-system-<arch>} program
 * @param virtiofsd the {@code virtiofsd} program, empty when absent (VMs then cannot have shares)
 * @param kvm whether to use KVM
 * @param firmware the x86 firmware to boot with ({@code -bios}), empty for QEMU's default (SeaBIOS);
 *     {@link #forGuest} picks QEMU's own {@code qboot.rom} where it is installed: a minimal
 *     firmware for direct kernel boot that reaches the kernel about 150 ms sooner under TCG
 */
public record QemuHypervisor(GuestArch arch, Path qemu, Optional<Path> virtiofsd, boolean kvm,
    Optional<Path> firmware) implements Hypervisor {

  /** Name of the virtio-serial port carrying the control channel. */
  public static final String CONTROL_PORT = "boxkit.ctl";

  /** Places Debian (qemu-system-common) and Fedora put virtiofsd when it is not on PATH. */
  private static final List<String> VIRTIOFSD_PLACES = List.of("/usr/lib/qemu/virtiofsd", "/usr/libexec/virtiofsd");

  /** @throws IllegalArgumentException when an argument is null */
  public QemuHypervisor {
    if (arch == null || qemu == null || virtiofsd == null || firmware == null) {
      throw new IllegalArgumentException("arch, qemu, virtiofsd and firmware must not be null");
    }
  }

  /**
   * QEMU with its default firmware.
   *
   * @throws IllegalArgumentException when an argument is null
   */
  public QemuHypervisor(GuestArch arch, Path qemu, Optional<Path> virtiofsd, boolean kvm) {
    this(arch, qemu, virtiofsd, kvm, Optional.empty());
  }

  /**
   * @return QEMU for the host's architecture, as {@link #forGuest} finds it
   */
  public static QemuHypervisor onHost() {
    return forGuest(GuestArch.hostOrDefault());
  }

  /**
   * @param arch the guest's architecture
   * @return {@code qemu-system-<arch>} as found on {@code PATH} (the path is returned even when
   *     absent; {@link #unavailableReason()} says so), with KVM when the guest is the host's
   *     architecture, {@code /dev/kvm} is readable and writable, on x86-64 the CPU has the
   *     {@code vmx} or {@code svm} flag in {@code /proc/cpuinfo}, and a paused KVM machine survives
   *     {@value #KVM_PROBE_MILLIS} ms (nested virtualisation often exposes a {@code /dev/kvm} on
   *     which vCPU set-up fails, or one without VT-x/AMD-V under it where guests hang at boot)
   * @throws IllegalArgumentException when arch is null
   */
  public static QemuHypervisor forGuest(GuestArch arch) {
    if (arch == null) {
      throw new IllegalArgumentException("arch must not be null");
    }
    String program = arch.qemuProgram();
    Path qemu = onPath(program).orElse(Path.of("/usr/bin", program));
    Optional<Path> virtiofsd = onPath("virtiofsd");
    for (String place : VIRTIOFSD_PLACES) {
      if (virtiofsd.isEmpty() && Files.isExecutable(Path.of(place))) {
        virtiofsd = Optional.of(Path.of(place));
      }
    }
    Path kvm = Path.of("/dev/kvm");
    boolean useKvm = GuestArch.host().equals(Optional.of(arch)) && Files.isReadable(kvm) && Files.isWritable(kvm)
        && hardwareVirtualization(arch) && Files.isExecutable(qemu) && kvmWorks(qemu, arch);
    return new QemuHypervisor(arch, qemu, virtiofsd, useKvm, arch == GuestArch.X86_64 ? qboot(qemu) : Optional.empty());
  }

  /**
   * QEMU's data directory is {@code ../share/qemu} from its binary (Debian's qemu-system-data,
   * Homebrew, a source build); {@code qboot.rom} is there when the build included it.
   */
  private static Optional<Path> qboot(Path qemu) {
    try {
      Path bin = qemu.toRealPath().getParent();
      Path rom = bin == null || bin.getParent() == null ? null : bin.getParent().resolve("share/qemu/qboot.rom");
      return rom != null && Files.isRegularFile(rom) ? Optional.of(rom) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * A paused machine runs no guest code, so it cannot tell a {@code /dev/kvm} without VT-x or
   * AMD-V under it (where the guest hangs at boot) from a working one; the CPU flags can.
   */
  private static boolean hardwareVirtualization(GuestArch arch) {
    if (arch != GuestArch.X86_64) {
      return true; // arm64 lists no such flag: the probe decides
    }
    try {
      return hasVirtualizationFlag(Files.readString(Path.of("/proc/cpuinfo")));
    } catch (IOException e) {
      return false;
    }
  }

  /** @return whether an x86 {@code /proc/cpuinfo}'s first {@code flags} line has {@code vmx} or {@code svm} */
  static boolean hasVirtualizationFlag(String cpuinfo) {
    for (String line : cpuinfo.split("\n")) {
      if (line.startsWith("flags")) {
        int colon = line.indexOf(':');
        List<String> flags = List.of(line.substring(colon + 1).trim().split("\\s+"));
        return flags.contains("vmx") || flags.contains("svm");
      }
    }
    return false;
  }

  /** How long a paused KVM machine must stay up for KVM to count as working. */
  static final long KVM_PROBE_MILLIS = 500;

  private static boolean kvmWorks(Path qemu, GuestArch arch) {
    try {
      Process p = new ProcessBuilder(qemu.toString(), "-nodefaults", "-no-user-config", "-display", "none",
          "-machine", machine(arch) + ",accel=kvm", "-cpu", "host", "-m", "64M", "-S", "-monitor", "none", "-serial", "none")
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      boolean exited = p.waitFor(KVM_PROBE_MILLIS, TimeUnit.MILLISECONDS);
      p.destroyForcibly();
      p.waitFor();
      return !exited;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static String machine(GuestArch arch) {
    return arch == GuestArch.AARCH64 ? "virt" : "q35";
  }

  private static Optional<Path> onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = dir.isEmpty() ? null : Path.of(dir, program);
      if (p != null && Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  @Override
  public String name() {
    return "qemu";
  }

  @Override
  public GuestArch guestArch() {
    return arch;
  }

  /** QEMU's {@code -kernel} boots an ELF with a PVH note on x86 machines (QEMU 4.0 and later). */
  @Override
  public boolean bootsPvhElf() {
    return arch == GuestArch.X86_64;
  }

  @Override
  public Optional<String> unavailableReason() {
    if (!System.getProperty("os.name", "").equals("Linux")) {
      return Optional.of("QEMU VMs are only driven on Linux hosts");
    }
    if (!Files.isExecutable(qemu)) {
      return Optional.of(qemu + " not found: install the Debian package " + arch.qemuPackage());
    }
    return Optional.empty();
  }

  @Override
  public Map<String, String> kernelFeatures(boolean shares) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("VIRTIO_PCI", "virtio_pci");
    f.put("VIRTIO_CONSOLE", "virtio_console");
    f.put("VIRTIO_BALLOON", "virtio_balloon");
    if (shares) {
      f.put("VIRTIO_FS", "virtiofs");
    }
    return f;
  }

  @Override
  public String kernelParameters() {
    return "console=" + arch.serialConsole() + " boxkit.ctl=serial:" + CONTROL_PORT;
  }

  @Override
  public List<List<String>> helperCommands(List<VmConfig.Share> shares) {
    List<List<String>> helpers = new ArrayList<>();
    for (VmConfig.Share s : shares) {
      Path daemon = virtiofsd.orElseThrow(() -> new SandboxUnavailableException(
          "virtiofsd not found (Debian: package qemu-system-common, /usr/lib/qemu/virtiofsd): VM binds need it"));
      // sandbox=chroot: virtiofsd's namespace sandbox needs privileges containers often lack.
      helpers.add(List.of(daemon.toString(), "--socket-path=" + s.socket(), "-o", "source=" + s.hostDir(),
          "-o", "cache=none", "-o", "sandbox=chroot", "-o", "no_posix_lock", "-o", "no_flock"));
    }
    return helpers;
  }

  @Override
  public List<String> command(VmConfig vm) {
    List<String> c = new ArrayList<>();
    long mib = vm.memoryMib();
    c.add(qemu.toString());
    c.addAll(List.of("-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"));
    // gic-version=max: under KVM the host's GIC, which need not be virt's default GICv2.
    String gic = arch == GuestArch.AARCH64 && kvm ? ",gic-version=max" : "";
    c.addAll(List.of("-machine", machine(arch) + ",accel=" + (kvm ? "kvm" : "tcg") + gic + ",memory-backend=mem"));
    c.addAll(List.of("-cpu", kvm ? "host" : arch == GuestArch.AARCH64 ? "cortex-a57" : "max"));
    c.addAll(List.of("-smp", Integer.toString(vm.cpus()), "-m", mib + "M"));
    firmware.ifPresent(rom -> c.addAll(List.of("-bios", rom.toString())));
    c.addAll(List.of("-object", "memory-backend-memfd,id=mem,size=" + mib + "M,share=on"));
    c.addAll(List.of("-kernel", vm.kernel().toString(), "-initrd", vm.initrd().toString()));
    c.addAll(List.of("-append", vm.cmdline().isEmpty() ? kernelParameters() : vm.cmdline() + " " + kernelParameters()));
    c.addAll(List.of("-serial", "file:" + vm.consoleLog()));
    // max_ports=2 (port 0 is reserved for a console, the control port is 1): the default 31 ports
    // make the guest driver set up 64 virtqueues, which cost ~10-30 ms of module loading under TCG.
    c.addAll(List.of("-device", "virtio-serial-pci,id=vser,max_ports=2"));
    c.addAll(List.of("-chardev", "socket,id=ctl,path=" + vm.controlSocket()));
    c.addAll(List.of("-device", "virtserialport,bus=vser.0,chardev=ctl,name=" + CONTROL_PORT));
    for (int i = 0; i < vm.shares().size(); i++) {
      VmConfig.Share s = vm.shares().get(i);
      c.addAll(List.of("-chardev", "socket,id=fs" + i + ",path=" + s.socket()));
      c.addAll(List.of("-device", "vhost-user-fs-pci,queue-size=1024,chardev=fs" + i + ",tag=" + s.tag()));
    }
    vm.rootDisk().ifPresent(disk -> {
      // Read-only at the host too: the guest cannot write the cached image other VMs boot from.
      c.addAll(List.of("-drive", "file=" + disk + ",if=none,id=root,format=raw,readonly=on"));
      c.addAll(List.of("-device", "virtio-blk-pci,drive=root"));
    });
    // Free page reporting: the guest hands pages it frees back (QEMU discards them), so a VM's
    // host memory follows what its programs use now, not the most they ever touched.
    c.addAll(List.of("-device", "virtio-balloon-pci,free-page-reporting=on"));
    if (vm.network()) {
      c.addAll(List.of("-nic", "user,model=virtio-net-pci"));
    } else {
      c.addAll(List.of("-nic", "none"));
    }
    return List.copyOf(c);
  }
}
