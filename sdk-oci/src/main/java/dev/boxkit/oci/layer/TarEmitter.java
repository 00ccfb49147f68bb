package dev.boxkit.oci.layer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes layer entries as POSIX.1-2001 (pax) tar through Commons Compress.
 *
 * <p>Values a ustar header cannot hold — names and link targets of 100 bytes or more or not
 * ASCII, sizes of 8 GiB or more, ids above 07777777, long or non-ASCII owner names — go into a pax
 * extended header ({@code x}) that this class writes itself, with a fixed name, mode 0644, owner
 * 0:0 without names and the entry's own mtime. Commons Compress' own pax headers are not used
 * because they record the JVM's {@code user.name}, which would make the layer's digest depend on
 * who built it. The ustar fields then carry an ASCII, truncated fallback name, and numbers too big
 * for octal are also written in the base-256 form GNU tar and Commons Compress read
 * ({@code BIGNUMBER_STAR}), so readers without pax support still get the size right.
 */
final class TarEmitter implements AutoCloseable {
  /** Largest value a 12-byte octal size/mtime field holds: 8 GiB - 1. */
  static final long MAX_OCTAL_11 = 077777777777L;
  /** Largest value an 8-byte octal uid/gid field holds. */
  static final long MAX_OCTAL_7 = 07777777L;
  private static final int NAME_LEN = 100;
  private static final int OWNER_NAME_LEN = 32;

  private final TarArchiveOutputStream tar;
  private final byte[] buf = new byte[64 * 1024];

  TarEmitter(OutputStream out) {
    // 512-byte blocks: no padding beyond the two end-of-archive records.
    tar = new TarArchiveOutputStream(out, 512, StandardCharsets.UTF_8.name());
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_ERROR);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_STAR);
    tar.setAddPaxHeadersForNonAsciiNames(false);
  }

  /**
   * Writes one entry.
   *
   * @param entry what to write; a regular file's content is streamed from its supplier
   * @param mode permission bits, already defaulted
   * @param mtime modification time, already defaulted
   * @return content bytes written (0 for all but regular files)
   */
  long write(LayerEntry entry, FileMode mode, Instant mtime) throws IOException {
    String name = entry.path().relative();
    byte typeFlag;
    int typeBits;
    String linkName = "";
    long size = 0;
    if (entry instanceof LayerEntry.RegularFile f) {
      typeFlag = TarConstants.LF_NORMAL;
      typeBits = 0100000;
      size = f.sizeBytes();
    } else if (entry instanceof LayerEntry.Directory) {
      typeFlag = TarConstants.LF_DIR;
      typeBits = 040000;
      name = name + "/";
    } else if (entry instanceof LayerEntry.Symlink s) {
      typeFlag = TarConstants.LF_SYMLINK;
      typeBits = 0120000;
      linkName = s.target();
    } else {
      LayerEntry.Hardlink h = (LayerEntry.Hardlink) entry;
      typeFlag = TarConstants.LF_LINK;
      typeBits = 0100000;
      linkName = h.target().relative();
    }
    EntryAttributes a = entry.attributes();

    Map<String, String> pax = new LinkedHashMap<>();
    String headerName = fits(name, NAME_LEN) ? name : fallback(name, NAME_LEN, pax, "path");
    String headerLink = fits(linkName, NAME_LEN) ? linkName : fallback(linkName, NAME_LEN, pax, "linkpath");
    if (size > MAX_OCTAL_11) {
      pax.put("size", Long.toString(size));
    }
    if (a.uid() > MAX_OCTAL_7) {
      pax.put("uid", Long.toString(a.uid()));
    }
    if (a.gid() > MAX_OCTAL_7) {
      pax.put("gid", Long.toString(a.gid()));
    }
    String uname = fits(a.uname(), OWNER_NAME_LEN) ? a.uname() : fallback(a.uname(), OWNER_NAME_LEN, pax, "uname");
    String gname = fits(a.gname(), OWNER_NAME_LEN) ? a.gname() : fallback(a.gname(), OWNER_NAME_LEN, pax, "gname");
    FileTime time = FileTime.from(mtime);
    if (!pax.isEmpty()) {
      writePaxHeader(headerName, pax, time);
    }

    TarArchiveEntry e = new TarArchiveEntry(headerName, typeFlag, true);
    e.setMode(typeBits | mode.bits());
    e.setLinkName(headerLink);
    e.setSize(size);
    e.setUserId(a.uid());
    e.setGroupId(a.gid());
    // Always set: the TarArchiveEntry constructor fills in the JVM's user.name.
    e.setUserName(uname);
    e.setGroupName(gname);
    e.setModTime(time);
    tar.putArchiveEntry(e);
    long written = 0;
    if (entry instanceof LayerEntry.RegularFile f) {
      written = copyContent(f);
    }
    tar.closeArchiveEntry();
    return written;
  }

  private long copyContent(LayerEntry.RegularFile f) throws IOException {
    long remaining = f.sizeBytes();
    InputStream in;
    try {
      in = f.content().get();
    } catch (IOException e) {
      throw new LayerSourceException(f.source(), "cannot be opened: " + e, e);
    }
    if (in == null) {
      throw new LayerSourceException(f.source(), "the content supplier returned null", null);
    }
    try (in) {
      while (remaining > 0) {
        int n;
        try {
          n = in.read(buf, 0, (int) Math.min(buf.length, remaining));
        } catch (IOException e) {
          throw new LayerSourceException(f.source(), "cannot be read: " + e, e);
        }
        if (n < 0) {
          throw new LayerSourceException(f.source(), "ended after " + (f.sizeBytes() - remaining)
              + " of the " + f.sizeBytes() + " bytes declared (did it change while the layer was built?)", null);
        }
        tar.write(buf, 0, n);
        remaining -= n;
      }
      int extra;
      try {
        extra = in.read();
      } catch (IOException e) {
        throw new LayerSourceException(f.source(), "cannot be read: " + e, e);
      }
      if (extra >= 0) {
        throw new LayerSourceException(f.source(), "is longer than the " + f.sizeBytes()
            + " bytes declared (did it change while the layer was built?)", null);
      }
    }
    return f.sizeBytes();
  }

  private void writePaxHeader(String headerName, Map<String, String> pax, FileTime time)
      throws IOException {
    byte[] body = paxBody(pax);
    String name = "PaxHeaders/" + headerName;
    if (name.length() >= NAME_LEN) {
      name = name.substring(0, NAME_LEN - 1);
    }
    TarArchiveEntry x = new TarArchiveEntry(name, TarConstants.LF_PAX_EXTENDED_HEADER_LC, true);
    x.setMode(0100644);
    x.setSize(body.length);
    x.setUserId(0);
    x.setGroupId(0);
    x.setUserName("");
    x.setGroupName("");
    x.setModTime(time);
    tar.putArchiveEntry(x);
    tar.write(body);
    tar.closeArchiveEntry();
  }

  /** Encodes records {@code "LEN key=value\n"} where LEN counts the whole record in bytes. */
  static byte[] paxBody(Map<String, String> pax) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Map.Entry<String, String> r : pax.entrySet()) {
      int rest = 3 + r.getKey().length() + r.getValue().getBytes(StandardCharsets.UTF_8).length;
      int len = rest + Integer.toString(rest).length();
      if (Integer.toString(len).length() > Integer.toString(rest).length()) {
        len++;
      }
      out.writeBytes((len + " " + r.getKey() + "=" + r.getValue() + "\n").getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  /** @return true when {@code s} is ASCII, without NUL, and shorter than {@code fieldLen} */
  private static boolean fits(String s, int fieldLen) {
    if (s.length() >= fieldLen) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /** Records {@code value} under {@code key} and returns an ASCII stand-in for the ustar field. */
  private static String fallback(String value, int fieldLen, Map<String, String> pax, String key) {
    pax.put(key, value);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < value.length() && sb.length() < fieldLen - 1; i++) {
      char c = value.charAt(i);
      sb.append(c < 0x80 ? c : '_');
    }
    return sb.toString();
  }

  void finish() throws IOException {
    tar.finish();
  }

  long bytesWritten() {
    return tar.getBytesWritten();
  }

  @Override
  public void close() throws IOException {
    tar.close();
  }
}
