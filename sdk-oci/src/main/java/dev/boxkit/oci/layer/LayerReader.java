package dev.boxkit.oci.layer;

import dev.boxkit.oci.Digest;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Lists the entries of a layer blob, gzip-compressed or plain (told apart by the gzip magic
 * bytes), computing its digest and diffID on the way. The stream is always read to its end, past
 * the tar end-of-archive records, so the digests cover every byte.
 */
public final class LayerReader {
  private LayerReader() {}

  /**
   * @param blob a layer blob file
   * @return its entries and digests
   * @throws LayerSourceException naming the file when it is missing, unreadable, or not a tar /
   *     gzip'd tar
   */
  public static LayerListing read(Path blob) {
    try (InputStream in = Files.newInputStream(blob)) {
      return read(in);
    } catch (NoSuchFileException e) {
      throw new LayerSourceException(blob.toString(), "does not exist", e);
    } catch (IOException e) {
      throw new LayerSourceException(blob.toString(), "is not a readable layer: " + e, e);
    }
  }

  /**
   * Reads {@code in} to its end; does not close it.
   *
   * @return its entries and digests
   * @throws IOException when reading fails or the content is not a tar / gzip'd tar
   */
  public static LayerListing read(InputStream in) throws IOException {
    MessageDigest blobMd = Digest.newMessageDigest(Digest.SHA256);
    CountingInputStream raw = new CountingInputStream(new DigestInputStream(in, blobMd));
    BufferedInputStream buffered = new BufferedInputStream(raw, 64 * 1024);
    buffered.mark(2);
    boolean gzip = buffered.read() == 0x1f && buffered.read() == 0x8b;
    buffered.reset();
    MessageDigest tarMd = Digest.newMessageDigest(Digest.SHA256);
    InputStream decompressed = gzip ? new GZIPInputStream(buffered, 64 * 1024) : buffered;
    CountingInputStream tarStream = new CountingInputStream(new DigestInputStream(decompressed, tarMd));
    List<TarEntryInfo> entries = new ArrayList<>();
    TarArchiveInputStream tar = new TarArchiveInputStream(tarStream, "UTF-8");
    byte[] buf = new byte[64 * 1024];
    for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
      TarEntryInfo.Type type = typeOf(e);
      Digest content = null;
      if (type == TarEntryInfo.Type.FILE) {
        MessageDigest md = Digest.newMessageDigest(Digest.SHA256);
        for (int n; (n = tar.read(buf)) != -1; ) {
          md.update(buf, 0, n);
        }
        content = Digest.fromHash(Digest.SHA256, md.digest());
      }
      entries.add(new TarEntryInfo(e.getName(), type, e.getMode() & 07777, e.getLongUserId(),
          e.getLongGroupId(), e.getUserName(), e.getGroupName(), e.getLastModifiedTime().toInstant(),
          type == TarEntryInfo.Type.FILE ? e.getSize() : 0, e.getLinkName(), content));
    }
    // Past the end-of-archive records: drain, or the digests would miss the tail.
    while (tarStream.read(buf) != -1) {
      // discard
    }
    while (raw.read(buf) != -1) {
      // discard trailing bytes after the gzip member(s)
    }
    return new LayerListing(entries, Digest.fromHash(Digest.SHA256, blobMd.digest()),
        Digest.fromHash(Digest.SHA256, tarMd.digest()), raw.count, tarStream.count,
        gzip ? Compression.GZIP : Compression.NONE);
  }

  private static TarEntryInfo.Type typeOf(TarArchiveEntry e) {
    if (e.isSymbolicLink()) {
      return TarEntryInfo.Type.SYMLINK;
    }
    if (e.isLink()) {
      return TarEntryInfo.Type.HARDLINK;
    }
    if (e.isDirectory()) {
      return TarEntryInfo.Type.DIRECTORY;
    }
    if (e.isFile()) {
      return TarEntryInfo.Type.FILE;
    }
    return TarEntryInfo.Type.OTHER;
  }

  private static final class CountingInputStream extends java.io.FilterInputStream {
    long count;

    CountingInputStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      // Route skips through read so that every byte is hashed and counted.
      byte[] buf = new byte[(int) Math.min(n, 8192)];
      int r = read(buf, 0, buf.length);
      return Math.max(r, 0);
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }
}
