package dev.boxkit.oci.layout;

import dev.boxkit.oci.Annotations;
import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.ImageConfig;
import dev.boxkit.oci.ImageIndex;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.MalformedContentException;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.OciException;
import dev.boxkit.oci.io.StagedFile;
import dev.boxkit.oci.json.OciJson;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OCI image layout directory (image-spec {@code image-layout.md}): {@code oci-layout},
 * {@code index.json} and {@code blobs/<alg>/<hex>}: a {@link BlobStore} (see {@link #blobs()})
 * plus the index and its tags.
 *
 * <p>Writes never leave a layout that readers see as corrupt: a blob is streamed to a temp file
 * inside {@code blobs/}, digested while copied, synced and renamed into place; {@code index.json}
 * is replaced by rename (both through {@link dev.boxkit.oci.io.StagedFile}), and only after the blobs it references exist. Tagging holds an in-JVM
 * lock and an OS file lock on {@code oci-layout}, so concurrent taggers (threads and processes)
 * never lose each other's tags; no lock file is left in the layout.
 *
 * <p>I/O failures are thrown as {@link OciException} naming the path, with the
 * {@link IOException} as cause. Instances are thread-safe.
 */
public final class OciLayout {
  private static final Logger LOG = LoggerFactory.getLogger(OciLayout.class);

  /** Name of the file marking the layout and its version. */
  public static final String LAYOUT_FILE = "oci-layout";
  /** Name of the layout's top-level index. */
  public static final String INDEX_FILE = "index.json";
  /** Name of the blobs directory. */
  public static final String BLOBS_DIR = "blobs";
  /** The only layout version the spec defines. */
  public static final String LAYOUT_VERSION = "1.0.0";
  /** The lock file older BoxKit versions made; tolerated in a half-created layout, never made now. */
  static final String LEGACY_LOCK_FILE = "index.json.lock";
  /**
   * Largest JSON document (manifest, index, config) read into memory, in bytes: far above real
   * ones (distribution registries cap manifests at 4 MiB), low enough to refuse a hostile size.
   */
  public static final long MAX_JSON_BYTES = BlobStore.MAX_READ_BYTES;

  // image-spec annotations.md, org.opencontainers.image.ref.name.
  private static final String REF_COMPONENT = "[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*";
  private static final Pattern REF_NAME =
      Pattern.compile(REF_COMPONENT + "(?:/" + REF_COMPONENT + ")*");

  // POSIX record locks belong to the process and one close() drops them all, so threads must
  // take turns in-JVM before touching the lock file: this map is process-wide on purpose.
  private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

  private final Path dir;
  private final BlobStore blobs;

  private OciLayout(Path dir) {
    this.dir = dir;
    this.blobs = BlobStore.ofLayout(dir);
  }

  /**
   * Creates a layout in {@code dir} (creating the directory), or opens the layout already there.
   *
   * @param dir the layout directory; may not exist yet
   * @return the layout
   * @throws InvalidInputException (field {@code "layout"}) when {@code dir} exists, holds other
   *     files and is not an OCI layout: nothing in it is touched
   * @throws OciException when the directory cannot be created or written
   */
  public static OciLayout create(Path dir) {
    Objects.requireNonNull(dir, "dir");
    Path abs = dir.toAbsolutePath().normalize();
    if (Files.isRegularFile(abs.resolve(LAYOUT_FILE))) {
      return open(abs);
    }
    if (Files.exists(abs) && !Files.isDirectory(abs)) {
      throw new InvalidInputException("layout", abs.toString(), "exists and is not a directory");
    }
    try {
      if (Files.isDirectory(abs)) {
        checkNoForeignFiles(abs); // before anything is made: a user's directory stays as is
      }
      Files.createDirectories(abs);
      OciLayout layout = new OciLayout(abs);
      // No lock here: each file is created only if absent (link(2) never replaces), so
      // concurrent creators cannot overwrite an index that a tagger has already extended.
      mkdirs(abs.resolve(BLOBS_DIR).resolve(Digest.SHA256));
      layout.createIfAbsent(abs.resolve(INDEX_FILE), OciJson.write(ImageIndex.of(List.of())));
      // Created last: its presence says the layout is complete.
      layout.createIfAbsent(abs.resolve(LAYOUT_FILE),
          OciJson.write(Map.of("imageLayoutVersion", LAYOUT_VERSION)));
      return layout;
    } catch (IOException e) {
      throw io("creating OCI layout " + abs, e);
    }
  }

  // A half-created layout (no oci-layout yet) may be completed; anything else is someone's data.
  private static void checkNoForeignFiles(Path abs) {
    try (var entries = Files.list(abs)) {
      List<String> foreign = entries.map(p -> p.getFileName().toString())
          .filter(n -> !Set.of(BLOBS_DIR, INDEX_FILE, LEGACY_LOCK_FILE).contains(n))
          .filter(n -> !n.startsWith(INDEX_FILE + ".tmp-") && !n.startsWith(LAYOUT_FILE + ".tmp-")
              && !n.startsWith("." + INDEX_FILE + ".tmp-") && !n.startsWith("." + LAYOUT_FILE + ".tmp-"))
          .sorted().toList();
      if (!foreign.isEmpty()) {
        throw new InvalidInputException("layout", abs.toString(),
            "directory is not empty and not an OCI layout (has " + foreign + ")");
      }
    } catch (IOException e) {
      throw io("listing " + abs, e);
    }
  }

  /**
   * Opens an existing layout.
   *
   * @param dir the layout directory
   * @return the layout
   * @throws InvalidInputException (field {@code "layout"}) when {@code dir} has no
   *     {@code oci-layout} file
   * @throws MalformedContentException when {@code oci-layout} is not JSON or its
   *     {@code imageLayoutVersion} is not {@code 1.0.0}
   */
  public static OciLayout open(Path dir) {
    Objects.requireNonNull(dir, "dir");
    Path abs = dir.toAbsolutePath().normalize();
    Path header = abs.resolve(LAYOUT_FILE);
    byte[] bytes;
    try {
      bytes = readHeader(header);
    } catch (NoSuchFileException e) {
      throw new InvalidInputException("layout", abs.toString(),
          "not an OCI image layout (no " + LAYOUT_FILE + " file)");
    } catch (IOException e) {
      throw io("reading " + header, e);
    }
    Map<?, ?> map = OciJson.read(bytes, Map.class, header.toString());
    Object version = map.get("imageLayoutVersion");
    if (!LAYOUT_VERSION.equals(version)) {
      throw new MalformedContentException(header.toString(),
          "imageLayoutVersion is " + version + ", expected " + LAYOUT_VERSION, null);
    }
    return new OciLayout(abs);
  }

  /**
   * Reads {@code oci-layout} holding the in-JVM lock of that file: closing any descriptor of a
   * file drops every POSIX lock this process holds on it, so a read must not overlap a tag of
   * another thread (see {@link #withIndexLock}).
   */
  private static byte[] readHeader(Path header) throws IOException {
    ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(header.toRealPath(), k -> new ReentrantLock());
    jvmLock.lock();
    try {
      return Files.readAllBytes(header);
    } finally {
      jvmLock.unlock();
    }
  }

  /** @return the layout directory (absolute) */
  public Path dir() {
    return dir;
  }

  /** @return the layout's blobs (the {@code blobs} directory) */
  public BlobStore blobs() {
    return blobs;
  }

  /** @return where the blob with {@code digest} is (or would be) stored */
  public Path blobPath(Digest digest) {
    return blobs.path(digest);
  }

  /** @return true when the layout holds a blob file for {@code digest} (not verified) */
  public boolean hasBlob(Digest digest) {
    return blobs.has(digest);
  }

  /** @see BlobStore#write(byte[], String) */
  public Descriptor writeBlob(byte[] content, String mediaType) {
    return blobs.write(content, mediaType);
  }

  /** @see BlobStore#write(Path, String) */
  public Descriptor writeBlob(Path file, String mediaType) {
    return blobs.write(file, mediaType);
  }

  /** @see BlobStore#write(InputStream, String) */
  public Descriptor writeBlob(InputStream in, String mediaType) {
    return blobs.write(in, mediaType);
  }

  /** @see BlobStore#write(InputStream, Descriptor) */
  public Descriptor writeBlob(InputStream in, Descriptor expected) {
    return blobs.write(in, expected);
  }

  /**
   * Writes {@code manifest} as a blob.
   *
   * @return its descriptor, with the manifest's media type (OCI when it has none)
   */
  public Descriptor writeManifest(ImageManifest manifest) {
    return writeBlob(OciJson.write(manifest),
        manifest.mediaType() == null ? MediaType.OCI_MANIFEST : manifest.mediaType());
  }

  /** @return the descriptor of {@code index}, written as a blob */
  public Descriptor writeIndex(ImageIndex index) {
    return writeBlob(OciJson.write(index),
        index.mediaType() == null ? MediaType.OCI_INDEX : index.mediaType());
  }

  /** @return the descriptor ({@link MediaType#OCI_CONFIG}) of {@code config}, written as a blob */
  public Descriptor writeConfig(ImageConfig config) {
    return writeBlob(OciJson.write(config), MediaType.OCI_CONFIG);
  }

  /** @see BlobStore#open(Descriptor) */
  public InputStream openBlob(Descriptor descriptor) {
    return blobs.open(descriptor);
  }

  /** @see BlobStore#read(Descriptor) */
  public byte[] readBlob(Descriptor descriptor) {
    return blobs.read(descriptor);
  }

  /**
   * Reads and verifies an image manifest.
   *
   * @throws InvalidInputException (field {@code descriptor.mediaType}) when the descriptor is
   *     not a manifest's
   * @throws MalformedContentException when the content is not a manifest or its own media type
   *     contradicts the descriptor's
   */
  public ImageManifest readManifest(Descriptor descriptor) {
    requireKind(descriptor, MediaType.isManifest(descriptor.mediaType()), "an image manifest");
    String what = "manifest " + descriptor.digest() + " in " + dir;
    ImageManifest m = OciJson.read(readBlob(descriptor), ImageManifest.class, what);
    checkSameMediaType(what, m.mediaType(), descriptor);
    return m;
  }

  /**
   * Reads and verifies an image index.
   *
   * @throws InvalidInputException (field {@code descriptor.mediaType}) when the descriptor is
   *     not an index's
   * @throws MalformedContentException when the content is not an index or its own media type
   *     contradicts the descriptor's
   */
  public ImageIndex readIndex(Descriptor descriptor) {
    requireKind(descriptor, MediaType.isIndex(descriptor.mediaType()), "an image index");
    String what = "index " + descriptor.digest() + " in " + dir;
    ImageIndex i = OciJson.read(readBlob(descriptor), ImageIndex.class, what);
    checkSameMediaType(what, i.mediaType(), descriptor);
    return i;
  }

  /**
   * Reads and verifies an image configuration.
   *
   * @throws MalformedContentException when the content is not an image configuration
   */
  public ImageConfig readConfig(Descriptor descriptor) {
    return OciJson.read(readBlob(descriptor), ImageConfig.class,
        "config " + descriptor.digest() + " in " + dir);
  }

  /**
   * @return the layout's top-level {@code index.json}
   * @throws MalformedContentException when it is missing or malformed
   */
  public ImageIndex index() {
    Path p = dir.resolve(INDEX_FILE);
    try {
      return OciJson.read(Files.readAllBytes(p), ImageIndex.class, p.toString());
    } catch (IOException e) {
      throw new MalformedContentException(p.toString(), "cannot be read: " + e, e);
    }
  }

  /** @return the reference names ({@code org.opencontainers.image.ref.name}) in index.json, sorted */
  public List<String> tags() {
    TreeSet<String> tags = new TreeSet<>();
    for (Descriptor d : index().manifests()) {
      String t = d.annotation(Annotations.REF_NAME);
      if (t != null) {
        tags.add(t);
      }
    }
    return List.copyOf(tags);
  }

  /**
   * @return the index.json entry tagged {@code tag}
   * @throws TagNotFoundException naming the tag, the layout and the tags it has
   */
  public Descriptor resolve(String tag) {
    for (Descriptor d : index().manifests()) {
      if (Objects.equals(tag, d.annotation(Annotations.REF_NAME))) {
        return d;
      }
    }
    throw new TagNotFoundException(tag, dir, tags());
  }

  /**
   * Points {@code tag} at {@code manifestOrIndex} in index.json: an entry carrying that tag is
   * replaced, every other entry is kept.
   *
   * @param tag reference name per image-spec {@code annotations.md}, e.g. {@code 1.0} or
   *     {@code app:latest}
   * @param manifestOrIndex descriptor of a manifest or index already stored in this layout
   * @throws InvalidInputException (field {@code tag}) for a malformed tag, (field
   *     {@code descriptor.mediaType}) for a descriptor of another kind
   * @throws BlobNotFoundException when the layout lacks the blob (nothing is changed)
   * @throws dev.boxkit.oci.DigestMismatchException when the blob differs from the descriptor (nothing is changed)
   */
  public void tag(String tag, Descriptor manifestOrIndex) {
    if (tag == null || !REF_NAME.matcher(tag).matches()) {
      throw new InvalidInputException("tag", tag,
          "must be a reference name: alphanumerics separated by '-', '.', '_', ':', '@', '+', "
              + "'--' or '/'");
    }
    requireKind(manifestOrIndex, MediaType.isManifest(manifestOrIndex.mediaType())
        || MediaType.isIndex(manifestOrIndex.mediaType()), "a manifest or index");
    readBlob(manifestOrIndex); // present and intact before index.json points at it
    Descriptor entry = manifestOrIndex.withAnnotation(Annotations.REF_NAME, tag);
    withIndexLock(() -> {
      ImageIndex index = index();
      List<Descriptor> kept = new ArrayList<>();
      for (Descriptor d : index.manifests()) {
        if (!tag.equals(d.annotation(Annotations.REF_NAME))) {
          kept.add(d);
        }
      }
      kept.add(entry);
      // Tagging again with nothing changed (a no-op rebuild) leaves index.json as it is: no
      // rewrite, no fsync.
      if (!kept.equals(index.manifests())) {
        writeAtomically(dir.resolve(INDEX_FILE), OciJson.write(index.withManifests(kept)));
      }
      return null;
    });
    LOG.debug("tagged {} as {} in {}", manifestOrIndex.digest(), tag, dir);
  }

  /**
   * Checks the whole layout: index.json, then every index, manifest, config and layer it
   * references, recursively, verifying each blob's digest and size. Layers that are absent but
   * have {@code urls} (non-distributable) are skipped.
   *
   * @throws OciException (a {@link dev.boxkit.oci.DigestMismatchException}, {@link BlobNotFoundException} or
   *     {@link MalformedContentException}) for the first problem, naming the blob
   */
  public void verify() {
    Set<Digest> seen = new HashSet<>();
    for (Descriptor d : index().manifests()) {
      verifyNode(d, seen);
    }
  }

  private void verifyNode(Descriptor d, Set<Digest> seen) {
    if (!seen.add(d.digest())) {
      return;
    }
    if (MediaType.isIndex(d.mediaType())) {
      for (Descriptor child : readIndex(d).manifests()) {
        verifyNode(child, seen);
      }
    } else if (MediaType.isManifest(d.mediaType())) {
      ImageManifest m = readManifest(d);
      if (seen.add(m.config().digest())) {
        readBlob(m.config());
      }
      for (Descriptor layer : m.layers()) {
        if (!hasBlob(layer.digest()) && !layer.urls().isEmpty()) {
          continue;
        }
        if (seen.add(layer.digest())) {
          blobs.verify(layer);
        }
      }
    } else {
      blobs.verify(d);
    }
  }

  private void writeAtomically(Path target, byte[] content) {
    try (StagedFile staged = StagedFile.beside(target)) {
      Files.write(staged.path(), content, StandardOpenOption.CREATE_NEW);
      staged.commit(); // syncs it, renames it, syncs the directory
    } catch (IOException e) {
      throw io("writing " + target, e);
    }
  }

  /** Creates {@code file} (which must not exist) with {@code content}, synced to disk. */
  private static void writeSynced(Path file, byte[] content) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(content);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
  }

  /**
   * Writes {@code target} with {@code content} unless it exists, atomically: the content is
   * synced in a temporary file, then hard-linked to {@code target}, which fails rather than
   * replace. Where the file system has no hard links, a rename after an existence check does.
   */
  private void createIfAbsent(Path target, byte[] content) {
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (StagedFile staged = StagedFile.beside(target)) {
      writeSynced(staged.path(), content);
      try {
        Files.createLink(target, staged.path());
      } catch (FileAlreadyExistsException e) {
        return; // another creator was first: its file stays
      } catch (UnsupportedOperationException | IOException e) {
        staged.commitIfAbsent();
        return;
      }
      StagedFile.syncDirectory(target.getParent());
    } catch (IOException e) {
      throw io("writing " + target, e);
    }
  }

  /**
   * Runs {@code action} holding an in-JVM lock and an exclusive OS lock on {@code oci-layout}.
   * That file is locked because it is the one stable inode of a layout: {@code index.json} is
   * replaced by rename, so a lock on it would be on a file that a writer has just unlinked; a
   * directory cannot be opened for writing, which Java's (fcntl) exclusive locks need; and a
   * separate lock file is litter that skopeo and umoci do not leave. {@code oci-layout} is
   * written once, when the layout is created, and never replaced by BoxKit (tools that rewrite
   * it, as containers/image does, write it in place, keeping the inode).
   *
   * <p>POSIX record locks belong to the process, and closing any descriptor of the file drops
   * them: {@link #open} therefore reads {@code oci-layout} under the same in-JVM lock. Other code
   * in this JVM that opens a layout's {@code oci-layout} directly while a tag is being written
   * could drop the lock; other processes cannot.
   */
  private <T> T withIndexLock(Supplier<T> action) {
    Path lockFile = dir.resolve(LAYOUT_FILE);
    Path key;
    try {
      key = lockFile.toRealPath(); // one lock per file, however the directory was named
    } catch (IOException e) {
      throw io("opening " + lockFile + " to lock the layout", e);
    }
    ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(key, k -> new ReentrantLock());
    jvmLock.lock();
    // WRITE without TRUNCATE_EXISTING: the content stays; an exclusive fcntl lock needs write access.
    try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE);
        FileLock ignored = ch.lock()) {
      return action.get();
    } catch (IOException e) {
      throw io("locking " + lockFile, e);
    } finally {
      jvmLock.unlock();
    }
  }



  private static void mkdirs(Path d) {
    try {
      Files.createDirectories(d);
    } catch (FileAlreadyExistsException e) {
      throw io("creating " + d + " (a file is in the way)", e);
    } catch (IOException e) {
      throw io("creating " + d, e);
    }
  }


  private static void requireKind(Descriptor d, boolean ok, String kind) {
    if (!ok) {
      throw new InvalidInputException("descriptor.mediaType", d.mediaType(),
          "descriptor " + d.digest() + " is not " + kind);
    }
  }

  private static void checkSameMediaType(String what, String contentType, Descriptor d) {
    // CVE-2021-41190: a document must not be readable as two different kinds.
    if (contentType != null && !contentType.equals(d.mediaType())) {
      throw new MalformedContentException(what, "its mediaType " + contentType
          + " contradicts the descriptor's " + d.mediaType(), null);
    }
  }

  private static OciException io(String what, IOException e) {
    return new OciException(what + ": " + e, e);
  }

  @Override
  public String toString() {
    return "OciLayout[" + dir + "]";
  }
}
