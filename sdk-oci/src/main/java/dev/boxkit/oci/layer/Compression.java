package dev.boxkit.oci.layer;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.MediaType;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.Executor;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * How a layer's tar stream is compressed, with the media type the result carries (image-spec
 * {@code layer.md}, "Media Types"; the strings are the {@link MediaType} constants). The one
 * compression type of BoxKit: the layer builder writes it, the unpacker, the layer reader and the
 * image validator read it, and {@link #fromMediaType(String)} maps a descriptor to it.
 *
 * <p>Which to choose: {@link #GZIP} (the default) is what every registry, runtime and tool reads.
 * {@link #ZSTD} compresses several times faster at a similar or better ratio and unpacks faster,
 * but needs containerd 1.5+, Podman 3.x+ or Docker 23+ on the reading side (umoci and older
 * Docker cannot unpack it). {@link #NONE} is for local use, where the tar is unpacked right away.
 */
public enum Compression {
  /** Plain tar: {@value MediaType#OCI_LAYER_TAR}; the digest equals the diffID. */
  NONE(MediaType.OCI_LAYER_TAR, 0, 0, 0),

  /**
   * gzip (RFC 1952): {@value MediaType#OCI_LAYER_TAR_GZIP}, levels 0 (stored) to 9, default 6.
   * Written on all cores the way pigz does it: the tar is cut into fixed blocks of
   * {@value ParallelGzipOutputStream#DEFAULT_BLOCK_BYTES} bytes, each deflated on its own (primed
   * with the 32 KiB before it), and the results joined into one member with one CRC-32, so any
   * gzip reader reads it. The header is fixed (no name, mtime 0, OS 255 "unknown", XFL per level)
   * and the bytes depend only on the tar, the level and the block size, never on the number of
   * threads or their timing.
   */
  GZIP(MediaType.OCI_LAYER_TAR_GZIP, 0, 9, 6),

  /**
   * zstd (RFC 8878): {@value MediaType#OCI_LAYER_TAR_ZSTD}, levels 1 to 19, default 3, through
   * zstd-jni (the reference C library). Always written in zstd's multi-threaded mode (at least one
   * worker), whose output depends on the level but not on the number of workers; one frame, no
   * content checksum (the layer digest covers the bytes). zstd's workers are native threads with
   * native buffers (outside the Java heap, growing with the number of workers).
   */
  ZSTD(MediaType.OCI_LAYER_TAR_ZSTD, 1, 19, 3);

  private final String mediaType;
  private final int minLevel;
  private final int maxLevel;
  private final int defaultLevel;

  Compression(String mediaType, int minLevel, int maxLevel, int defaultLevel) {
    this.mediaType = mediaType;
    this.minLevel = minLevel;
    this.maxLevel = maxLevel;
    this.defaultLevel = defaultLevel;
  }

  /** @return the OCI media type of a layer blob compressed this way */
  public String mediaType() {
    return mediaType;
  }

  /** @return the lowest level {@link LayerBuilder#compressionLevel(int)} accepts; 0 for NONE */
  public int minLevel() {
    return minLevel;
  }

  /** @return the highest level accepted; 0 for NONE */
  public int maxLevel() {
    return maxLevel;
  }

  /** @return the level used unless one is set: 6 for gzip, 3 for zstd, 0 for NONE */
  public int defaultLevel() {
    return defaultLevel;
  }

  /**
   * The compression of a layer descriptor's media type: OCI {@code tar}, {@code tar+gzip},
   * {@code tar+zstd} (also their deprecated {@code nondistributable} forms) and Docker's gzip
   * and foreign layer types.
   *
   * @param mediaType a layer media type
   * @return how such a blob is compressed
   * @throws InvalidInputException (field {@code mediaType}) for null or a type that is not a layer
   */
  public static Compression fromMediaType(String mediaType) {
    if (MediaType.isZstdLayer(mediaType)) {
      return ZSTD;
    }
    if (MediaType.isGzipLayer(mediaType)) {
      return GZIP;
    }
    if (MediaType.isUncompressedLayer(mediaType)) {
      return NONE;
    }
    throw new InvalidInputException("mediaType", mediaType, "is not a layer media type");
  }

  /**
   * Tells the compression from a blob's first bytes: gzip {@code 1f 8b}, zstd frame
   * {@code 28 b5 2f fd}, anything else is taken for a plain tar.
   *
   * @param head the first bytes of the blob (at least 4 to recognise zstd); may be shorter
   * @return the compression found
   */
  public static Compression detect(byte[] head) {
    if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return GZIP;
    }
    if (head.length >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5
        && (head[2] & 0xff) == 0x2f && (head[3] & 0xff) == 0xfd) {
      return ZSTD;
    }
    return NONE;
  }

  /**
   * Wraps {@code in}, a blob compressed this way, so that reading the result gives the tar.
   * Concatenated gzip members and zstd frames are read as one stream. Closing the result closes
   * {@code in}.
   *
   * @throws IOException when the stream header is not what this compression expects
   * @throws UnsupportedOperationException for ZSTD when zstd-jni has no native library for this
   *     platform
   */
  public InputStream decompress(InputStream in) throws IOException {
    return switch (this) {
      case NONE -> in;
      case GZIP -> new GzipCompressorInputStream(in, true);
      case ZSTD -> {
        try {
          yield new ZstdInputStreamNoFinalizer(in);
        } catch (LinkageError e) {
          throw new UnsupportedOperationException("zstd is not available on this platform: " + e, e);
        }
      }
    };
  }

  /**
   * How many gzip blocks may be compressed or waiting at once: two per thread keeps every thread
   * busy, and the blocks (input plus output, about twice the block size each) stay under a
   * quarter of the heap. Only memory and speed depend on it, never the bytes.
   */
  static int blocksInFlight(int threads, long maxHeapBytes) {
    long byHeap = maxHeapBytes / 4 / (2L * ParallelGzipOutputStream.DEFAULT_BLOCK_BYTES);
    return (int) Math.max(2, Math.min(2L * threads + 1, byHeap));
  }

  /**
   * Wraps {@code out}; closing the result finishes the compressed stream and closes {@code out}.
   *
   * @param level within {@link #minLevel()}..{@link #maxLevel()}
   * @param threads how many threads may compress at once, at least 1; never changes the bytes
   * @param executor runs the gzip blocks; its threads are the caller's to manage
   */
  OutputStream compress(OutputStream out, int level, int threads, Executor executor) throws IOException {
    return switch (this) {
      case NONE -> new FilterOutputStream(out) {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
        }
      };
      case GZIP -> new ParallelGzipOutputStream(out, level, ParallelGzipOutputStream.DEFAULT_BLOCK_BYTES,
          executor, blocksInFlight(threads, Runtime.getRuntime().maxMemory()));
      case ZSTD -> {
        try {
          ZstdOutputStreamNoFinalizer z = new ZstdOutputStreamNoFinalizer(out);
          z.setLevel(level);
          z.setChecksum(false);
          // Multi-threaded mode with any number of workers >= 1 gives the same bytes (zstd's
          // job layout depends on the level only); single-threaded mode (0) gives other bytes.
          z.setWorkers(Math.max(1, threads));
          yield z;
        } catch (LinkageError e) {
          throw new UnsupportedOperationException("zstd is not available on this platform: " + e, e);
        }
      }
    };
  }
}
