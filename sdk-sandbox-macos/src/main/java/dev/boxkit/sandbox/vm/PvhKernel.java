package dev.boxkit.sandbox.vm;

import dev.boxkit.oci.Digest;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The uncompressed ELF {@code vmlinux} inside an x86 {@code bzImage}, for a hypervisor that boots
 * it through its PVH entry point (QEMU's {@code -kernel} with an ELF carrying Xen's
 * {@code XEN_ELFNOTE_PHYS32_ENTRY} note, present with Linux's {@code CONFIG_PVH}), as Firecracker
 * boots a {@code vmlinux}. That skips the image's own decompressor and relocation pass, which under
 * TCG are emulated (about a quarter of a second for Debian's 14 MB LZ4 cloud image). It also
 * skips KASLR, which only that decompressor applies: the guest kernel of a single-use VM is not the
 * boundary between the sandbox and the host.
 *
 * <p>Layout read: the Linux x86 boot protocol ({@code Documentation/arch/x86/boot.rst}):
 * {@code setup_sects} at 0x1f1, {@code HdrS} at 0x202, the protocol version at 0x206 (2.08 or later
 * for {@code payload_offset} at 0x248 and {@code payload_length} at 0x24c, counted from the
 * protected-mode code at {@code (setup_sects + 1) * 512}). Payloads in gzip or LZ4's legacy frame
 * format ({@code lz4 -l}, Debian's choice) are unpacked; any other, an image without the PVH note,
 * or a malformed one yields nothing, and the caller boots the {@code bzImage} as before.
 *
 * <p>Unpacked images are cached by the {@code bzImage}'s path, size, mtime, ctime and inode (a file
 * rewritten in place changes its ctime) under
 * {@code $XDG_CACHE_HOME/boxkit/vm-kernel} (else {@code ~/.cache/boxkit/vm-kernel}, the newest
 * {@value #KEEP} kept, see {@link CacheDirectory}); with {@code BOXKIT_VM_CACHE=off} none is made.
 */
final class PvhKernel {
  private static final Logger LOG = LoggerFactory.getLogger(PvhKernel.class);
  static final int KEEP = 2;
  private static final int LZ4_LEGACY_MAGIC = 0x184c2102;
  /** LZ4's legacy format: blocks of at most 8 MiB uncompressed. */
  private static final int LZ4_LEGACY_BLOCK = 8 << 20;
  private static final int PT_NOTE = 4;
  private static final int XEN_ELFNOTE_PHYS32_ENTRY = 18;

  private PvhKernel() {}

  /** @return the cache the environment asks for; empty when caches are off */
  static Optional<CacheDirectory> cacheFromEnvironment() {
    return CacheDirectory.fromEnvironment("vm-kernel").map(d -> new CacheDirectory(d, ".vmlinux", KEEP));
  }

  /**
   * @param bzImage an x86 kernel image
   * @param cache where unpacked images are kept
   * @return the PVH-bootable {@code vmlinux} inside it, unpacked on the first call; empty when the
   *     image has none this class can unpack (never an exception: the {@code bzImage} still boots)
   */
  static Optional<Path> of(Path bzImage, CacheDirectory cache) {
    try {
      String key = fingerprint(bzImage);
      Optional<Path> hit = cache.hit(key);
      if (hit.isPresent()) {
        return hit;
      }
      byte[] payload = payload(bzImage);
      if (payload == null) {
        LOG.debug("{}: not a bzImage with a gzip or LZ4 payload; booting it as it is", bzImage);
        return Optional.empty();
      }
      long t0 = System.nanoTime();
      Path out = cache.put(key, file -> {
        try (OutputStream o = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW)) {
          unpack(payload, o);
        }
        if (!hasPvhNote(file)) {
          throw new NoPvhEntry();
        }
      });
      LOG.debug("{}: unpacked its vmlinux for PVH boot in {} ms", bzImage, (System.nanoTime() - t0) / 1_000_000);
      return Optional.of(out);
    } catch (NoPvhEntry e) {
      LOG.debug("{}: its vmlinux has no PVH entry (CONFIG_PVH); booting the bzImage", bzImage);
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      LOG.debug("{}: no vmlinux for PVH boot ({}); booting the bzImage", bzImage, e.toString());
      return Optional.empty();
    }
  }

  /** The unpacked image is an ELF without Xen's PVH entry note. */
  private static final class NoPvhEntry extends IOException {
    NoPvhEntry() {
      super("no PVH entry note");
    }
  }

  /** @return the compressed kernel, or null when the file is no bzImage of protocol 2.08 or later */
  static byte[] payload(Path bzImage) throws IOException {
    try (FileChannel ch = FileChannel.open(bzImage)) {
      ByteBuffer h = ByteBuffer.allocate(0x250).order(ByteOrder.LITTLE_ENDIAN);
      if (ch.read(h, 0) < h.capacity()) {
        return null;
      }
      if (h.get(0x202) != 'H' || h.get(0x203) != 'd' || h.get(0x204) != 'r' || h.get(0x205) != 'S'
          || Short.toUnsignedInt(h.getShort(0x206)) < 0x0208) {
        return null;
      }
      int setupSects = Byte.toUnsignedInt(h.get(0x1f1));
      long start = (long) ((setupSects == 0 ? 4 : setupSects) + 1) * 512 + Integer.toUnsignedLong(h.getInt(0x248));
      long length = Integer.toUnsignedLong(h.getInt(0x24c));
      if (length < 8 || start + length > ch.size() || length > Integer.MAX_VALUE - 8) {
        return null;
      }
      ByteBuffer p = ByteBuffer.allocate((int) length);
      while (p.hasRemaining()) {
        if (ch.read(p, start + p.position()) < 0) {
          throw new EOFException(bzImage + ": payload ends early");
        }
      }
      byte[] b = p.array();
      return isGzip(b) || leInt(b, 0) == LZ4_LEGACY_MAGIC ? b : null;
    }
  }

  /**
   * Writes the uncompressed kernel. Both formats end with the kernel build's appended 4-byte
   * little-endian uncompressed size, which bounds the output.
   *
   * @throws IOException when the payload is malformed or does not unpack to that size
   */
  static void unpack(byte[] payload, OutputStream out) throws IOException {
    long size = Integer.toUnsignedLong(leInt(payload, payload.length - 4));
    long written;
    if (isGzip(payload)) {
      try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(payload), 1 << 16)) {
        written = in.transferTo(out);
      }
    } else {
      written = unpackLz4Legacy(payload, payload.length - 4, out, size);
    }
    if (written != size) {
      throw new IOException("kernel payload unpacked to " + written + " bytes, its trailer says " + size);
    }
  }

  /** LZ4 legacy frames: the magic, then blocks of (u32 LE compressed length, LZ4 block). */
  private static long unpackLz4Legacy(byte[] b, int end, OutputStream out, long size) throws IOException {
    int pos = 0;
    long written = 0;
    byte[] block = new byte[LZ4_LEGACY_BLOCK];
    while (written < size && pos + 4 <= end) {
      int n = leInt(b, pos);
      pos += 4;
      if (n == LZ4_LEGACY_MAGIC) { // concatenated frames
        continue;
      }
      if (n <= 0 || n > end - pos) {
        throw new IOException("LZ4 block of " + Integer.toUnsignedString(n) + " bytes at offset " + (pos - 4)
            + " runs past the payload");
      }
      int got = lz4Block(b, pos, n, block);
      out.write(block, 0, got);
      written += got;
      pos += n;
    }
    return written;
  }

  /**
   * Decodes one LZ4 block (lz4's {@code doc/lz4_Block_format.md}): sequences of a token (literal
   * length, match length - 4, each 15 meaning more bytes follow), the literals, a 2-byte LE offset
   * back into the output, and the match; the last sequence has literals only. Written here rather
   * than through Commons Compress's {@code BlockLZ4CompressorInputStream}, which takes 2.3 s for
   * the 53 MB of a kernel where this takes a tenth of that.
   *
   * @return the number of bytes written to {@code out}
   * @throws IOException when a length or offset points outside the block or the output
   */
  static int lz4Block(byte[] in, int from, int length, byte[] out) throws IOException {
    BlockReader r = new BlockReader(in, from, from + length);
    int op = 0;
    while (true) {
      int token = r.u8("LZ4 block ends inside a sequence");
      int lit = r.length(token >>> 4, "LZ4 literal length runs past the block");
      if (lit > r.end - r.ip || lit > out.length - op) {
        throw new IOException("LZ4 literals run past the block or 8 MiB of output");
      }
      System.arraycopy(in, r.ip, out, op, lit);
      r.ip += lit;
      op += lit;
      if (r.ip == r.end) {
        return op;
      }
      int offset = r.u8("LZ4 match offset cut off") | r.u8("LZ4 match offset cut off") << 8;
      if (offset == 0 || offset > op) {
        throw new IOException("LZ4 match offset " + offset + " points before the block's output");
      }
      int len = r.length(token & 15, "LZ4 match length runs past the block") + 4;
      if (len > out.length - op) {
        throw new IOException("LZ4 match runs past 8 MiB of output");
      }
      int src = op - offset;
      if (offset >= len) {
        System.arraycopy(out, src, out, op, len);
        op += len;
      } else { // overlapping: the match repeats the last offset bytes
        for (int i = 0; i < len; i++) {
          out[op++] = out[src + i];
        }
      }
    }
  }

  /** A position in one LZ4 block's bytes. */
  private static final class BlockReader {
    final byte[] in;
    final int end;
    int ip;

    BlockReader(byte[] in, int from, int end) {
      this.in = in;
      this.ip = from;
      this.end = end;
    }

    /** @throws IOException with {@code past} when the block has no byte left */
    int u8(String past) throws IOException {
      if (ip >= end) {
        throw new IOException(past);
      }
      return in[ip++] & 0xff;
    }

    /** A token's 4-bit length, plus the bytes that follow while they are 255 when it is 15. */
    int length(int nibble, String past) throws IOException {
      int n = nibble;
      if (nibble == 15) {
        int x;
        do {
          x = u8(past);
          n += x;
        } while (x == 255);
      }
      return n;
    }
  }

  /** @return whether an ELF64 little-endian file has Xen's {@code XEN_ELFNOTE_PHYS32_ENTRY} note */
  static boolean hasPvhNote(Path elf) throws IOException {
    try (FileChannel ch = FileChannel.open(elf)) {
      ByteBuffer e = read(ch, 0, 64);
      if (e == null || e.getInt(0) != 0x464c457f || e.get(4) != 2 || e.get(5) != 1) {
        return false;
      }
      long phoff = e.getLong(0x20);
      int phentsize = Short.toUnsignedInt(e.getShort(0x36));
      int phnum = Short.toUnsignedInt(e.getShort(0x38));
      for (int i = 0; i < phnum; i++) {
        ByteBuffer ph = read(ch, phoff + (long) i * phentsize, 56);
        if (ph == null || ph.getInt(0) != PT_NOTE) {
          continue;
        }
        long size = ph.getLong(0x20);
        ByteBuffer notes = size > 0 && size < (1 << 20) ? read(ch, ph.getLong(0x08), (int) size) : null;
        if (notes != null && hasNote(notes, "Xen", XEN_ELFNOTE_PHYS32_ENTRY)) {
          return true;
        }
      }
      return false;
    }
  }

  /** Walks ELF notes: namesz, descsz, type, then name and descriptor, each padded to 4 bytes. */
  private static boolean hasNote(ByteBuffer notes, String name, int type) {
    int pos = 0;
    while (pos + 12 <= notes.limit()) {
      int namesz = notes.getInt(pos);
      int descsz = notes.getInt(pos + 4);
      int t = notes.getInt(pos + 8);
      if (namesz < 0 || descsz < 0 || namesz > notes.limit() || descsz > notes.limit()) {
        return false;
      }
      int nameAt = pos + 12;
      if (t == type && namesz == name.length() + 1 && nameAt + namesz <= notes.limit()) {
        byte[] n = new byte[namesz - 1];
        notes.get(nameAt, n);
        if (new String(n, StandardCharsets.US_ASCII).equals(name)) {
          return true;
        }
      }
      pos = nameAt + align4(namesz) + align4(descsz);
    }
    return false;
  }

  private static int align4(int n) {
    return (n + 3) & ~3;
  }

  private static ByteBuffer read(FileChannel ch, long at, int n) throws IOException {
    if (at < 0 || at + n > ch.size()) {
      return null;
    }
    ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining()) {
      if (ch.read(b, at + b.position()) < 0) {
        return null;
      }
    }
    return b;
  }

  private static boolean isGzip(byte[] b) {
    return b.length > 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b;
  }

  private static int leInt(byte[] b, int at) {
    return ByteBuffer.wrap(b, at, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
  }

  /** The file's identity and version (as the root-disk cache names a directory): no read of its bytes. */
  private static String fingerprint(Path file) throws IOException {
    Path real = file.toRealPath();
    java.util.Map<String, Object> a = Files.readAttributes(real, "unix:size,lastModifiedTime,ctime,ino,dev");
    String id = real + " " + a.get("size") + " " + CacheDirectory.nanos(a.get("lastModifiedTime")) + " "
        + CacheDirectory.nanos(a.get("ctime")) + " " + a.get("ino") + " " + a.get("dev");
    return Digest.sha256(id).hex();
  }
}
