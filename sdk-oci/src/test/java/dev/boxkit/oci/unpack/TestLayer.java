package dev.boxkit.oci.unpack;

import dev.boxkit.oci.Digest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Builds layer tars entry by entry, names written verbatim (absolute and ".." names included). */
final class TestLayer {
  static final FileTime MTIME = FileTime.from(Instant.parse("2020-01-02T03:04:05Z"));

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes, "UTF-8");
  private byte[] trailer = new byte[0];

  TestLayer() {
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
  }

  static TestLayer of() {
    return new TestLayer();
  }

  TestLayer dir(String name) {
    return dir(name, 0755);
  }

  TestLayer dir(String name, int mode) {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_DIR, true);
    e.setMode(mode);
    return add(e, null);
  }

  TestLayer file(String name, String content) {
    return file(name, content, 0644);
  }

  TestLayer file(String name, String content, int mode) {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_NORMAL, true);
    e.setMode(mode);
    return add(e, content.getBytes(StandardCharsets.UTF_8));
  }

  TestLayer symlink(String name, String target) {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK, true);
    e.setLinkName(target);
    e.setMode(0777);
    return add(e, null);
  }

  TestLayer hardlink(String name, String target) {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK, true);
    e.setLinkName(target);
    e.setMode(0644);
    return add(e, null);
  }

  TestLayer fifo(String name) {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_FIFO, true);
    e.setMode(0640);
    return add(e, null);
  }

  /** Adds an entry exactly as the caller set it up (mtime included). */
  TestLayer entry(TarArchiveEntry e, byte[] content) {
    return put(e, content);
  }

  private TestLayer add(TarArchiveEntry e, byte[] content) {
    e.setLastModifiedTime(MTIME);
    return put(e, content);
  }

  /** Bytes appended after the end-of-archive marker (some writers pad, some append junk). */
  TestLayer trailer(byte[] junk) {
    this.trailer = junk.clone();
    return this;
  }

  private TestLayer put(TarArchiveEntry e, byte[] content) {
    try {
      if (content != null) {
        e.setSize(content.length);
      }
      tar.putArchiveEntry(e);
      if (content != null) {
        tar.write(content);
      }
      tar.closeArchiveEntry();
      return this;
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  /** @return the uncompressed tar, trailer included */
  byte[] tarBytes() {
    try {
      tar.finish();
      tar.close();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    byte[] t = bytes.toByteArray();
    byte[] out = new byte[t.length + trailer.length];
    System.arraycopy(t, 0, out, 0, t.length);
    System.arraycopy(trailer, 0, out, t.length, trailer.length);
    return out;
  }

  /** Writes the layer uncompressed to {@code dir/name.tar}. */
  LayerSource writeTar(Path dir, String name) {
    byte[] t = tarBytes();
    Path f = dir.resolve(name + ".tar");
    write(f, t);
    return LayerSource.uncompressed(f, Digest.sha256(t));
  }

  /** Writes the layer gzip-compressed to {@code dir/name.tar.gz}. */
  LayerSource writeGzip(Path dir, String name) {
    byte[] t = tarBytes();
    byte[] gz = gzip(t);
    Path f = dir.resolve(name + ".tar.gz");
    write(f, gz);
    return LayerSource.gzip(f, Digest.sha256(gz), Digest.sha256(t));
  }

  /** Writes the layer zstd-compressed (by the {@code zstd} reference library) to {@code dir/name.tar.zst}. */
  LayerSource writeZstd(Path dir, String name) {
    byte[] t = tarBytes();
    byte[] z = com.github.luben.zstd.Zstd.compress(t, 3);
    Path f = dir.resolve(name + ".tar.zst");
    write(f, z);
    return LayerSource.zstd(f, Digest.sha256(z), Digest.sha256(t));
  }

  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return out.toByteArray();
  }

  private static void write(Path f, byte[] data) {
    try {
      Files.createDirectories(f.getParent());
      Files.write(f, data);
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }
}
