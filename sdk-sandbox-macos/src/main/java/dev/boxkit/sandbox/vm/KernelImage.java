package dev.boxkit.sandbox.vm;

import dev.boxkit.sandbox.SandboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The guest kernel: a bootable image plus, where the kernel has them, its loadable modules and
 * build configuration.
 *
 * <p>Two sources are tested. BoxKit's own kernel, which {@code
 * sdk-sandbox-macos/scripts/build-kernel.sh D [x86_64|aarch64]} builds from Debian's {@code
 * linux-source-6.1} with every driver built in, lays out {@code D/boot/vmlinuz-<release>} and
 * {@code D/boot/config-<release>} and has no modules; it boots fastest. Debian's {@code
 * linux-image-<version>-cloud-amd64} package (or {@code -arm64}): {@code apt-get download} it,
 * {@code dpkg-deb -x} it into a directory {@code D}, and point {@code BOXKIT_VM_KERNEL} at {@code
 * D/boot/vmlinuz-<version>}; {@code D/lib/modules/<version>} and {@code D/boot/config-<version>}
 * are then found beside it. On Apple silicon, vfkit needs an uncompressed arm64 {@code Image}
 * (what the script builds for {@code aarch64}).
 *
 * @param kernel the kernel image file
 * @param modules the {@code lib/modules/<version>} directory, empty when every driver is built in
 * @param config the kernel's {@code config-<version>} file, empty when unknown (features are then
 *     not checked before boot)
 */
public record KernelImage(Path kernel, Optional<Path> modules, Optional<Path> config) {

  /** Environment variable naming the kernel image. */
  public static final String ENV = "BOXKIT_VM_KERNEL";

  /** @throws SandboxException when a path is null or the kernel is not a readable file */
  public KernelImage {
    if (kernel == null || modules == null || config == null) {
      throw new SandboxException("kernel image paths must not be null");
    }
    if (!Files.isRegularFile(kernel) || !Files.isReadable(kernel)) {
      throw new SandboxException("VM kernel " + kernel + " is not a readable file");
    }
  }

  /**
   * Uses a kernel image, finding {@code ../lib/modules/<version>} and {@code config-<version>}
   * beside a {@code boot/vmlinuz-<version>} path when they exist.
   *
   * @param kernel the kernel image file
   * @throws SandboxException when it is not a readable file
   */
  public static KernelImage of(Path kernel) {
    Path abs = kernel.toAbsolutePath().normalize();
    String file = abs.getFileName().toString();
    Optional<Path> modules = Optional.empty();
    Optional<Path> config = Optional.empty();
    int dash = file.indexOf('-');
    if (dash > 0 && abs.getParent() != null) {
      String version = file.substring(dash + 1);
      Path cfg = abs.getParent().resolve("config-" + version);
      config = Files.isRegularFile(cfg) ? Optional.of(cfg) : Optional.empty();
      Path root = abs.getParent().getParent();
      if (root != null && Files.isDirectory(root.resolve("lib/modules").resolve(version))) {
        modules = Optional.of(root.resolve("lib/modules").resolve(version));
      }
    }
    return new KernelImage(abs, modules, config);
  }

  /** @return the kernel named by {@value #ENV}, if set (a kernel for the host's architecture) */
  public static Optional<KernelImage> fromEnvironment() {
    return fromEnvironment(GuestArch.hostOrDefault());
  }

  /**
   * @param arch the guest's architecture
   * @return the kernel named by that architecture's variable ({@link GuestArch#kernelEnv()},
   *     e.g. {@code BOXKIT_VM_KERNEL_ARM64}), else, when it is the host's architecture, by
   *     {@value #ENV}; empty when neither is set
   * @throws SandboxException when the variable names no readable file
   */
  public static Optional<KernelImage> fromEnvironment(GuestArch arch) {
    String path = System.getenv(arch.kernelEnv());
    if ((path == null || path.isBlank()) && arch == GuestArch.hostOrDefault()) {
      path = System.getenv(ENV);
    }
    return path == null || path.isBlank() ? Optional.empty() : Optional.of(of(Path.of(path)));
  }

  /**
   * The kernel as a hypervisor boots it fastest. For one that boots an x86 {@code vmlinux} ELF
   * through its PVH entry ({@link Hypervisor#bootsPvhElf()}, QEMU), a {@code bzImage}'s kernel
   * unpacked once into {@code ~/.cache/boxkit/vm-kernel} (about 0.3 s for Debian's cloud kernel),
   * which spares every boot the image's own decompressor under emulation;
   * else, or when the image cannot be unpacked or the caches are off ({@code BOXKIT_VM_CACHE=off}),
   * this kernel. Modules and config stay those of this kernel.
   *
   * @param hypervisor the hypervisor that will boot it
   * @return a kernel image, never null; this one when there is nothing to gain
   */
  public KernelImage bootableBy(Hypervisor hypervisor) {
    if (!hypervisor.bootsPvhElf()) {
      return this;
    }
    return PvhKernel.cacheFromEnvironment().flatMap(c -> PvhKernel.of(kernel, c))
        .map(elf -> new KernelImage(elf, modules, config)).orElse(this);
  }

  /**
   * Reads the image's boot header: an arm64 {@code Image} carries {@code ARM\x64} at offset 0x38,
   * an x86 {@code bzImage} {@code HdrS} at 0x202.
   *
   * @return the architecture the image boots on, empty when unrecognised (compressed, say)
   */
  public Optional<GuestArch> imageArch() {
    byte[] head = new byte[0x206];
    int n;
    try (var in = Files.newInputStream(kernel)) {
      n = in.readNBytes(head, 0, head.length);
    } catch (IOException e) {
      return Optional.empty();
    }
    if (n >= 0x3c && head[0x38] == 'A' && head[0x39] == 'R' && head[0x3a] == 'M' && head[0x3b] == 0x64) {
      return Optional.of(GuestArch.AARCH64);
    }
    if (n >= 0x206 && head[0x202] == 'H' && head[0x203] == 'd' && head[0x204] == 'r' && head[0x205] == 'S') {
      return Optional.of(GuestArch.X86_64);
    }
    return Optional.empty();
  }

  /**
   * The modules the guest must load for a set of kernel features, in load order.
   *
   * @param features Kconfig symbols without {@code CONFIG_} (e.g. {@code VIRTIO_CONSOLE}) mapped to
   *     the module that provides each when it is not built in
   * @return module files, each after its dependencies; empty when all are built in
   * @throws SandboxException naming the feature when the kernel lacks it (not built in, no module)
   */
  List<Path> modulesFor(Map<String, String> features) {
    Map<String, String> cfg = readConfig();
    Optional<KernelModules> index = modules.map(KernelModules::index);
    List<String> wanted = new ArrayList<>();
    for (Map.Entry<String, String> f : features.entrySet()) {
      String state = cfg.get(f.getKey());
      if ("y".equals(state)) {
        continue;
      }
      boolean present = index.flatMap(i -> i.find(f.getValue())).isPresent();
      if (present) {
        wanted.add(f.getValue());
      } else if (!cfg.isEmpty() || index.isPresent()) {
        throw new SandboxException("VM kernel " + kernel + " lacks CONFIG_" + f.getKey()
            + (("m".equals(state)) ? " (a module, but " + f.getValue() + ".ko is not under "
                + modules.map(Path::toString).orElse("any modules directory") + ")"
                : " (neither built in nor a module)")
            + ": use a kernel with it, e.g. Debian's linux-image-*-cloud-amd64 or -cloud-arm64");
      }
    }
    return index.map(i -> i.loadOrder(wanted)).orElse(List.of());
  }

  private Map<String, String> readConfig() {
    Map<String, String> cfg = new TreeMap<>();
    if (config.isEmpty()) {
      return cfg;
    }
    try {
      for (String line : Files.readAllLines(config.get())) {
        int eq = line.indexOf('=');
        if (line.startsWith("CONFIG_") && eq > 0) {
          cfg.put(line.substring("CONFIG_".length(), eq), line.substring(eq + 1));
        }
      }
    } catch (IOException e) {
      throw new SandboxException("reading kernel config " + config.get(), e);
    }
    return cfg;
  }
}
