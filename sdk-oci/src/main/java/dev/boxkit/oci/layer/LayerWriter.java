package dev.boxkit.oci.layer;

import dev.boxkit.oci.Digest;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The output half of a layer build: a planned entry list ({@link LayerPlan}) to tar bytes,
 * compressed ({@link Compression}, gzip block-parallel on {@code threads}), with digest and diffID
 * computed in the same single pass. Entries without an mtime get {@code defaultMtime}.
 */
final class LayerWriter {
  private static final Logger LOG = LoggerFactory.getLogger(LayerWriter.class);
  /** Write size towards the digests and the compressor, in bytes. */
  static final int IO_BUFFER_BYTES = 64 * 1024;

  private final Compression compression;
  private final int level;
  private final int compressionThreads;
  private final LayerProgressListener progressListener;
  private final Instant mtime;

  LayerWriter(Compression compression, int level, int compressionThreads,
      LayerProgressListener progressListener, Instant defaultMtime) {
    this.compression = compression;
    this.level = level;
    this.compressionThreads = compressionThreads;
    this.progressListener = progressListener;
    this.mtime = defaultMtime;
  }

  /**
   * Writes {@code plan} as a tar to {@code sink} (flushed, not closed), compressed, digesting the
   * compressed and the uncompressed bytes in the same pass.
   */
  LayerDigests write(OutputStream sink, List<LayerEntry> plan) throws IOException {
    DigestingOutputStream compressed = new DigestingOutputStream(new FilterOutputStream(sink) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        out.flush(); // the caller owns the sink
      }
    });
    boolean plain = compression == Compression.NONE;
    // Compression threads live as long as this build; the blocks in flight are bounded by the
    // compressing stream, so the queue stays short and memory flat.
    ExecutorService pool = compression == Compression.GZIP
        ? Executors.newFixedThreadPool(compressionThreads, LayerWriter::compressionThread) : null;
    DigestingOutputStream uncompressed;
    try {
      uncompressed = plain ? compressed
          : new DigestingOutputStream(compression.compress(compressed, level, compressionThreads, pool));
      long written = 0;
      // Commons Compress writes 512-byte records; batch them so the digest and compressor see
      // large writes. Chunking never changes the output: gzip blocks are cut by byte count.
      try (TarEmitter tar = new TarEmitter(new BufferedOutputStream(uncompressed, IO_BUFFER_BYTES))) {
        for (LayerEntry e : plan) {
          tar.write(e, modeOf(e), e.attributes().mtime() != null ? e.attributes().mtime() : mtime);
          written++;
          if (progressListener != null) {
            progressListener.onProgress(written, plan.size(), tar.bytesWritten());
          }
        }
        tar.finish();
      }
    } finally {
      if (pool != null) {
        pool.shutdownNow();
      }
    }
    Digest diffId = uncompressed.digest();
    Digest digest = plain ? diffId : compressed.digest();
    LOG.debug("wrote layer {} (diffID {}): {} entries, {} bytes, {} uncompressed", digest, diffId,
        plan.size(), compressed.count(), uncompressed.count());
    return new LayerDigests(digest, diffId, compressed.count(), uncompressed.count(),
        compression.mediaType());
  }

  private static Thread compressionThread(Runnable r) {
    Thread t = new Thread(r, "boxkit-layer-compress");
    t.setDaemon(true);
    return t;
  }

  private static FileMode modeOf(LayerEntry e) {
    if (e instanceof LayerEntry.Symlink) {
      return FileMode.SYMLINK;
    }
    FileMode m = e.attributes().mode();
    if (m != null) {
      return m;
    }
    return e instanceof LayerEntry.Directory ? FileMode.DIRECTORY : FileMode.FILE;
  }
}
