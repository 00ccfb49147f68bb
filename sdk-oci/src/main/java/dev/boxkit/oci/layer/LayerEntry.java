package dev.boxkit.oci.layer;

import dev.boxkit.oci.InvalidInputException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Objects;

/**
 * One entry of a layer changeset: a regular file, directory, symlink or hardlink at an
 * {@link ImagePath}, with its {@link EntryAttributes}. Whiteouts are empty regular files named
 * {@code .wh.NAME} (see {@link LayerBuilder#addWhiteout(String)}). Immutable.
 */
public sealed interface LayerEntry
    permits LayerEntry.RegularFile, LayerEntry.Directory, LayerEntry.Symlink, LayerEntry.Hardlink {

  /** @return where the entry lives in the image; never the root */
  ImagePath path();

  /** @return its ownership, mode and mtime */
  EntryAttributes attributes();

  /**
   * A regular file whose content is streamed when the layer is built.
   *
   * @param path where it lives
   * @param sizeBytes exact content length in bytes, {@code >= 0}; a source that yields more or
   *     fewer bytes fails the build with {@link LayerSourceException}
   * @param content opens the content; called once per build
   * @param source describes the content in error messages, e.g. a host path
   * @param attributes mode (default {@code 0644}), owner, mtime
   */
  record RegularFile(ImagePath path, long sizeBytes, IOSupplier<InputStream> content, String source,
      EntryAttributes attributes) implements LayerEntry {
    /** @throws InvalidInputException when a field is missing or the size is negative */
    public RegularFile {
      requireEntry(path, attributes);
      if (sizeBytes < 0) {
        throw new InvalidInputException("size of " + path, Long.toString(sizeBytes), "must be >= 0");
      }
      if (content == null) {
        throw new InvalidInputException("content of " + path, null, "must not be null");
      }
      source = source == null ? "content for " + path : source;
    }

    /** @return a file holding {@code bytes} (copied) */
    public static RegularFile ofBytes(ImagePath path, byte[] bytes, EntryAttributes attributes) {
      if (bytes == null) {
        throw new InvalidInputException("content of " + path, null, "must not be null");
      }
      byte[] copy = bytes.clone();
      return new RegularFile(path, copy.length, () -> new ByteArrayInputStream(copy),
          "bytes for " + path, attributes);
    }
  }

  /**
   * A directory.
   *
   * @param path where it lives
   * @param attributes mode (default {@code 0755}), owner, mtime
   */
  record Directory(ImagePath path, EntryAttributes attributes) implements LayerEntry {
    /** @throws InvalidInputException when a field is missing */
    public Directory {
      requireEntry(path, attributes);
    }
  }

  /**
   * A symbolic link, stored verbatim: never resolved while building.
   *
   * @param path where the link lives
   * @param target what it points to, absolute or relative; non-empty, no NUL
   * @param attributes owner and mtime; the mode is always {@code 0777} on Linux
   */
  record Symlink(ImagePath path, String target, EntryAttributes attributes) implements LayerEntry {
    /** @throws InvalidInputException when the target is empty or contains NUL */
    public Symlink {
      requireEntry(path, attributes);
      if (target == null || target.isEmpty() || target.indexOf('\0') >= 0) {
        throw new InvalidInputException("symlink target of " + path, target,
            "must be non-empty and contain no NUL");
      }
    }
  }

  /**
   * A hardlink to another regular file. If the target is in the same layer it is written first;
   * otherwise it must exist in a lower layer when the image is unpacked.
   *
   * @param path where the link lives
   * @param target the file it links to
   * @param attributes recorded in the tar header; extractors use the target's
   */
  record Hardlink(ImagePath path, ImagePath target, EntryAttributes attributes)
      implements LayerEntry {
    /** @throws InvalidInputException when a field is missing or the link targets itself */
    public Hardlink {
      requireEntry(path, attributes);
      if (target == null || target.isRoot() || target.equals(path)) {
        throw new InvalidInputException("hardlink target of " + path,
            Objects.toString(target, null), "must be another file");
      }
    }
  }

  private static void requireEntry(ImagePath path, EntryAttributes attributes) {
    if (path == null) {
      throw new InvalidInputException("image path", null, "must not be null");
    }
    if (path.isRoot()) {
      throw new InvalidInputException("image path", path.value(), "the root cannot be an entry");
    }
    if (attributes == null) {
      throw new InvalidInputException("attributes of " + path, null, "must not be null");
    }
  }
}
