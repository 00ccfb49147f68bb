package dev.boxkit.oci.layer;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.DigestingInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Lists the entries of a layer blob, gzip- or zstd-compressed or plain (told apart by their magic
 * bytes, {@link Compression#detect(byte[])}), computing its digest and diffID on the way. The stream is always read to its end, past
 * the tar end-of-archive records, so the digests cover every byte.
 */
public final class LayerReader {
  private LayerReader() {}

  /**
   * @param blob a layer blob file
   * @return its entries and digests
   * @throws LayerSourceException naming the file when it is missing, unreadable, or not a tar /
   *     compressed tar
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
   * @throws IOException when reading fails or the content is not a tar / compressed tar
   */
  public static LayerListing read(InputStream in) throws IOException {
    MessageDigest blobMd = Digest.newMessageDigest(Digest.SHA256);
    DigestingInputStream raw = new DigestingInputStream(in, blobMd);
    BufferedInputStream buffered = new BufferedInputStream(raw, 64 * 1024);
    buffered.mark(4);
    Compression compression = Compression.detect(buffered.readNBytes(4));
    buffered.reset();
    MessageDigest tarMd = Digest.newMessageDigest(Digest.SHA256);
    InputStream decompressed = compression.decompress(buffered);
    DigestingInputStream tarStream = new DigestingInputStream(decompressed, tarMd);
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
    tarStream.drain();
    raw.drain(); // trailing bytes after the gzip member(s) or zstd frame(s)
    return new LayerListing(entries, raw.finish(Digest.SHA256),
        tarStream.finish(Digest.SHA256), raw.count(), tarStream.count(),
        compression);
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

}
