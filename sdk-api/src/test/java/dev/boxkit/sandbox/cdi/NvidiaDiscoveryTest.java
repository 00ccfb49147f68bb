package dev.boxkit.sandbox.cdi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built-in NVIDIA discovery, fed a fake /dev, a fake {@code ldconfig -p} and fake binaries. */
class NvidiaDiscoveryTest {
  @TempDir Path tmp;

  @Test
  void nodesLibrariesAndBinariesBecomeASpec() throws Exception {
    tmp = tmp.toRealPath();
    Path dev = Files.createDirectories(tmp.resolve("dev"));
    for (String n : List.of("nvidia0", "nvidia1", "nvidia10", "nvidiactl", "nvidia-uvm", "nvidia-caps", "null")) {
      Files.createFile(dev.resolve(n));
    }
    Path lib = Files.createDirectories(tmp.resolve("usr/lib/x86_64-linux-gnu"));
    Path cuda = Files.writeString(lib.resolve("libcuda.so.550.54.15"), "ELF");
    Files.createSymbolicLink(lib.resolve("libcuda.so.1"), cuda.getFileName());
    Files.writeString(lib.resolve("libnvidia-ml.so.1"), "ELF");
    Path lib32 = Files.createDirectories(tmp.resolve("usr/lib/i386-linux-gnu"));
    Files.writeString(lib32.resolve("libcuda.so.1"), "ELF");
    Path bin = Files.createDirectories(tmp.resolve("usr/bin"));
    Files.writeString(bin.resolve("nvidia-smi"), "#!");
    String ldconfig = """
        1234 libs found in cache `/etc/ld.so.cache'
        \tlibz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1
        \tlibnvidia-ml.so.1 (libc6,x86-64) => %s/libnvidia-ml.so.1
        \tlibcuda.so.1 (libc6,x86-64, OS ABI: Linux 3.2.0) => %s/libcuda.so.1
        \tlibcuda.so.1 (libc6) => %s/libcuda.so.1
        \tlibnvidia-gone.so.1 (libc6,x86-64) => %s/libnvidia-ml.so.9
        """.formatted(lib, lib, lib32, lib);

    CdiSpec s = NvidiaDiscovery.discover(dev, ldconfig, List.of(tmp.resolve("nowhere"), bin), "x86-64").orElseThrow();
    assertEquals("nvidia.com/gpu", s.kind());
    assertEquals("built-in NVIDIA discovery", s.origin());
    assertEquals(List.of("0", "1", "10", "all"), s.devices().stream().map(CdiSpec.Device::name).toList(),
        "numeric order, then all");
    assertEquals(List.of(new CdiSpec.DeviceNode("/dev/nvidia1", dev.resolve("nvidia1").toString(),
        null, null, null, null, null, null, null)), s.devices().get(1).containerEdits().deviceNodes());
    assertEquals(3, s.devices().get(3).containerEdits().deviceNodes().size());
    assertEquals(List.of("/dev/nvidiactl", "/dev/nvidia-uvm"),
        s.containerEdits().deviceNodes().stream().map(CdiSpec.DeviceNode::path).toList(), "the control nodes there are");
    assertEquals(List.of(
        cuda + " -> " + cuda,
        cuda + " -> " + lib.resolve("libcuda.so.1"),
        lib.resolve("libnvidia-ml.so.1") + " -> " + lib.resolve("libnvidia-ml.so.1"),
        bin.resolve("nvidia-smi") + " -> " + bin.resolve("nvidia-smi")).stream().sorted().toList(),
        s.containerEdits().mounts().stream().map(m -> m.hostPath() + " -> " + m.containerPath()).sorted().toList(),
        "real files at their real paths and at their ldconfig names; the other ABI's and missing ones left out");
    assertTrue(s.containerEdits().mounts().stream().allMatch(m -> m.options().contains("ro")), "read-only");
    assertTrue(s.containerEdits().hooks().isEmpty() && s.containerEdits().env().isEmpty());
  }

  @Test
  void noGpuNodeNoSpec() throws Exception {
    Path dev = Files.createDirectories(tmp.resolve("dev"));
    Files.createFile(dev.resolve("nvidiactl"));
    assertEquals(Optional.empty(), NvidiaDiscovery.discover(dev, "", List.of()));
    assertEquals(Optional.empty(), NvidiaDiscovery.discover(tmp.resolve("missing"), "", List.of()));
  }

  @Test
  void ldconfigLinesAreFilteredByAbiAndName() {
    String out = "\tlibcuda.so (libc6,AArch64) => /usr/lib/aarch64-linux-gnu/libcuda.so\n"
        + "\tlibcuda.so (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so\n"
        + "\tlibcudart.so.12 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudart.so.12\n";
    assertEquals("libcuda.so=/usr/lib/aarch64-linux-gnu/libcuda.so",
        NvidiaDiscovery.libraries(out, "AArch64").stream().map(l -> l[0] + "=" + l[1]).collect(Collectors.joining(",")));
    assertEquals(1, NvidiaDiscovery.libraries(out, "x86-64").size(), "libcuda.so only: libcudart is the toolkit's");
  }
}
