package dev.boxkit.oci.tarball;

import dev.boxkit.oci.Digest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipEncoding;
import org.apache.commons.compress.archivers.zip.ZipEncodingHelper;

/**
 * A tar archive laid out before it is written: byte for byte what Commons Compress's {@code
 * TarArchiveOutputStream} writes for the same entries (ustar headers from {@link
 * TarArchiveEntry#writeEntryHeader}, records of 512 bytes, two zero records at the end and no
 * padding to blocks, as Commons Compress does when no block size is given). Knowing every
 * offset up front, it can {@linkplain #writeTo write} the archive with file content copied in the
 * kernel by {@link FileChannel#transferTo} ({@code sendfile}) instead of through the JVM, or
 * {@linkplain #matches check} an existing file against it without writing anything.
 *
 * <p>Entries are fixed: mtime 0, uid/gid 0, no user or group names, modes 0644 (files) and 0755
 * (directories). Only printable ASCII names under 100 bytes and sizes under 8 GiB: ask {@link
 * #fits} first.
 */
final class UstarWriter {
  private static final int RECORD = 512;
  /** Largest size an ustar header holds in octal (11 digits): 8 GiB - 1. */
  static final long MAX_SIZE = 077777777777L;
  private static final ZipEncoding NAMES = ZipEncodingHelper.getZipEncoding(StandardCharsets.UTF_8);

  /** Bytes known in advance (headers, small files, padding), at {@code offset}. */
  private record Literal(long offset, byte[] bytes) {}

  /** {@code size} bytes of {@code file}, from its start, at {@code offset}, whose sha256 is {@code digest}. */
  private record Content(long offset, DockerArchive.LayerBlob layer, long size) {}

  private final List<Literal> literals = new ArrayList<>();
  private final List<Content> contents = new ArrayList<>();
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private long pendingOffset;
  private long size;

  /** @return true when every entry (name to size) can be written without PAX headers */
  static boolean fits(Map<String, Long> entries) {
    for (Map.Entry<String, Long> e : entries.entrySet()) {
      if (e.getKey().length() >= 100 || e.getValue() > MAX_SIZE || !isPrintableAscii(e.getKey())) {
        return false;
      }
    }
    return true;
  }

  private static boolean isPrintableAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0x7e || s.charAt(i) < 0x20) {
        return false;
      }
    }
    return true;
  }

  UstarWriter directory(String name) throws IOException {
    literal(header(name, 040755, 0));
    return this;
  }

  UstarWriter file(String name, byte[] content) throws IOException {
    literal(header(name, 0100644, content.length));
    literal(content);
    literal(new byte[padding(content.length)]);
    return this;
  }

  /** Adds the layer's file content, {@code size} bytes from its start. */
  UstarWriter file(String name, DockerArchive.LayerBlob layer, long size) throws IOException {
    literal(header(name, 0100644, size));
    flushLiteral();
    contents.add(new Content(this.size, layer, size));
    this.size += size;
    pendingOffset = this.size;
    literal(new byte[padding(size)]);
    return this;
  }

  /** Adds the two zero records that end the archive; nothing may be added after. */
  UstarWriter finish() {
    literal(new byte[2 * RECORD]);
    flushLiteral();
    return this;
  }

  /** @return the archive's length in bytes */
  long size() {
    return size;
  }

  /** Writes the archive from {@code out}'s position; file content goes through the kernel. */
  void writeTo(FileChannel out) throws IOException {
    int c = 0;
    for (Literal l : literals) {
      while (c < contents.size() && contents.get(c).offset() < l.offset()) {
        transfer(contents.get(c++), out);
      }
      ByteBuffer b = ByteBuffer.wrap(l.bytes());
      while (b.hasRemaining()) {
        out.write(b);
      }
    }
    while (c < contents.size()) {
      transfer(contents.get(c++), out);
    }
  }

  private static void transfer(Content content, FileChannel out) throws IOException {
    try (FileChannel in = FileChannel.open(content.layer().file(), StandardOpenOption.READ)) {
      long done = 0;
      while (done < content.size()) {
        long n = in.transferTo(done, content.size() - done, out);
        if (n <= 0) {
          throw new IOException(content.layer().file() + " ended after " + done + " of "
              + content.size() + " bytes");
        }
        done += n;
      }
    }
  }

  /**
   * Whether {@code existing} holds exactly this archive: same length, same bytes outside file
   * content (read and compared), and each file's content in it hashing to that layer's digest
   * (hashed in {@code pool}, one task per layer). Reads {@code existing} only, never the layers.
   */
  boolean matches(FileChannel existing, ExecutorService pool) throws IOException {
    if (existing.size() != size) {
      return false;
    }
    for (Literal l : literals) {
      ByteBuffer b = ByteBuffer.allocate(l.bytes().length);
      readFully(existing, b, l.offset());
      if (!Arrays.equals(b.array(), l.bytes())) {
        return false;
      }
    }
    List<Future<Boolean>> hashed = new ArrayList<>();
    for (Content c : contents) {
      Callable<Boolean> check = () -> c.layer().digest().equals(hash(existing, c.offset(), c.size(),
          c.layer().digest()));
      hashed.add(pool.submit(check));
    }
    boolean all = true;
    for (Future<Boolean> f : hashed) {
      all &= DockerArchive.join(f);
    }
    return all;
  }

  /** @return the digest (in {@code like}'s algorithm) of {@code length} bytes of {@code ch} from {@code offset} */
  static Digest hash(FileChannel ch, long offset, long length, Digest like) throws IOException {
    MessageDigest md = like.newMessageDigest();
    ByteBuffer buf = ByteBuffer.allocate(1 << 20);
    long done = 0;
    while (done < length) {
      buf.clear().limit((int) Math.min(buf.capacity(), length - done));
      int n = ch.read(buf, offset + done);
      if (n <= 0) {
        throw new IOException("ended after " + done + " of " + length + " bytes");
      }
      md.update(buf.array(), 0, n);
      done += n;
    }
    return Digest.fromHash(like.algorithm(), md.digest());
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long offset) throws IOException {
    while (b.hasRemaining()) {
      if (ch.read(b, offset + b.position()) < 0) {
        throw new IOException("ended at byte " + (offset + b.position()));
      }
    }
  }

  private void literal(byte[] bytes) {
    pending.writeBytes(bytes);
    size += bytes.length;
  }

  private void flushLiteral() {
    if (pending.size() > 0) {
      literals.add(new Literal(pendingOffset, pending.toByteArray()));
      pending.reset();
    }
    pendingOffset = size;
  }

  private static int padding(long size) {
    int rest = (int) (size % RECORD);
    return rest == 0 ? 0 : RECORD - rest;
  }

  /**
   * @return an entry with the fixed owner (0:0, no names) and mtime (0) of every entry of a
   *     docker archive, whichever writer writes it
   */
  static TarArchiveEntry entry(String name, int mode) {
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setMode(mode);
    e.setModTime(0);
    e.setUserId(0);
    e.setGroupId(0);
    e.setUserName("");
    e.setGroupName("");
    return e;
  }

  private static byte[] header(String name, int mode, long size) throws IOException {
    TarArchiveEntry e = entry(name, mode);
    e.setSize(size);
    byte[] header = new byte[RECORD];
    e.writeEntryHeader(header, NAMES, false);
    return header;
  }
}
