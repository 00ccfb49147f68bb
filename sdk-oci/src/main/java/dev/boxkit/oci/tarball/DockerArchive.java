package dev.boxkit.oci.tarball;

import dev.boxkit.oci.Annotations;
import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.DigestMismatchException;
import dev.boxkit.oci.ImageConfig;
import dev.boxkit.oci.ImageIndex;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.OciException;
import dev.boxkit.oci.io.StagedFile;
import dev.boxkit.oci.json.OciJson;
import dev.boxkit.oci.layout.OciLayout;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Writes a {@code docker load} / {@code docker-archive:} tarball of one image.
 *
 * <p>Layout, as {@code docker save} writes it since Docker 25: {@code blobs/sha256/<hex>} for
 * the config, each layer and the manifest, {@code manifest.json} ({@code [{"Config", "RepoTags",
 * "Layers"}]}) and {@code repositories} for {@code docker load}, and {@code index.json} plus
 * {@code oci-layout}, which make the same tarball an OCI image layout (containerd's image store
 * and skopeo's {@code oci-archive:} read that part). Layers are stored as given: uncompressed or gzip tars, which both
 * docker and skopeo accept; they are never recompressed. The output is reproducible: entries
 * sorted by name, mtime 0, uid/gid 0, modes 0644/0755. It is written to a temp file beside the
 * target and renamed, so the target is either the old file or the complete new one; it is not
 * forced to disk (a power loss right after may lose it; it is rebuilt from its inputs). Layer
 * bytes are copied by the kernel, file to file, and checked against their digests on other
 * threads before the rename. A target that already holds exactly the archive to write (a
 * rebuild with nothing changed) is left as it is, modification time included: that is checked
 * by reading it, every byte compared or hashed against the layers' digests.
 */
public final class DockerArchive {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DockerArchive.class);
  private static final String BLOB_DIR = "blobs/sha256/";
  private static final String CONTAINERD_IMAGE_NAME = "io.containerd.image.name";

  private DockerArchive() {}

  /**
   * A layer blob on disk.
   *
   * @param file the blob file, as stored (compressed or not)
   * @param digest the file's digest (sha256); checked while the archive is written
   * @param mediaType an uncompressed or gzip layer type (OCI or Docker)
   */
  public record LayerBlob(Path file, Digest digest, String mediaType) {
    /**
     * @throws InvalidInputException (field {@code layer.mediaType}) for a zstd or non-layer
     *     type, or (field {@code layer.digest}) for a non-sha256 digest
     */
    public LayerBlob {
      Objects.requireNonNull(file, "file");
      Objects.requireNonNull(digest, "digest");
      if (!MediaType.isUncompressedLayer(mediaType) && !MediaType.isGzipLayer(mediaType)) {
        throw new InvalidInputException("layer.mediaType", mediaType,
            "a docker archive holds uncompressed or gzip layers only");
      }
      if (!Digest.SHA256.equals(digest.algorithm())) {
        throw new InvalidInputException("layer.digest", digest.toString(),
            "a docker archive names blobs by sha256");
      }
    }
  }

  /**
   * Reads a {@code docker save} tarball holding one image (Docker's {@code manifest.json}, with
   * entries as {@code <id>/layer.tar} or {@code blobs/sha256/<hex>}, linked duplicates allowed)
   * into {@code layout}: its layers as stored (uncompressed ones checked against the config's
   * {@code diff_ids}), its config, and an OCI image manifest made for them. Nothing is tagged;
   * blobs the layout has are kept. Entry names are only matched, never used as host paths.
   *
   * @param archive the tarball
   * @param layout where the blobs and the manifest go
   * @return the descriptor of the manifest written into {@code layout}
   * @throws DigestMismatchException when an uncompressed layer does not match its diffID
   * @throws OciException naming the archive when it is unreadable, has no {@code manifest.json},
   *     lists no image or several, or lacks an entry its {@code manifest.json} names
   */
  public static Descriptor read(Path archive, OciLayout layout) {
    Objects.requireNonNull(archive, "archive");
    Objects.requireNonNull(layout, "layout");
    return DockerArchiveReader.read(archive, layout);
  }

  /**
   * Writes the image stored in {@code layout} under {@code manifest}.
   *
   * @param target the tarball to write (its parent must exist); replaced atomically
   * @param layout the layout holding the manifest, config and layers
   * @param manifest descriptor of an image manifest in {@code layout}
   * @param repoTags references to tag the image with when loaded (tags, not digests); may be empty
   * @throws InvalidInputException for zstd layers, bad repo tags or a config whose diff_ids do
   *     not match the layers
   * @throws DigestMismatchException when a blob differs from its descriptor; nothing is written
   * @throws OciException when reading or writing fails; nothing is written
   */
  public static void write(Path target, OciLayout layout, Descriptor manifest,
      List<ImageReference> repoTags) {
    ImageManifest m = layout.readManifest(manifest);
    byte[] config = layout.readBlob(m.config());
    List<LayerBlob> layers = new ArrayList<>();
    for (Descriptor l : m.layers()) {
      layers.add(new LayerBlob(layout.blobPath(l.digest()), l.digest(), l.mediaType()));
    }
    // The manifest goes in byte for byte, so the image keeps its digest.
    write(target, config, layers, repoTags,
        Descriptor.of(manifest.mediaType(), manifest.digest(), manifest.size()),
        layout.readBlob(manifest));
  }

  /**
   * Writes an image from its parts; its OCI manifest is made from them (OCI media types, gzip
   * layers as {@code tar+gzip}).
   *
   * @param target the tarball to write (its parent must exist); replaced atomically
   * @param config the image configuration JSON, written byte for byte
   * @param layers the layer blobs, base layer first
   * @param repoTags references to tag the image with when loaded (tags, not digests); may be empty
   * @throws InvalidInputException for bad repo tags (field {@code repoTag}) or a config whose
   *     diff_ids count differs from the layer count, or whose diff_id of an uncompressed layer is
   *     not that layer's digest (field {@code config})
   * @throws dev.boxkit.oci.MalformedContentException when {@code config} is not an image config
   * @throws DigestMismatchException when a layer file differs from its digest; nothing is written
   * @throws OciException when reading or writing fails; nothing is written
   */
  public static void write(Path target, byte[] config, List<LayerBlob> layers,
      List<ImageReference> repoTags) {
    write(target, config, layers, repoTags, null, null);
  }

  private static void write(Path target, byte[] config, List<LayerBlob> layers,
      List<ImageReference> repoTags, Descriptor manifest, byte[] manifestBytes) {
    Objects.requireNonNull(target, "target");
    List<String> tags = new ArrayList<>();
    for (ImageReference r : repoTags) {
      if (r.tag() == null || r.digest() != null) {
        throw new InvalidInputException("repoTag", r.toString(),
            "must be a tagged reference without a digest");
      }
      tags.add(r.familiarString());
    }
    ImageConfig parsed = OciJson.read(config, ImageConfig.class, "image config");
    if (parsed.diffIds().size() != layers.size()) {
      throw new InvalidInputException("config", Digest.sha256(config).toString(),
          "has " + parsed.diffIds().size() + " diff_ids for " + layers.size() + " layers");
    }
    for (int i = 0; i < layers.size(); i++) {
      LayerBlob l = layers.get(i);
      if (MediaType.isUncompressedLayer(l.mediaType()) && !l.digest().equals(parsed.diffIds().get(i))) {
        throw new InvalidInputException("config", Digest.sha256(config).toString(),
            "diff_ids[" + i + "] is " + parsed.diffIds().get(i) + " but uncompressed layer " + i
                + " is " + l.digest());
      }
    }
    Digest configDigest = Digest.sha256(config);

    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("Config", BLOB_DIR + configDigest.hex());
    entry.put("RepoTags", tags);
    List<String> layerPaths = new ArrayList<>();
    for (LayerBlob l : layers) {
      layerPaths.add(BLOB_DIR + l.digest().hex());
    }
    entry.put("Layers", layerPaths);
    byte[] manifestJson = OciJson.write(List.of(entry));

    if (manifest == null) {
      manifestBytes = OciJson.write(ociManifest(configDigest, config.length, layers));
      manifest = Descriptor.of(MediaType.OCI_MANIFEST, manifestBytes);
    }
    // Sorted by entry name: the archive's bytes depend only on its content.
    TreeMap<String, Object> files = new TreeMap<>();
    files.put(BLOB_DIR + configDigest.hex(), config);
    for (LayerBlob l : layers) {
      files.putIfAbsent(BLOB_DIR + l.digest().hex(), l);
    }
    files.put(BLOB_DIR + manifest.digest().hex(), manifestBytes);
    files.put("manifest.json", manifestJson);
    files.put("index.json", OciJson.write(ociIndex(manifest, repoTags)));
    files.put("oci-layout", OciJson.write(Map.of("imageLayoutVersion", "1.0.0")));
    if (!tags.isEmpty() && !layers.isEmpty()) {
      files.put("repositories", repositories(repoTags, layers, parsed));
    }

    Path abs = target.toAbsolutePath();
    Map<String, Long> sizes = new TreeMap<>();
    for (Map.Entry<String, Object> f : files.entrySet()) {
      sizes.put(f.getKey(), f.getValue() instanceof byte[] b ? (long) b.length : layerSize((LayerBlob) f.getValue()));
    }
    if (UstarWriter.fits(sizes)) {
      writeDirect(abs, files, sizes);
      return;
    }
    // Not synced: like a layer blob, the archive is checked by whoever loads it (docker load
    // verifies each layer against the config's diff_ids) and is rebuilt from its inputs; syncing
    // a few hundred MB cost more than the rest of a warm rebuild. Still atomic for readers.
    try (StagedFile staged = StagedFile.beside(abs, false)) {
      try (FileChannel ch = FileChannel.open(staged.path(), StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        writeStreamed(ch, files);
      }
      staged.commit();
    } catch (IOException e) {
      throw new OciException("writing docker archive " + abs + ": " + e, e);
    }
  }

  /**
   * Writes the archive with {@link UstarWriter}, unless {@code target} holds it already (a
   * rebuild with nothing changed: same inputs, same bytes), which is checked by reading the
   * target only, its layer regions hashed in parallel. Otherwise layer bytes go from file to file
   * in the kernel ({@link FileChannel#transferTo}), never through this JVM, while other threads
   * hash each layer file; a layer that does not match its digest fails the write before the
   * rename, so the target is the old file or the new one, never a mix.
   */
  private static void writeDirect(Path target, Map<String, Object> files, Map<String, Long> sizes) {
    ExecutorService pool = Executors.newFixedThreadPool(
        Math.max(1, Math.min(sizes.size(), Runtime.getRuntime().availableProcessors())), r -> {
          Thread t = new Thread(r, "boxkit-archive-verify");
          t.setDaemon(true);
          return t;
        });
    try {
      UstarWriter plan = plan(files, sizes);
      if (Files.isRegularFile(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        try (FileChannel existing = FileChannel.open(target, StandardOpenOption.READ)) {
          if (plan.matches(existing, pool)) {
            LOG.debug("{} holds this image already; left as it is", target);
            return;
          }
        } catch (IOException e) {
          LOG.debug("cannot compare {} ({}); writing it again", target, e.toString());
        }
      }
      // Not synced: like a layer blob, the archive is checked by whoever loads it (docker load
      // verifies each layer against the config's diff_ids) and is rebuilt from its inputs.
      // Still atomic for readers.
      try (StagedFile staged = StagedFile.beside(target, false)) {
        try (FileChannel ch = FileChannel.open(staged.path(), StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE)) {
          writeDirect(ch, files, sizes, plan, pool);
        }
        staged.commit();
      }
    } catch (IOException e) {
      throw new OciException("writing docker archive " + target + ": " + e, e);
    } finally {
      pool.shutdownNow();
    }
  }

  static UstarWriter plan(Map<String, Object> files, Map<String, Long> sizes) throws IOException {
    UstarWriter tar = new UstarWriter().directory("blobs/").directory(BLOB_DIR);
    for (Map.Entry<String, Object> f : files.entrySet()) {
      if (f.getValue() instanceof byte[] bytes) {
        tar.file(f.getKey(), bytes);
      } else {
        tar.file(f.getKey(), (LayerBlob) f.getValue(), sizes.get(f.getKey()));
      }
    }
    return tar.finish();
  }

  /** Writes {@code plan} to {@code ch}, checking each layer file against its digest in {@code pool}. */
  static void writeDirect(FileChannel ch, Map<String, Object> files, Map<String, Long> sizes,
      UstarWriter plan, ExecutorService pool) throws IOException {
    Map<LayerBlob, Future<Digest>> digests = new LinkedHashMap<>();
    for (Object o : files.values()) {
      if (o instanceof LayerBlob l) {
        long size = sizes.get(BLOB_DIR + l.digest().hex());
        digests.put(l, pool.submit(() -> {
          try (FileChannel in = FileChannel.open(l.file(), StandardOpenOption.READ)) {
            return UstarWriter.hash(in, 0, size, l.digest());
          }
        }));
      }
    }
    plan.writeTo(ch);
    for (Map.Entry<LayerBlob, Future<Digest>> d : digests.entrySet()) {
      Digest actual = join(d.getValue());
      if (!actual.equals(d.getKey().digest())) {
        throw new DigestMismatchException("layer file " + d.getKey().file(), d.getKey().digest(),
            actual.toString());
      }
    }
  }

  static <T> T join(Future<T> f) throws IOException {
    try {
      return f.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IOException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted verifying layers");
    }
  }

  /**
   * Writes the archive through Commons Compress, for what {@link UstarWriter} does not write
   * (names of 100 bytes or more, entries of 8 GiB or more: PAX headers); the same bytes otherwise.
   */
  static void writeStreamed(FileChannel ch, Map<String, Object> files) throws IOException {
    OutputStream raw = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
    TarArchiveOutputStream tar = new TarArchiveOutputStream(raw);
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    putDir(tar, "blobs/");
    putDir(tar, BLOB_DIR);
    for (Map.Entry<String, Object> f : files.entrySet()) {
      if (f.getValue() instanceof byte[] bytes) {
        putFile(tar, f.getKey(), bytes);
      } else {
        putLayer(tar, f.getKey(), (LayerBlob) f.getValue());
      }
    }
    tar.finish();
    tar.flush();
    raw.flush();
  }

  private static long layerSize(LayerBlob layer) {
    try {
      return Files.size(layer.file());
    } catch (NoSuchFileException e) {
      throw new OciException("layer " + layer.digest() + ": no file " + layer.file(), e);
    } catch (IOException e) {
      throw new OciException("layer " + layer.digest() + ": cannot read " + layer.file() + ": " + e, e);
    }
  }

  private static ImageManifest ociManifest(Digest config, long configSize, List<LayerBlob> layers)
      throws OciException {
    List<Descriptor> descriptors = new ArrayList<>();
    for (LayerBlob l : layers) {
      String type = MediaType.isGzipLayer(l.mediaType()) ? MediaType.OCI_LAYER_TAR_GZIP
          : MediaType.OCI_LAYER_TAR;
      try {
        descriptors.add(Descriptor.of(type, l.digest(), Files.size(l.file())));
      } catch (IOException e) {
        throw new OciException("layer " + l.digest() + ": cannot read " + l.file() + ": " + e, e);
      }
    }
    return ImageManifest.of(Descriptor.of(MediaType.OCI_CONFIG, config, configSize), descriptors);
  }

  // What docker save (25+) writes: one entry per repo tag, named for containerd and for OCI.
  private static ImageIndex ociIndex(Descriptor manifest, List<ImageReference> repoTags) {
    List<Descriptor> entries = new ArrayList<>();
    for (ImageReference r : repoTags) {
      entries.add(manifest.withAnnotation(CONTAINERD_IMAGE_NAME, r.toString())
          .withAnnotation(Annotations.REF_NAME, r.tag()));
    }
    return ImageIndex.of(entries.isEmpty() ? List.of(manifest) : entries);
  }

  // Legacy file for pre-1.10 loaders: repository → tag → top layer id.
  private static byte[] repositories(List<ImageReference> repoTags, List<LayerBlob> layers,
      ImageConfig config) {
    String top = config.diffIds().get(layers.size() - 1).hex();
    Map<String, Map<String, String>> repos = new TreeMap<>();
    for (ImageReference r : repoTags) {
      String name = r.familiarString();
      name = name.substring(0, name.length() - r.tag().length() - 1);
      repos.computeIfAbsent(name, k -> new TreeMap<>()).put(r.tag(), top);
    }
    return OciJson.write(repos);
  }

  private static void putDir(TarArchiveOutputStream tar, String name) throws IOException {
    TarArchiveEntry e = UstarWriter.entry(name, 040755);
    tar.putArchiveEntry(e);
    tar.closeArchiveEntry();
  }

  private static void putFile(TarArchiveOutputStream tar, String name, byte[] content)
      throws IOException {
    TarArchiveEntry e = UstarWriter.entry(name, 0100644);
    e.setSize(content.length);
    tar.putArchiveEntry(e);
    tar.write(content);
    tar.closeArchiveEntry();
  }

  private static void putLayer(TarArchiveOutputStream tar, String name, LayerBlob layer)
      throws IOException {
    long size;
    try {
      size = Files.size(layer.file());
    } catch (NoSuchFileException e) {
      throw new OciException("layer " + layer.digest() + ": no file " + layer.file(), e);
    }
    TarArchiveEntry e = UstarWriter.entry(name, 0100644);
    e.setSize(size);
    tar.putArchiveEntry(e);
    MessageDigest md = layer.digest().newMessageDigest();
    long copied = 0;
    try (InputStream in = Files.newInputStream(layer.file())) {
      byte[] buf = new byte[128 * 1024];
      for (int n; (n = in.read(buf)) != -1 && copied < size; ) {
        n = (int) Math.min(n, size - copied);
        md.update(buf, 0, n);
        tar.write(buf, 0, n);
        copied += n;
      }
    }
    Digest actual = Digest.fromHash(layer.digest().algorithm(), md.digest());
    if (copied != size || !actual.equals(layer.digest())) {
      throw new DigestMismatchException("layer file " + layer.file(), layer.digest(),
          actual + " (" + copied + " bytes)");
    }
    tar.closeArchiveEntry();
  }
}
