package dev.boxkit.sandbox.cdi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A CDI spec for the host's NVIDIA GPUs, made up on the spot for hosts that have no spec of kind
 * {@value #KIND} (no {@code nvidia-ctk cdi generate} was run). It does what that command does at
 * its simplest:
 * <ul>
 *   <li>one device per {@code /dev/nvidiaN} node, named {@code N}, and a device {@code all} with
 *       every one of them;
 *   <li>for any of them (spec-level edits): the control nodes {@code /dev/nvidiactl}, {@code
 *       /dev/nvidia-uvm}, {@code /dev/nvidia-uvm-tools} and {@code /dev/nvidia-modeset} that
 *       exist; the driver's user-space libraries named in {@link #LIBRARIES} that {@code ldconfig
 *       -p} lists for the host's ABI, each bound read-only at its real path and again under each
 *       name {@code ldconfig} lists for it (so {@code libcuda.so.1} exists beside {@code
 *       libcuda.so.550.54.15}); and the programs in {@link #BINARIES} found in {@link
 *       #DEFAULT_BINARY_DIRS}, bound read-only.
 * </ul>
 * It does not cover what {@code nvidia-ctk} adds beyond that: MIG devices and {@code
 * /dev/nvidia-caps}, the hooks that update the sandbox's {@code ld.so.cache} and make the
 * libraries' symbolic links, libraries outside {@code ldconfig}'s cache (such as {@code
 * /usr/local/nvidia/lib64}), graphics and video libraries, firmware, and IPC sockets (the
 * persistenced and MPS sockets). Write a spec with {@code nvidia-ctk} for those.
 */
public final class NvidiaDiscovery {
  private NvidiaDiscovery() {}

  /** The kind this discovery stands in for. */
  public static final String KIND = "nvidia.com/gpu";

  /** Library name prefixes bound when {@code ldconfig -p} lists them: the compute driver. */
  public static final List<String> LIBRARIES = List.of("libcuda.so", "libcudadebugger.so",
      "libnvidia-ml.so", "libnvidia-ptxjitcompiler.so", "libnvidia-nvvm.so", "libnvidia-cfg.so",
      "libnvidia-gpucomp.so", "libnvidia-opencl.so");

  /** Programs bound when found. */
  public static final List<String> BINARIES = List.of("nvidia-smi", "nvidia-debugdump",
      "nvidia-persistenced", "nvidia-cuda-mps-control", "nvidia-cuda-mps-server");

  /** Where {@link #BINARIES} are looked for, in order. */
  public static final List<Path> DEFAULT_BINARY_DIRS = List.of(Path.of("/usr/bin"), Path.of("/usr/sbin"),
      Path.of("/usr/local/bin"), Path.of("/bin"), Path.of("/sbin"));

  /** Control nodes every GPU device needs, when the host has them. */
  static final List<String> CONTROL_NODES = List.of("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset");

  private static final Pattern GPU_NODE = Pattern.compile("nvidia([0-9]+)");
  /** A line of {@code ldconfig -p}: {@code \tNAME (FLAGS) => PATH}. */
  private static final Pattern LDCONFIG_LINE = Pattern.compile("^\\s*(\\S+)\\s+\\(([^)]*)\\)(?:.*)?\\s+=>\\s+(/.*?)\\s*$");

  /**
   * Discovers the host's GPUs: {@code /dev}, the output of {@code ldconfig -p} (from {@code
   * /sbin/ldconfig} or {@code /usr/sbin/ldconfig}; no libraries when neither runs) and {@link
   * #DEFAULT_BINARY_DIRS}.
   *
   * @return the spec, or empty when the host has no {@code /dev/nvidiaN} node
   */
  public static Optional<CdiSpec> discoverHost() {
    return discover(Path.of("/dev"), ldconfigOutput(), DEFAULT_BINARY_DIRS);
  }

  /**
   * Discovers GPUs from given inputs (so tests can give fake ones).
   *
   * @param devDir the directory holding the {@code nvidia*} nodes, normally {@code /dev}; the
   *     spec's {@code hostPath}s are in it and its {@code path}s in {@code /dev}
   * @param ldconfigOutput what {@code ldconfig -p} printed; empty for no libraries
   * @param binaryDirs where to look for {@link #BINARIES}
   * @return the spec (with origin {@code "built-in NVIDIA discovery"}), or empty when {@code
   *     devDir} holds no {@code nvidiaN}
   */
  public static Optional<CdiSpec> discover(Path devDir, String ldconfigOutput, List<Path> binaryDirs) {
    return discover(devDir, ldconfigOutput, binaryDirs, hostAbi());
  }

  /** @param abi the {@code ldconfig -p} flag of the host's ABI, e.g. {@code x86-64} */
  static Optional<CdiSpec> discover(Path devDir, String ldconfigOutput, List<Path> binaryDirs, String abi) {
    List<String> gpus = new ArrayList<>();
    try (Stream<Path> s = Files.list(devDir)) {
      s.map(p -> p.getFileName().toString()).filter(n -> GPU_NODE.matcher(n).matches())
          .sorted((a, b) -> Integer.compare(Integer.parseInt(a.substring(6)), Integer.parseInt(b.substring(6))))
          .forEach(gpus::add);
    } catch (IOException e) {
      return Optional.empty();
    }
    if (gpus.isEmpty()) {
      return Optional.empty();
    }
    List<Object> devices = new ArrayList<>();
    List<Object> allNodes = new ArrayList<>();
    for (String gpu : gpus) {
      Map<String, Object> node = node(devDir, gpu);
      allNodes.add(node);
      devices.add(Map.of("name", gpu.substring(6), "containerEdits", Map.of("deviceNodes", List.of(node))));
    }
    devices.add(Map.of("name", CdiName.ALL, "containerEdits", Map.of("deviceNodes", allNodes)));
    List<Object> control = new ArrayList<>();
    for (String n : CONTROL_NODES) {
      if (Files.exists(devDir.resolve(n), LinkOption.NOFOLLOW_LINKS)) {
        control.add(node(devDir, n));
      }
    }
    List<Object> mounts = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (String[] lib : libraries(ldconfigOutput, abi)) {
      Path real;
      try {
        real = Path.of(lib[1]).toRealPath();
      } catch (IOException | RuntimeException e) {
        continue; // listed in the cache but gone: nothing to bind
      }
      addMount(mounts, seen, real, real.toString());
      addMount(mounts, seen, real, real.getParent().resolve(lib[0]).toString());
    }
    for (String bin : BINARIES) {
      for (Path dir : binaryDirs) {
        Path p = dir.resolve(bin);
        if (Files.isRegularFile(p)) {
          try {
            addMount(mounts, seen, p.toRealPath(), p.toString());
          } catch (IOException e) {
            continue;
          }
          break;
        }
      }
    }
    Map<String, Object> edits = new LinkedHashMap<>();
    edits.put("deviceNodes", control);
    edits.put("mounts", mounts);
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("cdiVersion", "0.5.0");
    doc.put("kind", KIND);
    doc.put("devices", devices);
    doc.put("containerEdits", edits);
    return Optional.of(CdiSpec.of("built-in NVIDIA discovery", dev.boxkit.oci.json.OciJson.tree(doc)));
  }

  private static Map<String, Object> node(Path devDir, String name) {
    return Map.of("path", "/dev/" + name, "hostPath", devDir.resolve(name).toString());
  }

  private static void addMount(List<Object> mounts, Set<String> seen, Path host, String inside) {
    if (seen.add(inside)) {
      mounts.add(Map.of("hostPath", host.toString(), "containerPath", inside,
          "options", List.of("ro", "nosuid", "nodev", "bind")));
    }
  }

  /**
   * @return {name, path} of each library of {@link #LIBRARIES} that {@code ldconfig -p} lists
   *     for {@code abi}, in the order listed
   */
  static List<String[]> libraries(String ldconfigOutput, String abi) {
    List<String[]> out = new ArrayList<>();
    for (String line : ldconfigOutput.split("\n")) {
      Matcher m = LDCONFIG_LINE.matcher(line);
      if (!m.matches()) {
        continue;
      }
      String name = m.group(1);
      boolean sameAbi = abi.isEmpty() || List.of(m.group(2).split(",")).contains(abi);
      if (sameAbi && LIBRARIES.stream().anyMatch(name::startsWith)) {
        out.add(new String[] {name, m.group(3)});
      }
    }
    return out;
  }

  /** @return the flag {@code ldconfig -p} gives the host's own ABI, or empty for any */
  static String hostAbi() {
    return switch (System.getProperty("os.arch")) {
      case "amd64", "x86_64" -> "x86-64";
      case "aarch64", "arm64" -> "AArch64";
      default -> "";
    };
  }

  private static String ldconfigOutput() {
    for (String exe : List.of("/sbin/ldconfig", "/usr/sbin/ldconfig")) {
      if (!Files.isExecutable(Path.of(exe))) {
        continue;
      }
      try {
        Process p = new ProcessBuilder(exe, "-p").redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return new String(out, StandardCharsets.UTF_8);
        }
        p.destroyForcibly();
      } catch (IOException e) {
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "";
      }
    }
    return "";
  }
}
