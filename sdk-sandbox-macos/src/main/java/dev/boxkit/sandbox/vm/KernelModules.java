package dev.boxkit.sandbox.vm;

import dev.boxkit.sandbox.SandboxException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The loadable modules of one kernel ({@code /lib/modules/<version>}), indexed by module name,
 * with dependencies read from each module's own {@code .modinfo} section ({@code depends=}), so no
 * {@code modules.dep} (written by {@code depmod} at package installation) is needed.
 */
final class KernelModules {
  private final Map<String, Path> byName;

  private KernelModules(Map<String, Path> byName) {
    this.byName = byName;
  }

  /**
   * @param dir a {@code lib/modules/<version>} directory
   * @throws SandboxException when it cannot be read
   */
  static KernelModules index(Path dir) {
    Map<String, Path> byName = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      files.filter(p -> p.getFileName().toString().endsWith(".ko") && Files.isRegularFile(p))
          .forEach(p -> byName.putIfAbsent(moduleName(p), p));
    } catch (IOException | UncheckedIOException e) {
      throw new SandboxException("indexing kernel modules under " + dir, e);
    }
    return new KernelModules(byName);
  }

  private static String moduleName(Path ko) {
    String file = ko.getFileName().toString();
    return file.substring(0, file.length() - 3).replace('-', '_');
  }

  /** @return the module file, if this kernel has it as a module */
  Optional<Path> find(String name) {
    return Optional.ofNullable(byName.get(name.replace('-', '_')));
  }

  /**
   * @param names modules wanted, each present in this index
   * @return those modules and everything they depend on, each after its dependencies
   * @throws SandboxException when a module or a dependency is missing or unreadable
   */
  List<Path> loadOrder(List<String> names) {
    Set<String> ordered = new LinkedHashSet<>();
    for (String n : names) {
      visit(n.replace('-', '_'), ordered, new LinkedHashSet<>());
    }
    List<Path> paths = new ArrayList<>();
    ordered.forEach(n -> paths.add(byName.get(n)));
    return paths;
  }

  private void visit(String name, Set<String> ordered, Set<String> path) {
    if (ordered.contains(name)) {
      return;
    }
    Path ko = byName.get(name);
    if (ko == null) {
      throw new SandboxException("kernel module " + name + " not found (needed by " + path + ")");
    }
    if (!path.add(name)) {
      throw new SandboxException("kernel module dependency cycle: " + path);
    }
    for (String dep : dependencies(ko)) {
      visit(dep, ordered, path);
    }
    path.remove(name);
    ordered.add(name);
  }

  private static final byte[] SIGNATURE_MARKER = "~Module signature appended~\n".getBytes(StandardCharsets.US_ASCII);

  /**
   * A module file without its appended signature: the kernel then loads it without checking the
   * signature (an RSA verification per module, 10-20 ms each under TCG; it only taints the kernel
   * when {@code CONFIG_MODULE_SIG_FORCE} is off, as in Debian's kernels, and lockdown is off, as
   * without EFI secure boot). The modules come from the host's kernel package beside the kernel
   * image the host chose, so the guest's check adds nothing. Layout: {@code scripts/sign-file.c}
   * and {@code include/linux/module_signature.h}: the module, the PKCS#7 signature, a 12-byte
   * {@code struct module_signature} ending in the big-endian signature length, the marker
   * {@code ~Module signature appended~\n}.
   *
   * @param ko the module's bytes
   * @return the unsigned module, or {@code ko} itself when it carries no (well-formed) signature
   */
  static byte[] unsigned(byte[] ko) {
    int m = SIGNATURE_MARKER.length;
    if (ko.length < m + 12 || !java.util.Arrays.equals(ko, ko.length - m, ko.length, SIGNATURE_MARKER, 0, m)) {
      return ko;
    }
    long sigLen = Integer.toUnsignedLong(ByteBuffer.wrap(ko, ko.length - m - 4, 4).order(ByteOrder.BIG_ENDIAN).getInt());
    long end = ko.length - m - 12L - sigLen;
    return end <= 0 ? ko : java.util.Arrays.copyOf(ko, (int) end);
  }

  /**
   * @return the {@code depends=} list of a 64-bit little-endian ELF module
   * @throws SandboxException when the file is not such a module
   */
  static List<String> dependencies(Path ko) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(ko);
    } catch (IOException e) {
      throw new SandboxException("reading kernel module " + ko, e);
    }
    String modinfo = section(ko, bytes, ".modinfo");
    for (String entry : modinfo.split("\0")) {
      if (entry.startsWith("depends=")) {
        String deps = entry.substring("depends=".length());
        return deps.isEmpty() ? List.of() : List.of(deps.split(","));
      }
    }
    return List.of();
  }

  private static String section(Path ko, byte[] bytes, String wanted) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.length < 64 || b.getInt(0) != 0x464c457f || bytes[4] != 2 || bytes[5] != 1) {
      throw new SandboxException("kernel module " + ko + " is not a 64-bit little-endian ELF file"
          + " (compressed modules are not supported: use a kernel with CONFIG_MODULE_COMPRESS_NONE)");
    }
    try {
      long shoff = b.getLong(0x28);
      int shentsize = Short.toUnsignedInt(b.getShort(0x3A));
      int shnum = Short.toUnsignedInt(b.getShort(0x3C));
      int shstrndx = Short.toUnsignedInt(b.getShort(0x3E));
      int strtab = Math.toIntExact(b.getLong(Math.toIntExact(shoff + (long) shstrndx * shentsize + 0x18)));
      for (int i = 0; i < shnum; i++) {
        int sh = Math.toIntExact(shoff + (long) i * shentsize);
        int nameOff = strtab + b.getInt(sh);
        int end = nameOff;
        while (bytes[end] != 0) {
          end++;
        }
        if (new String(bytes, nameOff, end - nameOff, StandardCharsets.US_ASCII).equals(wanted)) {
          int off = Math.toIntExact(b.getLong(sh + 0x18));
          int size = Math.toIntExact(b.getLong(sh + 0x20));
          return new String(bytes, off, size, StandardCharsets.UTF_8);
        }
      }
    } catch (IndexOutOfBoundsException | ArithmeticException e) {
      throw new SandboxException("kernel module " + ko + " has malformed ELF section headers", e);
    }
    return "";
  }
}
