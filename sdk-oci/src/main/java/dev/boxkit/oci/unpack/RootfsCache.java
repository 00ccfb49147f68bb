package dev.boxkit.oci.unpack;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.boxkit.oci.CacheRoot;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.InvalidInputException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unpacked root filesystems keyed by their layers' ChainID (image-spec {@code config.md}, "Layer
 * ChainID"), so that an image is unpacked once and shared by many sandboxes.
 *
 * <p>Layout under the cache root: {@code sha256-<hex>/rootfs/} (the tree),
 * {@code sha256-<hex>/ownership.json} (owners not applied, when any), {@code sha256-<hex>.lock}
 * (lock file, kept), and transient {@code .tmp-*} / {@code .trash-*} directories. An entry appears
 * by an atomic rename of a fully unpacked directory, so a reader never sees a partial tree.
 *
 * <p>Concurrency: {@link #get} holds an in-JVM lock and an exclusive {@link FileLock} on the
 * chain's lock file while it checks and unpacks, so concurrent threads and processes unpack a
 * chain once and the others wait and reuse it. Two instances on one root in one JVM also work
 * (the second polls while the first holds the file lock).
 *
 * <p>Entries are not read-only on disk (modes are the image's); callers must not modify them.
 * A sandbox keeping a tree in use should call {@link #get} again from time to time, or the caller
 * must not {@link #prune} with a shorter idle time than its sandboxes live.
 */
public final class RootfsCache {
  /**
   * Mode of the cache root (when BoxKit creates it) and of every entry: an unpacked image may hold
   * setuid-root programs and device nodes, which no other host user may reach.
   */
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
  private static final Logger LOG = LoggerFactory.getLogger(RootfsCache.class);
  private static final String ROOTFS = "rootfs";
  private static final String OWNERSHIP = "ownership.json";
  private static final Duration LOCK_POLL = Duration.ofMillis(20);

  private final Path root;
  private final RootfsUnpacker unpacker;
  private final ConcurrentHashMap<Digest, ReentrantLock> jvmLocks = new ConcurrentHashMap<>();

  private RootfsCache(Path root, RootfsUnpacker unpacker) {
    this.root = root;
    this.unpacker = unpacker;
  }

  /**
   * Opens (creating it if needed) a cache with the default unpacker.
   *
   * @param root the cache directory, e.g. {@link #defaultRoot()}
   * @throws UnpackException when the directory cannot be created
   */
  public static RootfsCache open(Path root) {
    return open(root, RootfsUnpacker.defaults());
  }

  /**
   * Opens (creating it if needed) a cache that unpacks with {@code unpacker}.
   *
   * @throws InvalidInputException when an argument is null
   * @throws UnpackException when the directory cannot be created
   */
  public static RootfsCache open(Path root, RootfsUnpacker unpacker) {
    if (root == null || unpacker == null) {
      throw new InvalidInputException(root == null ? "root" : "unpacker", null, "must not be null");
    }
    try {
      if (!Files.isDirectory(root)) {
        // Trees hold the images' setuid files and device nodes: other users must not reach them.
        Files.createDirectories(root, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      }
      return new RootfsCache(root.toRealPath(), unpacker);
    } catch (IOException e) {
      throw new UnpackException(null, "cannot open rootfs cache " + root + ": " + e, e);
    }
  }

  /** @return {@code rootfs} under {@link CacheRoot#path()} */
  public static Path defaultRoot() {
    return CacheRoot.path().resolve("rootfs");
  }

  /** @return the cache directory (a real path) */
  public Path root() {
    return root;
  }

  /**
   * ChainID per image-spec {@code config.md}: {@code ChainID(L0) = DiffID(L0)},
   * {@code ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))}.
   *
   * @param diffIds the layers' diffIDs, oldest first; not empty
   * @throws InvalidInputException when empty or null
   */
  public static Digest chainId(List<Digest> diffIds) {
    if (diffIds == null || diffIds.isEmpty() || diffIds.stream().anyMatch(java.util.Objects::isNull)) {
      throw new InvalidInputException("diffIds", String.valueOf(diffIds), "need at least one, no nulls");
    }
    Digest chain = diffIds.get(0);
    for (int i = 1; i < diffIds.size(); i++) {
      chain = Digest.sha256(chain + " " + diffIds.get(i));
    }
    return chain;
  }

  /**
   * Returns the tree for {@code layers}, unpacking it first when it is not cached.
   *
   * @param layers the image's layers, oldest first; not empty
   * @return the cached tree; {@link CachedRootfs#unpacked()} says whether this call unpacked it
   * @throws InvalidInputException when layers is empty or contains null
   * @throws UnpackException (or a subtype, or DigestMismatchException) as
   *     {@link RootfsUnpacker#unpack}; nothing is added to the cache then
   */
  public CachedRootfs get(List<LayerSource> layers) {
    if (layers == null || layers.isEmpty() || layers.stream().anyMatch(java.util.Objects::isNull)) {
      throw new InvalidInputException("layers", String.valueOf(layers), "need at least one, no nulls");
    }
    Digest chain = chainId(layers.stream().map(LayerSource::diffId).toList());
    Path entry = entryDir(chain);
    ReentrantLock jvmLock = jvmLocks.computeIfAbsent(chain, c -> new ReentrantLock());
    jvmLock.lock();
    try (FileChannel ch = FileChannel.open(lockFile(chain),
        StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      lockBlocking(ch); // released when the channel closes
      if (Files.isDirectory(entry.resolve(ROOTFS), LinkOption.NOFOLLOW_LINKS)) {
        Files.setLastModifiedTime(entry, FileTime.from(Instant.now()));
        return new CachedRootfs(chain, entry.resolve(ROOTFS), false, readOwnership(entry));
      }
      Path tmp = root.resolve(".tmp-" + entry.getFileName() + "-" + UUID.randomUUID());
      Files.createDirectory(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      try {
        UnpackResult r = unpacker.unpack(layers, tmp.resolve(ROOTFS));
        if (!r.ownersNotApplied().isEmpty()) {
          Map<String, long[]> owners = new TreeMap<>();
          r.ownersNotApplied().forEach((k, v) -> owners.put(k, new long[] {v.uid(), v.gid()}));
          dev.boxkit.oci.json.OciJson.writer().writeValue(tmp.resolve(OWNERSHIP).toFile(), owners);
        }
        Files.move(tmp, entry);
        Files.setLastModifiedTime(entry, FileTime.from(Instant.now()));
        LOG.debug("unpacked {} layers into {}", layers.size(), entry);
        return new CachedRootfs(chain, entry.resolve(ROOTFS), true, r.ownersNotApplied());
      } catch (IOException | RuntimeException | Error e) {
        try {
          RootfsTree.deleteRecursively(tmp);
        } catch (IOException e2) {
          e.addSuppressed(e2);
        }
        throw e;
      }
    } catch (IOException e) {
      throw new UnpackException(null, "rootfs cache " + root + ", chain " + chain + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnpackException(null, "interrupted waiting for the lock of chain " + chain, e);
    } finally {
      jvmLock.unlock();
    }
  }

  /**
   * Lists the cached trees with their sizes.
   *
   * @return one entry per cached tree, sorted by chainId
   * @throws UnpackException when the cache cannot be read
   */
  public List<CacheEntry> sizeReport() {
    List<CacheEntry> out = new ArrayList<>();
    try {
      for (Digest chain : chains()) {
        Path entry = entryDir(chain);
        out.add(new CacheEntry(chain, entry.resolve(ROOTFS), sizeOf(entry.resolve(ROOTFS)),
            Files.getLastModifiedTime(entry, LinkOption.NOFOLLOW_LINKS).toInstant()));
      }
    } catch (IOException e) {
      throw new UnpackException(null, "reading rootfs cache " + root + ": " + e, e);
    }
    return out;
  }

  /**
   * Removes trees not returned by {@link #get} for at least {@code unusedFor}, skipping any whose
   * chain is locked right now (being unpacked or looked up), and leftovers of interrupted unpacks.
   *
   * @param unusedFor minimum idle time; {@link Duration#ZERO} removes every unlocked tree
   * @return the removed trees
   * @throws InvalidInputException when unusedFor is null or negative
   * @throws UnpackException when the cache cannot be read or a tree cannot be removed
   */
  public List<CacheEntry> prune(Duration unusedFor) {
    if (unusedFor == null || unusedFor.isNegative()) {
      throw new InvalidInputException("unusedFor", String.valueOf(unusedFor), "must be >= 0");
    }
    Instant cutoff = Instant.now().minus(unusedFor);
    List<CacheEntry> removed = new ArrayList<>();
    try {
      for (Digest chain : chains()) {
        Path entry = entryDir(chain);
        CacheEntry pruned = withTryLock(chain, () -> {
          Instant used = Files.getLastModifiedTime(entry, LinkOption.NOFOLLOW_LINKS).toInstant();
          if (used.isAfter(cutoff)) {
            return null;
          }
          CacheEntry info = new CacheEntry(chain, entry.resolve(ROOTFS), sizeOf(entry.resolve(ROOTFS)), used);
          Path trash = root.resolve(".trash-" + UUID.randomUUID());
          Files.move(entry, trash);
          RootfsTree.deleteRecursively(trash);
          return info;
        });
        if (pruned != null) {
          removed.add(pruned);
        }
      }
      removeLeftovers();
    } catch (IOException e) {
      throw new UnpackException(null, "pruning rootfs cache " + root + ": " + e, e);
    }
    return removed;
  }

  private void removeLeftovers() throws IOException {
    List<Path> leftovers = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, ".{tmp,trash}-*")) {
      ds.forEach(leftovers::add);
    }
    for (Path p : leftovers) {
      String name = p.getFileName().toString();
      if (name.startsWith(".trash-")) {
        RootfsTree.deleteRecursively(p); // trash is renamed away under the lock, owned by nobody
        continue;
      }
      // .tmp-sha256-<hex>-<uuid>: stale only if nobody holds that chain's lock.
      String[] parts = name.split("-", 4);
      Digest chain = parts.length == 4 ? tryParse(parts[1] + ":" + parts[2]) : null;
      if (chain != null) {
        withTryLock(chain, () -> {
          RootfsTree.deleteRecursively(p);
          return null;
        });
      }
    }
  }

  private interface LockedAction<T> {
    T run() throws IOException;
  }

  /** Runs {@code action} if the chain's locks are free now; otherwise returns null. */
  private <T> T withTryLock(Digest chain, LockedAction<T> action) throws IOException {
    ReentrantLock jvmLock = jvmLocks.computeIfAbsent(chain, c -> new ReentrantLock());
    if (!jvmLock.tryLock()) {
      return null;
    }
    try (FileChannel ch = FileChannel.open(lockFile(chain),
        StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        return null;
      }
      if (lock == null) {
        return null;
      }
      try (lock) {
        return action.run();
      }
    } finally {
      jvmLock.unlock();
    }
  }

  private static FileLock lockBlocking(FileChannel ch) throws IOException, InterruptedException {
    while (true) {
      try {
        return ch.lock();
      } catch (OverlappingFileLockException e) {
        // Another RootfsCache instance in this JVM holds it; the JDK refuses to wait, so poll.
        Thread.sleep(LOCK_POLL.toMillis());
      }
    }
  }

  private Set<Digest> chains() throws IOException {
    Set<Digest> out = new java.util.TreeSet<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        int dash = name.indexOf('-');
        if (name.startsWith(".") || dash < 0 || !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        Digest d = tryParse(name.substring(0, dash) + ":" + name.substring(dash + 1));
        if (d != null) {
          out.add(d);
        }
      }
    }
    return out;
  }

  private static Digest tryParse(String s) {
    try {
      return Digest.parse(s);
    } catch (InvalidInputException e) {
      return null;
    }
  }

  private Path entryDir(Digest chain) {
    return root.resolve(chain.algorithm() + "-" + chain.hex());
  }

  private Path lockFile(Digest chain) {
    return root.resolve(chain.algorithm() + "-" + chain.hex() + ".lock");
  }

  private Map<String, FileOwner> readOwnership(Path entry) throws IOException {
    Path f = entry.resolve(OWNERSHIP);
    if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
      return Map.of();
    }
    Map<String, long[]> raw = dev.boxkit.oci.json.OciJson.reader().forType(new TypeReference<Map<String, long[]>>() {}).readValue(f.toFile());
    Map<String, FileOwner> out = new TreeMap<>();
    raw.forEach((k, v) -> out.put(k, new FileOwner(v[0], v[1])));
    return out;
  }

  private static long sizeOf(Path tree) throws IOException {
    Set<Object> seen = new HashSet<>();
    long[] total = {0};
    Files.walkFileTree(tree, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes a) {
        if (a.isRegularFile() && (a.fileKey() == null || seen.add(a.fileKey()))) {
          total[0] += a.size();
        }
        return FileVisitResult.CONTINUE;
      }
    });
    return total[0];
  }
}
