package dev.boxkit.oci.layout;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.DigestMismatchException;
import dev.boxkit.oci.OciException;
import dev.boxkit.oci.VerifyingInputStream;
import dev.boxkit.oci.io.StagedFile;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * Content-addressed blobs under {@code <root>/<algorithm>/<hex>} (image-spec {@code
 * image-layout.md}, the {@code blobs} directory): written through a {@link StagedFile} (streamed,
 * digested while copied, synced, renamed into place), read back verified against their
 * descriptor. The blob half of an {@link OciLayout}, which adds {@code index.json} and tags.
 *
 * <p>I/O failures are thrown as {@link OciException} naming the path, with the {@link
 * IOException} as cause. Instances are immutable and thread-safe; concurrent writers of one blob
 * both succeed, and the store holds one copy.
 */
public final class BlobStore {
  /**
   * Largest blob read whole into memory by {@link #read}, in bytes: far above real manifests,
   * indexes and configs (registries cap manifests at 4 MiB), low enough to refuse a hostile size.
   */
  public static final long MAX_READ_BYTES = 16L << 20;

  private final Path root;
  private final String owner;

  private BlobStore(Path root, String owner) {
    this.root = root;
    this.owner = owner;
  }

  /**
   * @param root the {@code blobs} directory (need not exist yet)
   * @return the store; nothing is created until a blob is written
   */
  public static BlobStore at(Path root) {
    Objects.requireNonNull(root, "root");
    Path abs = root.toAbsolutePath().normalize();
    return new BlobStore(abs, abs.toString());
  }

  /** A store whose messages name the layout {@code layoutDir} that holds it. */
  static BlobStore ofLayout(Path layoutDir) {
    return new BlobStore(layoutDir.resolve(OciLayout.BLOBS_DIR), layoutDir.toString());
  }

  /** @return the {@code blobs} directory */
  public Path root() {
    return root;
  }

  /** @return where the blob with {@code digest} is (or would be) stored */
  public Path path(Digest digest) {
    return root.resolve(digest.algorithm()).resolve(digest.hex());
  }

  /** @return true when a blob file for {@code digest} is there (not verified) */
  public boolean has(Digest digest) {
    return Files.isRegularFile(path(digest));
  }

  /** @return true when a blob file for {@code digest} of exactly {@code sizeBytes} is there */
  public boolean has(Digest digest, long sizeBytes) {
    Path p = path(digest);
    try {
      return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && Files.size(p) == sizeBytes;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Stores {@code content} (sha256), unless present.
   *
   * @return its descriptor, with {@code mediaType}
   * @throws OciException when writing fails; no partial blob is left
   */
  public Descriptor write(byte[] content, String mediaType) {
    Descriptor d = Descriptor.of(mediaType, content);
    if (has(d.digest(), d.size())) {
      return d;
    }
    return write(new ByteArrayInputStream(content), mediaType);
  }

  /**
   * Copies {@code file} in (sha256), unless present.
   *
   * @return its descriptor, with {@code mediaType}
   * @throws OciException when reading or writing fails; no partial blob is left
   */
  public Descriptor write(Path file, String mediaType) {
    try (InputStream in = Files.newInputStream(file)) {
      return write(in, mediaType);
    } catch (IOException e) {
      throw io("reading " + file, e);
    }
  }

  /**
   * Streams {@code in} to its end into a blob (sha256), unless present. Does not close {@code in}.
   *
   * @return its descriptor, with {@code mediaType}
   * @throws OciException when reading or writing fails; no partial blob is left
   */
  public Descriptor write(InputStream in, String mediaType) {
    Descriptor.of(mediaType, new byte[0]); // validates the media type before any I/O
    return store(in, mediaType, null);
  }

  /**
   * Streams {@code in} into a blob, checking it against {@code expected} (e.g. content pulled
   * from a registry). Does not close {@code in}.
   *
   * @return {@code expected}
   * @throws DigestMismatchException when the content's digest or size differ; nothing is stored
   * @throws OciException when reading or writing fails; no partial blob is left
   */
  public Descriptor write(InputStream in, Descriptor expected) {
    store(in, expected.mediaType(), expected);
    return expected;
  }

  /**
   * Opens a blob for reading, verifying it: reading past {@code descriptor.size()} bytes, or to
   * the end when the size or digest differ, throws {@link DigestMismatchException}.
   *
   * @return the content stream; the caller closes it
   * @throws BlobNotFoundException when the store lacks the blob
   */
  public InputStream open(Descriptor descriptor) {
    Path p = path(descriptor.digest());
    try {
      return new VerifyingInputStream(Files.newInputStream(p), descriptor,
          "blob " + descriptor.digest() + " in " + owner);
    } catch (NoSuchFileException e) {
      throw new BlobNotFoundException(descriptor.digest(), p);
    } catch (IOException e) {
      throw io("opening " + p, e);
    }
  }

  /**
   * Reads a small blob whole, verified.
   *
   * @throws OciException when {@code descriptor.size()} exceeds {@link #MAX_READ_BYTES}
   * @throws DigestMismatchException when the content differs from the descriptor
   * @throws BlobNotFoundException when the store lacks the blob
   */
  public byte[] read(Descriptor descriptor) {
    if (descriptor.size() > MAX_READ_BYTES) {
      throw new OciException("blob " + descriptor.digest() + " in " + owner + " is "
          + descriptor.size() + " bytes, more than the " + MAX_READ_BYTES + " read into memory");
    }
    try (InputStream in = open(descriptor)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw io("reading " + path(descriptor.digest()), e);
    }
  }

  /**
   * Reads a blob to its end, checking its digest and size, without keeping it.
   *
   * @throws DigestMismatchException when the content differs from the descriptor
   * @throws BlobNotFoundException when the store lacks the blob
   */
  public void verify(Descriptor descriptor) {
    try (InputStream in = open(descriptor)) {
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      throw io("reading " + path(descriptor.digest()), e);
    }
  }

  private Descriptor store(InputStream in, String mediaType, Descriptor expected) {
    String algorithm = expected == null ? Digest.SHA256 : expected.digest().algorithm();
    // Staged under the root, renamed into <algorithm>/ once the digest is known.
    try (StagedFile staged = StagedFile.beside(root.resolve(".incoming"))) {
      MessageDigest md = Digest.newMessageDigest(algorithm);
      long size = 0;
      try (FileChannel ch = FileChannel.open(staged.path(), StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
          OutputStream out = Channels.newOutputStream(ch)) {
        byte[] buf = new byte[128 * 1024];
        for (int n; (n = in.read(buf)) != -1; ) {
          md.update(buf, 0, n);
          out.write(buf, 0, n);
          size += n;
          if (expected != null && size > expected.size()) {
            throw new DigestMismatchException("blob for " + owner, expected.digest(),
                "longer than the expected " + expected.size() + " bytes");
          }
        }
      }
      Digest digest = Digest.fromHash(algorithm, md.digest());
      if (expected != null && (!digest.equals(expected.digest()) || size != expected.size())) {
        throw new DigestMismatchException("blob for " + owner, expected.digest(),
            digest + " (" + size + " bytes)");
      }
      // A blob of the wrong size (truncated, say) is replaced by the content just verified.
      if (!has(digest, size)) {
        Path target = path(digest);
        Files.createDirectories(target.getParent());
        staged.commitAs(target);
      }
      return expected != null ? expected : Descriptor.of(mediaType, digest, size);
    } catch (IOException e) {
      throw io("writing blob into " + root, e);
    }
  }

  private static OciException io(String what, IOException e) {
    return new OciException(what + ": " + e, e);
  }

  @Override
  public String toString() {
    return "BlobStore[" + root + "]";
  }
}
