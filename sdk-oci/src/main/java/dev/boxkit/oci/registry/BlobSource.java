package dev.boxkit.oci.registry;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The content of a blob to upload, readable more than once from any offset so that a failed
 * chunked upload can resume where the registry says it stands.
 */
@FunctionalInterface
public interface BlobSource {
  /**
   * @param offsetBytes where to start, {@code 0 <= offsetBytes <= size}
   * @return a fresh stream of the content from {@code offsetBytes}; the caller closes it
   * @throws IOException when the content cannot be read
   */
  InputStream open(long offsetBytes) throws IOException;

  /** @return the content of a file (read on each {@link #open}) */
  static BlobSource of(Path file) {
    return offset -> {
      FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
      ch.position(offset);
      return Channels.newInputStream(ch);
    };
  }

  /** @return {@code bytes} (not copied: do not change them during the upload) */
  static BlobSource of(byte[] bytes) {
    return offset -> new ByteArrayInputStream(bytes, (int) offset, bytes.length - (int) offset);
  }
}
