package dev.boxkit.oci.tarball;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipEncoding;
import org.apache.commons.compress.archivers.zip.ZipEncodingHelper;

/**
 * Writes a tar archive straight to a file channel, byte for byte as Commons Compress's {@code
 * TarArchiveOutputStream} writes the same entries (ustar headers from {@link
 * TarArchiveEntry#writeEntryHeader}, records of 512 bytes, two zero records at the end and no
 * padding to blocks, as Commons Compress does when no block size is given), but with file content copied in the kernel by {@link
 * FileChannel#transferTo} ({@code sendfile}/{@code copy_file_range}) instead of through the JVM.
 * Entries are fixed: mtime 0, uid/gid 0, no user or group names, modes 0644 (files) and 0755
 * (directories). Only names under 100 bytes and sizes under 8 GiB: ask {@link #fits} first.
 */
final class UstarWriter {
  private static final int RECORD = 512;
  /** Largest size an ustar header holds in octal (11 digits): 8 GiB - 1. */
  static final long MAX_SIZE = 077777777777L;
  private static final ZipEncoding NAMES = ZipEncodingHelper.getZipEncoding(StandardCharsets.UTF_8);

  private final FileChannel out;
  private final byte[] header = new byte[RECORD];

  UstarWriter(FileChannel out) {
    this.out = out;
  }

  /** @return true when every entry (name to size) can be written without PAX headers */
  static boolean fits(Map<String, Long> entries) {
    for (Map.Entry<String, Long> e : entries.entrySet()) {
      if (e.getKey().getBytes(StandardCharsets.UTF_8).length >= 100 || e.getValue() > MAX_SIZE
          || !isAscii(e.getKey())) {
        return false;
      }
    }
    return true;
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0x7e || s.charAt(i) < 0x20) {
        return false;
      }
    }
    return true;
  }

  void directory(String name) throws IOException {
    writeHeader(name, 040755, 0);
  }

  void file(String name, byte[] content) throws IOException {
    writeHeader(name, 0100644, content.length);
    writeFully(ByteBuffer.wrap(content));
    pad(content.length);
  }

  /** Copies {@code size} bytes of {@code in} from its start, in the kernel. */
  void file(String name, FileChannel in, long size) throws IOException {
    writeHeader(name, 0100644, size);
    long done = 0;
    while (done < size) {
      long n = in.transferTo(done, size - done, out);
      if (n <= 0) {
        throw new IOException(name + ": source ended after " + done + " of " + size + " bytes");
      }
      done += n;
    }
    pad(size);
  }

  /** Writes the two zero records that end the archive. */
  void finish() throws IOException {
    writeFully(ByteBuffer.wrap(new byte[2 * RECORD]));
  }

  private void writeHeader(String name, int mode, long size) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setMode(mode);
    e.setModTime(0);
    e.setUserId(0);
    e.setGroupId(0);
    e.setUserName("");
    e.setGroupName("");
    e.setSize(size);
    java.util.Arrays.fill(header, (byte) 0);
    e.writeEntryHeader(header, NAMES, false);
    writeFully(ByteBuffer.wrap(header));
  }

  private void pad(long size) throws IOException {
    int rest = (int) (size % RECORD);
    if (rest != 0) {
      writeFully(ByteBuffer.wrap(new byte[RECORD - rest]));
    }
  }

  private void writeFully(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      out.write(b);
    }
  }
}
