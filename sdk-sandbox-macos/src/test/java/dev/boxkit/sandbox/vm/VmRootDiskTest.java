package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.image.Image;
import dev.boxkit.image.Layer;
import dev.boxkit.oci.layer.EntryAttributes;
import dev.boxkit.oci.unpack.RootfsCache;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.testing.ExternalTools;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Roots on a disk: an EROFS image on virtio-blk under a tmpfs overlay, booted in real QEMU
 * guests (TCG here), so that a root larger than the guest's memory runs.
 */
class VmRootDiskTest {
  private static final String BB = "/usr/bin/busybox";
  private static final long BIG = 160L << 20;
  @TempDir static Path tmp;
  private static VmSandboxProvider provider;

  @BeforeAll
  static void setUp() {
    provider = TestVms.qemuProvider();
    ExternalTools.require("busybox", "busybox-static");
  }

  @Test
  void aRootLargerThanTheGuestsMemoryBootsFromADisk() throws Exception {
    Path root = TestVms.rootWith(Files.createDirectories(tmp.resolve("big")), List.of("/bin/sh", BB));
    try (RandomAccessFile f = new RandomAccessFile(root.resolve("big").toFile(), "rw")) {
      f.setLength(BIG);
      f.write("HEAD-MARK".getBytes(StandardCharsets.US_ASCII));
      f.seek(BIG / 2);
      f.write("MID-MARK".getBytes(StandardCharsets.US_ASCII));
      f.seek(BIG - 9);
      f.write("TAIL-MARK".getBytes(StandardCharsets.US_ASCII));
    }
    // 96 MiB of guest memory could not hold this root in an initramfs; 'auto' puts it on a disk.
    ExecResult r = provider.run(SandboxSpec.builder().root(Rootfs.directory(root))
        .limits(ResourceLimits.builder().memoryBytes(96L << 20).build())
        .command("/bin/sh", "-c", "B=" + BB + "; $B awk '$2==\"/\" {print $3; exit}' /proc/mounts;"
            + " $B awk '/MemTotal/ {print ($2 < 163840 ? \"less memory than the root\" : \"enough memory\")}' /proc/meminfo;"
            + " $B wc -c < /big; $B head -c 9 /big; echo; $B dd if=/big bs=4096 skip=20480 count=1 2>/dev/null | $B head -c 8;"
            + " echo; $B tail -c 9 /big; echo; if echo x > /new; then echo root-writable; else echo root-ro; fi")
        .build());
    assertEquals("overlay\nless memory than the root\n" + BIG + "\nHEAD-MARK\nMID-MARK\nTAIL-MARK\nroot-ro\n",
        r.stdoutText(), r.stderrText());
    assertEquals(0, r.exitCode(), r.stderrText());
  }

  @Test
  void anImageRootOnADiskIsWrittenAheadOnceIsWritableAndKeepsItsOwners() throws Exception {
    Image image = Image.builder().cacheDir(tmp.resolve("store"))
        .layer(Layer.fromExecutables(Path.of("/bin/sh"), Path.of(BB)))
        .layer(Layer.of("owned", l -> l.addFile("/etc/owned", "mine\n".getBytes(StandardCharsets.UTF_8),
            EntryAttributes.DEFAULTS.withOwner(1234, 2345))))
        .workingDir("/work").build();
    Rootfs.FromImage root = Rootfs.image(image).withCache(RootfsCache.open(tmp.resolve("rootfs")));
    String script = "B=" + BB + "; $B awk '$2==\"/\" {print $3; exit}' /proc/mounts; $B stat -c %u:%g /etc/owned;"
        + " $B cat /etc/owned; $B pwd; [ -e /written ] && echo left-over; echo x > /written && echo wrote";
    String chain = root.unpack().chainId().hex();
    Path expected = RootDiskCache.fromEnvironment().directory().orElseThrow().resolve("erofs1-chain-" + chain + ".erofs");
    Files.deleteIfExists(expected);
    // Under 'auto' this small image would travel in the initramfs: nothing to write ahead.
    assertEquals(java.util.Optional.empty(), provider.prepareRootDisk(root));
    TestVms.withProperty(RootDiskCache.PROPERTY, "disk", () -> {
      assertEquals(expected, provider.prepareRootDisk(root).orElseThrow(), "written ahead, by the image's chain id");
      Object inode = Files.getAttribute(expected, "unix:ino");
      for (int run = 0; run < 2; run++) {
        ExecResult r = provider.run(SandboxSpec.builder().root(root).workingDir("/work")
            .mount(Mount.tmpfs("/tmp", 1 << 20)).command("/bin/sh", "-c", script).build());
        assertEquals("overlay\n1234:2345\nmine\n/work\nwrote\n", r.stdoutText(), "run " + run + ": " + r.stderrText());
      }
      assertEquals(inode, Files.getAttribute(expected, "unix:ino"), "the runs booted the disk written ahead");
      return null;
    });
  }
}
