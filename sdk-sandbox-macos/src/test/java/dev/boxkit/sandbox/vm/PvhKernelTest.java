package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.testing.ExternalTools;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.lz4.BlockLZ4CompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code vmlinux} inside a {@code bzImage}: synthetic images in both payload formats the
 * kernel build writes ({@code gzip -9}, {@code lz4 -l} followed by the 4-byte size), and the real
 * kernel the VM tests boot.
 */
class PvhKernelTest {
  @TempDir Path tmp;

  @Test
  void gzipAndLz4PayloadsUnpackToTheElfAndAreCached() throws IOException {
    byte[] elf = elf(true, 100_000);
    for (byte[] payload : new byte[][] {gzip(elf), lz4Legacy(elf, 4096)}) {
      CacheDirectory cache = new CacheDirectory(Files.createTempDirectory(tmp, "c"), ".vmlinux", 2);
      Path image = bzImage(tmp.resolve("bz" + payload.length), payload);
      Path out = PvhKernel.of(image, cache).orElseThrow();
      assertArrayEquals(elf, Files.readAllBytes(out));
      assertEquals(out, PvhKernel.of(image, cache).orElseThrow(), "the second call is a hit");
      try (Stream<Path> files = Files.list(cache.path())) {
        assertEquals(1, files.count());
      }
      // Rewritten in place (same size): a new key, so the old ELF is never booted for the new kernel.
      byte[] other = elf(true, 100_000);
      other[other.length - 1] ^= 1;
      Files.write(image, bzImageBytes(isGzip(payload) ? gzip(other) : lz4Legacy(other, 4096)));
      assertArrayEquals(other, Files.readAllBytes(PvhKernel.of(image, cache).orElseThrow()));
    }
  }

  @Test
  void withoutThePvhNoteOrWithAnyDamageTheBzImageIsBootedAndNothingIsCached() throws IOException {
    CacheDirectory cache = new CacheDirectory(tmp.resolve("cache"), ".vmlinux", 2);
    byte[] noNote = elf(false, 5000);
    assertEquals(Optional.empty(), PvhKernel.of(bzImage(tmp.resolve("a"), gzip(noNote)), cache));
    byte[] lz4 = lz4Legacy(elf(true, 50_000), 8192);
    byte[] cut = Arrays.copyOf(lz4, lz4.length / 2);
    assertEquals(Optional.empty(), PvhKernel.of(bzImage(tmp.resolve("b"), cut), cache), "truncated");
    byte[] wrongSize = lz4.clone();
    wrongSize[wrongSize.length - 1] ^= 0x40;
    assertEquals(Optional.empty(), PvhKernel.of(bzImage(tmp.resolve("c"), wrongSize), cache), "size trailer");
    byte[] xz = {(byte) 0xfd, '7', 'z', 'X', 'Z', 0, 1, 2, 3, 4};
    assertEquals(Optional.empty(), PvhKernel.of(bzImage(tmp.resolve("d"), xz), cache), "unsupported format");
    Path notBz = Files.write(tmp.resolve("e"), new byte[4096]);
    assertEquals(Optional.empty(), PvhKernel.of(notBz, cache), "no HdrS");
    try (Stream<Path> files = Files.exists(cache.path()) ? Files.list(cache.path()) : Stream.empty()) {
      assertEquals(0, files.count(), "no file, whole or partial, is left in the cache");
    }
  }

  @Property(tries = 40)
  void lz4LegacyAndGzipRoundTrip(@ForAll @Size(max = 20_000) byte[] kernel,
      @ForAll @IntRange(min = 16, max = 9000) int blockSize) throws IOException {
    for (byte[] payload : new byte[][] {gzip(kernel), lz4Legacy(kernel, blockSize)}) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      PvhKernel.unpack(payload, out);
      assertArrayEquals(kernel, out.toByteArray());
    }
  }

  /** Any bytes at all: a block decodes or fails with an IOException, never reads or writes out of bounds. */
  @Property(tries = 300)
  void damagedLz4BlocksFailCleanly(@ForAll @Size(max = 200) byte[] block) {
    try {
      assertTrue(PvhKernel.lz4Block(block, 0, block.length, new byte[4096]) <= 4096);
    } catch (IOException expected) {
      // a clear failure is what is asked
    }
  }

  /**
   * The kernels the VM tests boot unpack: the configured one (in CI BoxKit's own, a gzip payload)
   * and Debian's cloud kernel where {@value DebianKernelTest#ENV} names it (an LZ4 payload); both
   * have CONFIG_PVH=y.
   */
  @Test
  void theConfiguredX86KernelsUnpackToPvhElfs() throws IOException {
    Optional<KernelImage> k = KernelImage.fromEnvironment(GuestArch.X86_64);
    ExternalTools.requireHost(k.isPresent(), TestVms.KERNEL_HINT);
    List<KernelImage> kernels = new java.util.ArrayList<>(List.of(k.get()));
    DebianKernelTest.debianKernel().ifPresent(kernels::add);
    CacheDirectory cache = new CacheDirectory(tmp.resolve("real"), ".vmlinux", 2);
    for (KernelImage kernel : kernels) {
      Path elf = PvhKernel.of(kernel.kernel(), cache).orElseThrow();
      assertTrue(PvhKernel.hasPvhNote(elf), kernel.kernel().toString());
      assertTrue(Files.size(elf) > Files.size(kernel.kernel()), "larger than the compressed image");
      assertFalse(PvhKernel.hasPvhNote(kernel.kernel()), "the bzImage itself is no ELF");
    }
  }

  /** A minimal ELF64: header, one PT_NOTE program header, the notes (a GNU one, then Xen's if asked), padding. */
  static byte[] elf(boolean pvh, int size) {
    ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0, 0x464c457f).put(4, (byte) 2).put(5, (byte) 1).put(6, (byte) 1);
    b.putShort(0x10, (short) 2).putShort(0x12, (short) 0x3e).putLong(0x20, 64);
    b.putShort(0x36, (short) 56).putShort(0x38, (short) 1);
    int notes = 64 + 56;
    ByteBuffer n = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    n.putInt(4).putInt(4).putInt(3).put("GNU\0".getBytes(StandardCharsets.US_ASCII)).putInt(0x12345678);
    if (pvh) {
      n.putInt(4).putInt(4).putInt(18).put("Xen\0".getBytes(StandardCharsets.US_ASCII)).putInt(0x1000000);
    }
    b.putInt(64, 4).putLong(64 + 0x08, notes).putLong(64 + 0x20, n.position());
    b.put(notes, n.array(), 0, n.position());
    for (int i = notes + 64; i < size; i++) {
      b.put(i, (byte) (i * 31 >>> 3));
    }
    return b.array();
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GzipCompressorOutputStream gz = new GzipCompressorOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray(); // its trailer's ISIZE is the size the kernel build would append
  }

  /** {@code lz4 -l} (the magic, then u32-length-prefixed blocks) plus the build's 4-byte size. */
  static byte[] lz4Legacy(byte[] data, int blockSize) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(le(0x184c2102));
    for (int at = 0; at < data.length; at += blockSize) {
      ByteArrayOutputStream block = new ByteArrayOutputStream();
      try (BlockLZ4CompressorOutputStream lz = new BlockLZ4CompressorOutputStream(block)) {
        lz.write(data, at, Math.min(blockSize, data.length - at));
      }
      out.write(le(block.size()));
      block.writeTo(out);
    }
    out.write(le(data.length));
    return out.toByteArray();
  }

  private static boolean isGzip(byte[] b) {
    return (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b;
  }

  private static Path bzImage(Path file, byte[] payload) throws IOException {
    return Files.write(file, bzImageBytes(payload));
  }

  /** Boot protocol 2.15 header, 3 setup sectors, the payload 0x40 bytes into the protected-mode code. */
  private static byte[] bzImageBytes(byte[] payload) {
    int setupSects = 3;
    int pm = (setupSects + 1) * 512;
    ByteBuffer b = ByteBuffer.allocate(pm + 0x40 + payload.length + 100).order(ByteOrder.LITTLE_ENDIAN);
    b.put(0x1f1, (byte) setupSects).put(0x202, (byte) 'H').put(0x203, (byte) 'd').put(0x204, (byte) 'r')
        .put(0x205, (byte) 'S').putShort(0x206, (short) 0x020f).putInt(0x248, 0x40).putInt(0x24c, payload.length);
    b.put(pm + 0x40, payload);
    return b.array();
  }

  private static byte[] le(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }
}
