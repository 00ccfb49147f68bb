package dev.boxkit.sandbox.vm;

import dev.boxkit.oci.unpack.FileOwner;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.SandboxException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether a guest's root travels in the initramfs or on a disk, and keeps the disks:
 * {@link ErofsImage}s under {@code $XDG_CACHE_HOME/boxkit/vm-rootdisk} (else
 * {@code ~/.cache/boxkit/vm-rootdisk}, mode 0700), named by the image's layer chain id for an
 * unpacked image (which fixes the tree) and by a fingerprint of every entry's metadata for a
 * caller's directory (path, type, mode, owner, size, mtime and ctime in nanoseconds, inode, device
 * number, link target: a file rewritten in place changes its ctime). The newest {@value #KEEP} are
 * kept ({@link CacheDirectory}). {@code BOXKIT_VM_CACHE=off} writes each disk into the VM's
 * work directory instead.
 *
 * <p>The system property {@value #PROPERTY} chooses: {@code auto} (the default: a disk when the
 * root's files hold at least {@value #AUTO_MIN_BYTES} bytes, so that they need no guest memory),
 * {@code disk} (always) or {@code initramfs} (never).
 */
final class RootDiskCache {
  private static final Logger LOG = LoggerFactory.getLogger(RootDiskCache.class);

  /** System property: {@code auto}, {@code disk} or {@code initramfs}. */
  static final String PROPERTY = "boxkit.vm.rootDisk";
  /** With {@code auto}, roots whose files hold at least this many bytes (64 MiB) go on a disk. */
  static final long AUTO_MIN_BYTES = 64L << 20;
  /** Disks kept: they are as large as their roots, so fewer than initramfs archives. */
  static final int KEEP = 8;
  /** Part of every name: a change of the image layout changes it. */
  private static final String FORMAT = "erofs1";

  private final Optional<CacheDirectory> dir;

  /** @param dir the cache directory (made on first use), empty for no cache */
  RootDiskCache(Optional<Path> dir) {
    this.dir = dir.map(d -> new CacheDirectory(d, ".erofs", KEEP));
  }

  /** @return the cache the environment asks for, beside the initramfs cache */
  static RootDiskCache fromEnvironment() {
    return new RootDiskCache(CacheDirectory.fromEnvironment("vm-rootdisk"));
  }

  /** @return the cache directory; empty when disks are written into each VM's work directory */
  Optional<Path> directory() {
    return dir.map(CacheDirectory::path);
  }

  /** @return the policy the system property names; {@code auto} when unset */
  static String policy() {
    String p = System.getProperty(PROPERTY, "auto").trim();
    if (!List.of("auto", "disk", "initramfs").contains(p)) {
      throw new InvalidSandboxSpecException(PROPERTY, "\"" + p + "\" is not auto, disk or initramfs");
    }
    return p;
  }

  /**
   * @param root the guest's root
   * @param work the VM's own work directory, used when there is no cache or it cannot be written
   * @return the disk to boot the root from, or empty when the root goes into the initramfs
   * @throws SandboxException when the tree cannot be read or the disk cannot be written
   * @throws InvalidSandboxSpecException when {@value #PROPERTY} is not a known policy
   */
  Optional<Path> disk(GuestRoot root, Path work) {
    return place(root, work).disk();
  }

  /**
   * Where a root travels, and what names its tree when it goes into the initramfs.
   *
   * @param disk the disk to boot the root from, or empty when the root goes into the initramfs
   * @param treeKey for a root in the initramfs, a name that changes whenever the tree does: its
   *     layer chain id for an unpacked image, else the fingerprint of every entry's metadata (the
   *     walk that measured the tree), so the initramfs cache need not read the files; empty
   *     string for a root on a disk
   */
  record Placement(Optional<Path> disk, String treeKey) {}

  /**
   * As {@link #disk}, with the tree's key for the initramfs cache: one walk of the tree decides
   * and names it.
   *
   * @throws SandboxException when the tree cannot be read or the disk cannot be written
   * @throws InvalidSandboxSpecException when {@value #PROPERTY} is not a known policy
   */
  Placement place(GuestRoot root, Path work) {
    String policy = policy();
    if (policy.equals("initramfs")) {
      return new Placement(Optional.empty(), treeKey(root, null));
    }
    try {
      if (dir.isPresent() && root.chainId().isPresent()) {
        Optional<Path> hit = dir.get().hit(chainKey(root));
        if (hit.isPresent()) {
          LOG.debug("root disk {} from the cache", hit.get());
          return new Placement(hit, "");
        }
      }
    } catch (IOException e) {
      LOG.debug("root disk cache {} not usable ({})", dir.get().path(), e.toString());
    }
    Scan scan = scan(root);
    if (policy.equals("auto") && scan.fileBytes < AUTO_MIN_BYTES) {
      return new Placement(Optional.empty(), treeKey(root, scan));
    }
    if (dir.isPresent()) {
      String key = metadataKey(root, scan);
      try {
        Optional<Path> hit = dir.get().hit(key);
        if (hit.isPresent()) {
          LOG.debug("root disk {} from the cache", hit.get());
          return new Placement(hit, "");
        }
        long t0 = System.nanoTime();
        Path cached = dir.get().put(key, tmp -> ErofsImage.write(root.dir(), root.owners(), tmp));
        LOG.debug("root disk {} written in {} ms", cached, (System.nanoTime() - t0) / 1_000_000);
        return new Placement(Optional.of(cached), "");
      } catch (IOException e) {
        LOG.debug("root disk cache {} not usable ({}); writing into the VM's work directory", dir.get().path(), e.toString());
      }
    }
    Path disk = work.resolve("root.erofs");
    ErofsImage.write(root.dir(), root.owners(), disk);
    return new Placement(Optional.of(disk), "");
  }

  /**
   * An image's tree is fixed by its chain id; a directory's is named by its metadata, or by its
   * content when an entry changed in the last {@value #RACY_MILLIS} ms.
   */
  private static String treeKey(GuestRoot root, Scan scan) {
    return treeKey(root, scan, System.currentTimeMillis());
  }

  static String treeKey(GuestRoot root, Scan scan, long nowMillis) {
    if (root.chainId().isPresent()) {
      return chainKey(root);
    }
    Scan s = scan != null ? scan : scan(root);
    return s.newestChangeMillis() > nowMillis - RACY_MILLIS ? "content-" + Initramfs.treeDigest(root) : metadataKey(root, s);
  }

  /** An image's tree by its chain id, a directory's by the fingerprint of its metadata. */
  private static String metadataKey(GuestRoot root, Scan scan) {
    return root.chainId().isPresent() ? chainKey(root) : FORMAT + "-tree-" + scan.fingerprint();
  }

  private static String chainKey(GuestRoot root) {
    return FORMAT + "-chain-" + root.chainId().orElseThrow().hex();
  }

  /**
   * What one walk of the tree gives: its files' bytes, the fingerprint of its metadata, and the
   * newest change time among its entries (ms since the epoch).
   */
  record Scan(long fileBytes, String fingerprint, long newestChangeMillis) {}

  /**
   * File times advance in ticks of the kernel's coarse clock (a few ms), so a file rewritten at
   * the same size within one tick of an earlier write keeps its metadata; a tree with an entry
   * changed this recently is named by its content instead (as git treats "racily clean" files).
   */
  static final long RACY_MILLIS = 2_000L;

  /**
   * @return the tree's regular file bytes and a SHA-256 over every entry's metadata (sorted by
   *     path) and the owners that replace the host's
   * @throws SandboxException when the tree cannot be read
   */
  static Scan scan(GuestRoot root) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      long bytes = 0;
      long newest = 0;
      List<Path> all;
      try (Stream<Path> s = Files.walk(root.dir())) {
        all = new ArrayList<>(s.toList());
      }
      all.sort(Comparator.comparing(p -> root.dir().relativize(p).toString()));
      for (Path p : all) {
        Map<String, Object> a = Files.readAttributes(p,
            "unix:mode,uid,gid,size,lastModifiedTime,ctime,ino,dev,rdev", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        newest = Math.max(newest, Math.max(((FileTime) a.get("ctime")).toMillis(), ((FileTime) a.get("lastModifiedTime")).toMillis()));
        StringBuilder h = new StringBuilder().append(root.dir().relativize(p)).append('\0').append(mode).append(' ')
            .append(a.get("uid")).append(' ').append(a.get("gid")).append(' ').append(a.get("size")).append(' ')
            .append(CacheDirectory.nanos(a.get("lastModifiedTime"))).append(' ').append(CacheDirectory.nanos(a.get("ctime"))).append(' ')
            .append(a.get("ino")).append(' ').append(a.get("dev")).append(' ').append(a.get("rdev"));
        if ((mode & 0170000) == 0120000) {
          h.append(" -> ").append(Files.readSymbolicLink(p));
        } else if ((mode & 0170000) == 0100000) {
          bytes += (Long) a.get("size");
        }
        md.update(h.append('\0').toString().getBytes(StandardCharsets.UTF_8));
      }
      for (Map.Entry<String, FileOwner> o : new TreeMap<>(root.owners()).entrySet()) {
        md.update(("owner\0" + o.getKey() + "\0" + o.getValue() + "\0").getBytes(StandardCharsets.UTF_8));
      }
      return new Scan(bytes, HexFormat.of().formatHex(md.digest()), newest);
    } catch (IOException | UncheckedIOException e) {
      throw new SandboxException("reading the VM root " + root.dir() + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

}
