package dev.boxkit.oci.layer;

import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.OciException;
import dev.boxkit.oci.io.StagedFile;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Builds one reproducible OCI layer: a tar changeset (image-spec {@code layer.md}), gzip-compressed
 * by default ({@link Compression}), on all cores, with its digest and diffID computed in the same
 * single streaming pass. Memory does not grow with the layer's size.
 *
 * <pre>{@code
 * LayerBlob blob = LayerBuilder.create()
 *     .addTree(Path.of("build/app"), "/app")
 *     .addFile("/etc/app.conf", "x=1\n".getBytes(UTF_8))
 *     .addSymlink("/usr/local/bin/app", "/app/bin/app")
 *     .addWhiteout("/etc/old.conf")
 *     .exclude("**}{@code /*.log")
 *     .build(Path.of("out/layer.tar.gz"));
 * }</pre>
 *
 * <p><b>Reproducible by default.</b> Entries are written sorted by path (segment by segment), each
 * directory before its contents, with missing parent directories synthesised (mode 0755, owner
 * 0:0); every mtime not set per entry is the {@linkplain #sourceDateEpoch(Instant) source date
 * epoch} ({@code SOURCE_DATE_EPOCH}, else 1970-01-01); owners are 0:0 without names unless set;
 * host permission bits are kept but never widened, with group/other write and set-uid/set-gid
 * cleared ({@link #permissions(PermissionPolicy)}), so the builder's umask does not matter; the
 * gzip header is fixed. So equal inputs give equal digests, whatever the order they were added in
 * and the host files' timestamps and owners.
 *
 * <p><b>Paths.</b> Every image path is absolute and parsed by {@link ImagePath#parse(String)}.
 * A path may appear once per layer (image-spec forbids duplicates): adding it again throws
 * {@link InvalidInputException} naming it — except identical directories, which collapse into one,
 * and {@link #replace(LayerEntry)}, which overrides any entry at its path. Names starting with
 * {@code .wh.} are reserved for whiteouts ({@link #addWhiteout}, {@link #addOpaqueWhiteout}).
 *
 * <p><b>Host trees</b> ({@link #addTree}) are scanned when the layer is built, without following
 * symlinks: a symlink stays a symlink with its target verbatim, even one pointing outside the tree.
 * Files sharing an inode become one file plus tar hardlinks to it (the first path in sort order).
 * Sockets, FIFOs and devices are rejected. {@link #exclude(String...)} filters them by image path.
 *
 * <p>A builder is not thread-safe; {@code build} may be called more than once and reads every
 * source afresh each time. Errors: {@link InvalidInputException} for bad arguments and conflicting
 * entries, {@link LayerSourceException} for sources that cannot be read (checked before any output
 * file is created where possible; a failure while writing deletes the partial output),
 * {@link OciException} when the output cannot be written.
 */
public final class LayerBuilder {
  /** Prefix of a whiteout file's name (image-spec {@code layer.md}, "Whiteouts"). */
  public static final String WHITEOUT_PREFIX = ".wh.";
  /** Name of the opaque-directory whiteout marker. */
  public static final String OPAQUE_WHITEOUT = ".wh..wh..opq";
  /** gzip level used unless told otherwise: zlib's own default balance of speed and size. */
  public static final int DEFAULT_COMPRESSION_LEVEL = 6;
  /** Most threads {@link #compressionThreads(int)} accepts. */
  public static final int MAX_COMPRESSION_THREADS = 256;
  /** Environment variable holding the default mtime, in seconds since 1970 (reproducible-builds.org). */
  public static final String SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH";


  private record Explicit(LayerEntry entry, boolean replacing) {}

  private record Tree(Path hostDir, ImagePath at) {}

  private final Map<String, String> environment;
  private final TreeMap<ImagePath, Explicit> explicit = new TreeMap<>();
  private final List<Tree> trees = new ArrayList<>();
  private final List<ExcludeGlob> excludes = new ArrayList<>();
  private boolean preserveOwnership;
  private PermissionPolicy permissions = PermissionPolicy.HOST_WITHOUT_GROUP_OTHER_WRITE;
  // Files added with no mode: their mode follows the policy in force when the layer is built.
  private final Map<ImagePath, Path> hostModeFiles = new HashMap<>();
  private Instant sourceDateEpoch;
  private Compression compression = Compression.GZIP;
  /** Null: the compression's default level. */
  private Integer compressionLevel;
  private int compressionThreads = Runtime.getRuntime().availableProcessors();
  private LayerProgressListener progressListener;

  LayerBuilder(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  /** @return an empty builder: gzip level 6 on all cores, mtimes from {@code SOURCE_DATE_EPOCH} or 1970 */
  public static LayerBuilder create() {
    return new LayerBuilder(System.getenv());
  }

  // ---------------------------------------------------------------------------------- sources

  /**
   * Adds the contents of a host directory under {@code imagePath}; the directory itself becomes
   * {@code imagePath} (unless that is {@code /}). Scanned when the layer is built; see the class
   * comment for symlinks, hardlinks, modes and owners.
   *
   * @param hostDir an existing directory; a symlink to one is followed (only at this top level)
   * @param imagePath where its contents go, e.g. {@code "/app"} or {@code "/"}
   * @throws LayerSourceException naming {@code hostDir} when it is not a directory
   * @throws InvalidInputException when {@code imagePath} is invalid
   */
  public LayerBuilder addTree(Path hostDir, String imagePath) {
    Objects.requireNonNull(hostDir, "hostDir");
    ImagePath at = ImagePath.parse(imagePath);
    if (!Files.isDirectory(hostDir)) {
      throw new LayerSourceException(hostDir.toString(),
          Files.exists(hostDir) ? "is not a directory" : "does not exist", null);
    }
    trees.add(new Tree(hostDir, at));
    return this;
  }

  /**
   * Adds a host file's content (following a symlink given here) with its host permission bits
   * under the {@linkplain #permissions(PermissionPolicy) permission policy}; owner 0:0.
   *
   * @see #addFile(Path, String, EntryAttributes)
   */
  public LayerBuilder addFile(Path hostFile, String imagePath) {
    return addFile(hostFile, imagePath, EntryAttributes.DEFAULTS);
  }

  /**
   * Adds a host file's content; its size is taken now and must not change before the build.
   * {@link #preserveOwnership} applies to trees only; the {@linkplain
   * #permissions(PermissionPolicy) permission policy} applies here when {@code attributes} has no
   * mode.
   *
   * @param hostFile an existing regular file (a symlink to one is followed)
   * @param imagePath where it goes
   * @param attributes owner, mtime, and mode; a null mode means the host file's bits under the
   *     permission policy in force when the layer is built
   * @throws LayerSourceException naming {@code hostFile} when it is missing or not a regular file
   * @throws InvalidInputException when the path is invalid or already in the layer
   */
  public LayerBuilder addFile(Path hostFile, String imagePath, EntryAttributes attributes) {
    Objects.requireNonNull(hostFile, "hostFile");
    ImagePath p = ImagePath.parse(imagePath);
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(hostFile, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw new LayerSourceException(hostFile.toString(), "does not exist", e);
    } catch (IOException e) {
      throw new LayerSourceException(hostFile.toString(), "cannot be read: " + e, e);
    }
    if (!attrs.isRegularFile()) {
      throw new LayerSourceException(hostFile.toString(), "is not a regular file", null);
    }
    EntryAttributes a = requireAttributes(attributes, p);
    add(new LayerEntry.RegularFile(p, attrs.size(), () -> Files.newInputStream(hostFile),
        hostFile.toString(), a));
    if (a.mode() == null) {
      hostModeFiles.put(p, hostFile);
    }
    return this;
  }

  /** Adds a file holding {@code content} (copied now), mode 0644, owner 0:0. */
  public LayerBuilder addFile(String imagePath, byte[] content) {
    return addFile(imagePath, content, EntryAttributes.DEFAULTS);
  }

  /**
   * Adds a file holding {@code content} (copied now).
   *
   * @throws InvalidInputException when the path is invalid or already in the layer
   */
  public LayerBuilder addFile(String imagePath, byte[] content, EntryAttributes attributes) {
    ImagePath p = ImagePath.parse(imagePath);
    return add(LayerEntry.RegularFile.ofBytes(p, content, requireAttributes(attributes, p)));
  }

  /** Adds a streamed file, mode 0644, owner 0:0. */
  public LayerBuilder addFile(String imagePath, long sizeBytes, IOSupplier<InputStream> content) {
    return addFile(imagePath, sizeBytes, content, EntryAttributes.DEFAULTS);
  }

  /**
   * Adds a file whose content is streamed from {@code content} at build time, so files of any
   * size (also above 8 GiB) never sit in memory.
   *
   * @param sizeBytes the exact number of bytes the stream yields; a mismatch fails the build with
   *     {@link LayerSourceException}
   * @param content opened once per build, closed by the builder
   * @throws InvalidInputException when the path is invalid or already in the layer, or the size is
   *     negative
   */
  public LayerBuilder addFile(String imagePath, long sizeBytes, IOSupplier<InputStream> content,
      EntryAttributes attributes) {
    ImagePath p = ImagePath.parse(imagePath);
    return add(new LayerEntry.RegularFile(p, sizeBytes, content, "stream for " + p,
        requireAttributes(attributes, p)));
  }

  /** Adds an empty directory, mode 0755, owner 0:0. */
  public LayerBuilder addDirectory(String imagePath) {
    return addDirectory(imagePath, EntryAttributes.DEFAULTS);
  }

  /** Adds a directory with the given attributes (a null mode means 0755). */
  public LayerBuilder addDirectory(String imagePath, EntryAttributes attributes) {
    ImagePath p = ImagePath.parse(imagePath);
    return add(new LayerEntry.Directory(p, requireAttributes(attributes, p)));
  }

  /** Adds a symlink, owner 0:0. */
  public LayerBuilder addSymlink(String imagePath, String target) {
    return addSymlink(imagePath, target, EntryAttributes.DEFAULTS);
  }

  /**
   * Adds a symlink whose target is stored verbatim (absolute or relative, never resolved).
   *
   * @throws InvalidInputException when the target is empty or contains NUL
   */
  public LayerBuilder addSymlink(String imagePath, String target, EntryAttributes attributes) {
    ImagePath p = ImagePath.parse(imagePath);
    return add(new LayerEntry.Symlink(p, target, requireAttributes(attributes, p)));
  }

  /**
   * Adds a hardlink at {@code imagePath} to {@code targetImagePath}: a regular file in this layer
   * (written before the link) or in a lower one.
   *
   * @throws InvalidInputException when a path is invalid, or at build time when the target is in
   *     this layer but is not a regular file
   */
  public LayerBuilder addHardlink(String imagePath, String targetImagePath) {
    ImagePath p = ImagePath.parse(imagePath);
    return add(new LayerEntry.Hardlink(p, ImagePath.parse(targetImagePath), EntryAttributes.DEFAULTS));
  }

  /**
   * Hides {@code imagePath} of the lower layers: adds the empty file {@code DIR/.wh.NAME}
   * (image-spec {@code layer.md}, "Whiteouts"). A path may not be both whited out and present in
   * the same layer.
   *
   * @param imagePath e.g. {@code "/a/b"}, which adds {@code /a/.wh.b}
   * @throws InvalidInputException when the path is the root or itself a whiteout name
   */
  public LayerBuilder addWhiteout(String imagePath) {
    ImagePath p = ImagePath.parse(imagePath);
    if (p.isRoot() || p.fileName().startsWith(WHITEOUT_PREFIX)) {
      throw new InvalidInputException("whiteout path", imagePath,
          "must name a file or directory below / whose name does not start with " + WHITEOUT_PREFIX);
    }
    return put(whiteoutFile(p.parent().resolve(WHITEOUT_PREFIX + p.fileName())), false);
  }

  /**
   * Hides every lower-layer entry below directory {@code imagePath} while keeping the directory:
   * adds {@code DIR/.wh..wh..opq}. Entries this layer adds below it stay visible.
   *
   * @param imagePath the directory, e.g. {@code "/a"}; the root is allowed
   */
  public LayerBuilder addOpaqueWhiteout(String imagePath) {
    ImagePath p = ImagePath.parse(imagePath);
    if (p.fileName().startsWith(WHITEOUT_PREFIX)) {
      throw new InvalidInputException("whiteout path", imagePath, "is itself a whiteout name");
    }
    return put(whiteoutFile(p.resolve(OPAQUE_WHITEOUT)), false);
  }

  /**
   * Adds a ready-made entry.
   *
   * @throws InvalidInputException when its path is already in the layer (identical directories
   *     excepted) or its name starts with {@code .wh.}
   */
  public LayerBuilder add(LayerEntry entry) {
    return put(checkName(entry), false);
  }

  /**
   * Adds {@code entry}, overriding whatever else is at its path: an entry added before or after
   * it, or one found in a host tree.
   *
   * @throws InvalidInputException when its name starts with {@code .wh.}
   */
  public LayerBuilder replace(LayerEntry entry) {
    return put(checkName(entry), true);
  }

  // ---------------------------------------------------------------------------------- options

  /**
   * Leaves out entries of host trees whose image path matches any of {@code globs}, and the
   * subtrees of matching directories. Matched against the image path relative to the root
   * (e.g. {@code app/logs/x.log}); {@code *}, {@code ?} and {@code [..]} stay within a segment,
   * {@code **} spans segments; a glob without {@code /} matches a name at any depth, one with
   * {@code /} is anchored at the root: {@code "*.log"}, {@code "**}{@code /*.log"},
   * {@code "app/cache"}; a trailing {@code /} is ignored. Entries added one by one are never
   * excluded, and a tree's own top directory is always kept.
   *
   * @throws InvalidInputException naming a blank or malformed glob
   */
  public LayerBuilder exclude(String... globs) {
    for (String g : Objects.requireNonNull(globs, "globs")) {
      excludes.add(ExcludeGlob.parse(g));
    }
    return this;
  }

  /**
   * Keeps the host's numeric uid/gid for entries from host trees. Default false: 0:0, so the
   * layer does not depend on who built it. Owner names are never taken from the host.
   */
  public LayerBuilder preserveOwnership(boolean preserve) {
    this.preserveOwnership = preserve;
    return this;
  }

  /**
   * Keeps host files' permission bits exactly (including set-uid, set-gid, sticky) when true;
   * when false, the default {@link PermissionPolicy#HOST_WITHOUT_GROUP_OTHER_WRITE}.
   *
   * @see #permissions(PermissionPolicy)
   */
  public LayerBuilder preservePermissions(boolean preserve) {
    return permissions(preserve ? PermissionPolicy.PRESERVE : PermissionPolicy.HOST_WITHOUT_GROUP_OTHER_WRITE);
  }

  /**
   * How host permission bits become entry modes, for trees and for files added without a mode.
   * Default {@link PermissionPolicy#HOST_WITHOUT_GROUP_OTHER_WRITE}: never widened, group/other
   * write cleared, so the layer does not depend on the builder's umask.
   *
   * @throws InvalidInputException naming {@code permissions} when null
   */
  public LayerBuilder permissions(PermissionPolicy policy) {
    if (policy == null) {
      throw new InvalidInputException("permissions", null, "must not be null");
    }
    this.permissions = policy;
    return this;
  }

  /**
   * Sets the mtime of every entry that has none of its own. Default: the {@code SOURCE_DATE_EPOCH}
   * environment variable (seconds since 1970) when set, else 1970-01-01T00:00:00Z.
   *
   * @param epoch at or after 1970; sub-second parts are dropped; null restores the default
   */
  public LayerBuilder sourceDateEpoch(Instant epoch) {
    this.sourceDateEpoch = epoch == null ? null : EntryAttributes.DEFAULTS.withMtime(epoch).mtime();
    return this;
  }

  /**
   * Sets the compression; default {@link Compression#GZIP}, which every tool reads. See
   * {@link Compression} for when {@link Compression#ZSTD} pays.
   *
   * @throws InvalidInputException when null, or when a level set before is outside this
   *     compression's range
   */
  public LayerBuilder compression(Compression compression) {
    if (compression == null) {
      throw new InvalidInputException("compression", null, "must not be null");
    }
    if (compressionLevel != null && compression != Compression.NONE) {
      checkLevel(compression, compressionLevel);
    }
    this.compression = compression;
    return this;
  }

  /**
   * Sets the compression level; a different level gives a different digest (same diffID).
   * gzip: 0 (stored) to 9 (smallest, slowest), default 6; zstd: 1 to 19, default 3. Ignored for
   * {@link Compression#NONE}.
   *
   * @throws InvalidInputException when outside the range of the compression set (gzip unless
   *     told otherwise; 0 to 19 while it is NONE)
   */
  public LayerBuilder compressionLevel(int level) {
    if (compression == Compression.NONE) { // checked against the compression once one is set
      checkLevel(level < Compression.ZSTD.minLevel() ? Compression.GZIP : Compression.ZSTD, level);
    } else {
      checkLevel(compression, level);
    }
    this.compressionLevel = level;
    return this;
  }

  private static void checkLevel(Compression c, int level) {
    if (level < c.minLevel() || level > c.maxLevel()) {
      throw new InvalidInputException("compression level", Integer.toString(level),
          "must be " + c.minLevel() + " to " + c.maxLevel() + " for " + c);
    }
  }

  /**
   * Sets how many threads compress the layer at once; default: the available processors. The
   * threads are started by each build and stopped when it ends. The blob's bytes, and so its
   * digest, never depend on this number (see {@link Compression#GZIP}, {@link Compression#ZSTD}).
   *
   * @param threads 1 to {@value #MAX_COMPRESSION_THREADS}
   * @throws InvalidInputException when outside that range
   */
  public LayerBuilder compressionThreads(int threads) {
    if (threads < 1 || threads > MAX_COMPRESSION_THREADS) {
      throw new InvalidInputException("compression threads", Integer.toString(threads),
          "must be 1 to " + MAX_COMPRESSION_THREADS);
    }
    this.compressionThreads = threads;
    return this;
  }

  /** Sets a listener told after each entry; null for none (the default). */
  public LayerBuilder progressListener(LayerProgressListener listener) {
    this.progressListener = listener;
    return this;
  }

  // ---------------------------------------------------------------------------------- output

  /**
   * Writes the layer to {@code outputFile}: into a temporary file in the same directory, renamed
   * atomically over {@code outputFile} when complete. On failure the temporary file is deleted and
   * an existing {@code outputFile} is left untouched. Missing parent directories are created.
   *
   * @return the file's digest, diffID, sizes and media type
   * @throws InvalidInputException for conflicting entries
   * @throws LayerSourceException when a source cannot be read
   * @throws OciException when the output cannot be written
   */
  public LayerBlob build(Path outputFile) {
    Objects.requireNonNull(outputFile, "outputFile");
    Path target = outputFile.toAbsolutePath();
    List<LayerEntry> plan = entries();
    try (StagedFile staged = StagedFile.beside(target, false)) {
      LayerDigests d = writeFile(staged.path(), plan);
      staged.commit();
      return LayerBlob.of(d, target);
    } catch (IOException e) {
      throw new OciException("writing layer " + target + ": " + e, e);
    }
  }

  /**
   * Writes the layer into {@code directory} under its digest's hex (e.g. {@code 3b4f...e1}),
   * atomically like {@link #build(Path)}; when that file already exists it is kept as it is
   * (same digest, same content).
   *
   * @return the blob and where it is
   * @throws InvalidInputException for conflicting entries
   * @throws LayerSourceException when a source cannot be read
   * @throws OciException when the output cannot be written
   */
  public LayerBlob buildInto(Path directory) {
    Objects.requireNonNull(directory, "directory");
    Path dir = directory.toAbsolutePath();
    List<LayerEntry> plan = entries();
    // Not synced: a layer is verified by its digest wherever it is read.
    try (StagedFile staged = StagedFile.beside(dir.resolve("layer"), false)) {
      LayerDigests d = writeFile(staged.path(), plan);
      Path target = dir.resolve(d.digest().hex());
      if (!Files.exists(target)) {
        staged.commitAs(target);
      }
      return LayerBlob.of(d, target);
    } catch (IOException e) {
      throw new OciException("writing layer into " + dir + ": " + e, e);
    }
  }

  /**
   * Writes the layer blob to {@code out}, which is flushed but not closed. On failure {@code out}
   * has received part of a blob.
   *
   * @return the digest, diffID, sizes and media type of what was written
   * @throws InvalidInputException for conflicting entries
   * @throws LayerSourceException when a source cannot be read
   * @throws OciException when {@code out} fails
   */
  public LayerDigests writeTo(OutputStream out) {
    Objects.requireNonNull(out, "out");
    List<LayerEntry> plan = entries();
    try {
      return write(out, plan);
    } catch (IOException e) {
      throw new OciException("writing layer to a stream: " + e, e);
    }
  }

  /**
   * Resolves the layer's contents without writing anything: scans host trees, applies exclusions
   * and replacements, turns shared inodes into hardlinks, synthesises parent directories, checks
   * for conflicts, and sorts.
   *
   * @return the entries in the order they will be written, with attributes not yet defaulted
   * @throws InvalidInputException for duplicate or conflicting entries
   * @throws LayerSourceException when a host tree cannot be read
   */
  public List<LayerEntry> entries() {
    TreeMap<ImagePath, LayerEntry> all = new TreeMap<>();
    Map<ImagePath, String> origin = new HashMap<>();
    for (Map.Entry<ImagePath, Explicit> x : explicit.entrySet()) {
      ImagePath p = x.getKey();
      LayerEntry e = x.getValue().entry();
      Path host = hostModeFiles.get(p);
      if (host != null && e instanceof LayerEntry.RegularFile f && f.attributes().mode() == null
          && host.toString().equals(f.source())) {
        int bits;
        try {
          bits = HostTreeScanner.hostPermissionBits(host.toRealPath());
        } catch (IOException ex) {
          throw new LayerSourceException(host.toString(), "cannot be read: " + ex, ex);
        }
        e = new LayerEntry.RegularFile(p, f.sizeBytes(), f.content(), f.source(),
            f.attributes().withMode(permissions.apply(bits, false)));
      }
      all.put(p, e);
      origin.put(p, LayerPlan.describe(e));
    }
    Map<Object, List<ImagePath>> inodes = new LinkedHashMap<>();
    HostTreeScanner.Options options = new HostTreeScanner.Options(List.copyOf(excludes),
        preserveOwnership, permissions);
    for (Tree tree : trees) {
      for (HostTreeScanner.Scanned s : HostTreeScanner.scan(tree.hostDir(), tree.at(), options)) {
        ImagePath p = s.entry().path();
        Explicit ex = explicit.get(p);
        if (ex != null && ex.replacing()) {
          continue;
        }
        LayerEntry existing = all.get(p);
        if (existing != null) {
          if (LayerPlan.sameDirectory(existing, s.entry())) {
            continue;
          }
          throw LayerPlan.duplicate(p, origin.get(p), LayerPlan.describe(s.entry()));
        }
        all.put(p, s.entry());
        origin.put(p, LayerPlan.describe(s.entry()));
        if (s.inode() != null) {
          inodes.computeIfAbsent(s.inode(), k -> new ArrayList<>()).add(p);
        }
      }
    }
    return LayerPlan.of(all, inodes.values());
  }

  // ---------------------------------------------------------------------------------- internals

  private LayerBuilder put(LayerEntry entry, boolean replacing) {
    ImagePath p = entry.path();
    Explicit existing = explicit.get(p);
    if (existing != null && !replacing && !existing.replacing()
        && !LayerPlan.sameDirectory(existing.entry(), entry)) {
      throw LayerPlan.duplicate(p, LayerPlan.describe(existing.entry()), LayerPlan.describe(entry));
    }
    if (existing != null && existing.replacing() && !replacing) {
      return this; // an earlier replace() wins over a later plain add
    }
    explicit.put(p, new Explicit(entry, replacing));
    return this;
  }

  private static LayerEntry checkName(LayerEntry entry) {
    if (entry == null) {
      throw new InvalidInputException("layer entry", null, "must not be null");
    }
    if (entry.path().fileName().startsWith(WHITEOUT_PREFIX)) {
      throw new InvalidInputException("image path", entry.path().value(),
          "names starting with " + WHITEOUT_PREFIX + " are whiteouts; use addWhiteout or addOpaqueWhiteout");
    }
    return entry;
  }

  private static EntryAttributes requireAttributes(EntryAttributes a, ImagePath p) {
    if (a == null) {
      throw new InvalidInputException("attributes of " + p, null, "must not be null");
    }
    return a;
  }

  private static LayerEntry whiteoutFile(ImagePath p) {
    return LayerEntry.RegularFile.ofBytes(p, new byte[0], EntryAttributes.DEFAULTS);
  }








  private Instant defaultMtime() {
    if (sourceDateEpoch != null) {
      return sourceDateEpoch;
    }
    return SourceDateEpoch.parse(environment.get(SOURCE_DATE_EPOCH)).orElse(Instant.EPOCH);
  }


  private LayerDigests writeFile(Path tmp, List<LayerEntry> plan) throws IOException {
    try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), LayerWriter.IO_BUFFER_BYTES)) {
      return write(os, plan);
    }
  }

  private LayerDigests write(OutputStream sink, List<LayerEntry> plan) throws IOException {
    int level = compressionLevel != null ? compressionLevel : compression.defaultLevel();
    return new LayerWriter(compression, level, compressionThreads, progressListener, defaultMtime())
        .write(sink, plan);
  }




}
