package dev.boxkit.oci.layer;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;

/**
 * How a layer's tar stream is compressed, with the media type the result carries (image-spec
 * {@code layer.md}, "Media Types"). A new algorithm (e.g. zstd) is one more constant.
 */
public enum Compression {
  /** Plain tar: {@code application/vnd.oci.image.layer.v1.tar}; the digest equals the diffID. */
  NONE("application/vnd.oci.image.layer.v1.tar") {
    @Override
    OutputStream wrap(OutputStream out, int level) {
      return new FilterOutputStream(out) {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
        }
      };
    }
  },

  /**
   * gzip (RFC 1952): {@code application/vnd.oci.image.layer.v1.tar+gzip}. The header is fixed —
   * no file name, mtime 0, OS byte 255 ("unknown", as Go's {@code compress/gzip} writes), XFL per
   * level — so equal tar streams give equal blobs with the JDK's zlib. Written by Commons
   * Compress' {@link GzipCompressorOutputStream} over {@link java.util.zip.Deflater}.
   */
  GZIP("application/vnd.oci.image.layer.v1.tar+gzip") {
    @Override
    OutputStream wrap(OutputStream out, int level) throws IOException {
      GzipParameters p = new GzipParameters();
      p.setCompressionLevel(level);
      p.setModificationTime(0);
      p.setOperatingSystem(255);
      p.setBufferSize(64 * 1024);
      return new GzipCompressorOutputStream(out, p);
    }
  };

  /** Media type of a plain tar layer. */
  public static final String MEDIA_TYPE_TAR = "application/vnd.oci.image.layer.v1.tar";
  /** Media type of a gzip-compressed tar layer. */
  public static final String MEDIA_TYPE_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";

  private final String mediaType;

  Compression(String mediaType) {
    this.mediaType = mediaType;
  }

  /** @return the OCI media type of a layer blob compressed this way */
  public String mediaType() {
    return mediaType;
  }

  /**
   * Wraps {@code out}; closing the result finishes the compressed stream and closes {@code out}.
   *
   * @param level 0 (store) to 9 (smallest), where the algorithm has levels
   */
  abstract OutputStream wrap(OutputStream out, int level) throws IOException;
}
