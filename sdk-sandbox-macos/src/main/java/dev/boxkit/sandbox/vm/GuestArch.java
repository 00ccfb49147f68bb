package dev.boxkit.sandbox.vm;

import dev.boxkit.sandbox.InvalidSandboxSpecException;
import java.util.Locale;
import java.util.Optional;

/**
 * The CPU architecture of a VM guest: which guest agent goes into the initramfs, which
 * {@code qemu-system-<arch>} boots it and on which machine, and which kernel variable names its
 * kernel. The guest is the host's architecture unless chosen otherwise (an {@code aarch64} guest
 * on an x86-64 host runs under QEMU's TCG emulation: the guest that vfkit boots on Apple silicon).
 */
public enum GuestArch {
  /** x86-64: QEMU's {@code q35} machine, console {@code ttyS0}. */
  X86_64("x86_64", "qemu-system-x86", "linux-x86_64", "ttyS0", "BOXKIT_VM_KERNEL_AMD64", "amd64"),
  /** arm64: QEMU's {@code virt} machine, console {@code ttyAMA0} (the PL011 UART). */
  AARCH64("aarch64", "qemu-system-arm", "linux-aarch64", "ttyAMA0", "BOXKIT_VM_KERNEL_ARM64", "arm64");

  /** System property choosing the guest architecture of the default provider: {@code x86_64} or {@code aarch64}. */
  public static final String PROPERTY = "boxkit.vm.guestArch";

  private final String id;
  private final String qemuPackage;
  private final String agentPlatform;
  private final String serialConsole;
  private final String kernelEnv;
  private final String debianArch;

  GuestArch(String id, String qemuPackage, String agentPlatform, String serialConsole, String kernelEnv,
      String debianArch) {
    this.id = id;
    this.qemuPackage = qemuPackage;
    this.agentPlatform = agentPlatform;
    this.serialConsole = serialConsole;
    this.kernelEnv = kernelEnv;
    this.debianArch = debianArch;
  }

  /**
   * Kernel command line parameters that shorten a throwaway guest's boot without changing what
   * the sandbox sees: {@code cryptomgr.notests} skips the crypto self-tests the kernel runs on
   * every algorithm it registers (about 0.3 s of a TCG boot on either architecture; the host's
   * own kernel tested the same code), and on x86-64 {@code no_timer_check} skips probing the
   * IO-APIC timer for broken routing, which emulated hardware does not have (as Kata Containers'
   * guests boot). See the kernel's {@code Documentation/admin-guide/kernel-parameters.txt}.
   *
   * @return space-separated parameters, never empty
   */
  public String bootParameters() {
    return this == X86_64 ? "cryptomgr.notests no_timer_check" : "cryptomgr.notests";
  }

  /** @return the architecture as the kernel names it, {@code x86_64} or {@code aarch64} */
  public String id() {
    return id;
  }

  /** @return {@code qemu-system-x86_64} or {@code qemu-system-aarch64} */
  public String qemuProgram() {
    return "qemu-system-" + id;
  }

  /** @return the Debian package providing {@link #qemuProgram()} */
  public String qemuPackage() {
    return qemuPackage;
  }

  /** @return the resource directory of this architecture's bundled guest agent, e.g. {@code linux-aarch64} */
  String agentPlatform() {
    return agentPlatform;
  }

  /** @return the guest's first serial port as QEMU wires it, e.g. {@code ttyAMA0} */
  public String serialConsole() {
    return serialConsole;
  }

  /**
   * @return the environment variable naming a kernel of this architecture,
   *     {@code BOXKIT_VM_KERNEL_AMD64} or {@code BOXKIT_VM_KERNEL_ARM64}; {@value KernelImage#ENV}
   *     is used as well when the guest is the host's architecture
   */
  public String kernelEnv() {
    return kernelEnv;
  }

  /** @return Debian's name of the architecture, {@code amd64} or {@code arm64} */
  public String debianArch() {
    return debianArch;
  }

  /** @return the host JVM's architecture, empty on CPUs other than x86-64 and arm64 */
  public static Optional<GuestArch> host() {
    String arch = System.getProperty("os.arch", "");
    if (arch.equals("amd64") || arch.equals("x86_64")) {
      return Optional.of(X86_64);
    }
    if (arch.equals("aarch64") || arch.equals("arm64")) {
      return Optional.of(AARCH64);
    }
    return Optional.empty();
  }

  /** @return the host's architecture, or {@link #X86_64} on other CPUs (where no guest agent exists anyway) */
  static GuestArch hostOrDefault() {
    return host().orElse(X86_64);
  }

  /**
   * @param name {@code x86_64}/{@code amd64} or {@code aarch64}/{@code arm64}, any case
   * @return the architecture
   * @throws InvalidSandboxSpecException naming {@value #PROPERTY} on another value or null
   */
  public static GuestArch parse(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    return switch (n) {
      case "x86_64", "amd64", "x86-64" -> X86_64;
      case "aarch64", "arm64" -> AARCH64;
      default -> throw new InvalidSandboxSpecException(PROPERTY, "\"" + name + "\" is not x86_64 or aarch64");
    };
  }

  /**
   * @return the architecture {@value #PROPERTY} names, else the host's
   * @throws InvalidSandboxSpecException when the property has another value
   */
  static GuestArch configured() {
    String p = System.getProperty(PROPERTY);
    return p == null || p.isBlank() ? hostOrDefault() : parse(p);
  }
}
