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
    String policy = policy();
    if (policy.equals("initramfs")) {
      return Optional.empty();
    }
    try {
      if (dir.isPresent() && root.chainId().isPresent()) {
        Optional<Path> hit = dir.get().hit(chainKey(root));
        if (hit.isPresent()) {
          LOG.debug("root disk {} from the cache", hit.get());
          return hit;
        }
      }
    } catch (IOException e) {
      LOG.debug("root disk cache {} not usable ({})", dir.get().path(), e.toString());
    }
    Scan scan = scan(root);
    if (policy.equals("auto") && scan.fileBytes < AUTO_MIN_BYTES) {
      return Optional.empty();
    }
    if (dir.isPresent()) {
      String key = root.chainId().isPresent() ? chainKey(root) : FORMAT + "-tree-" + scan.fingerprint;
      try {
        Optional<Path> hit = dir.get().hit(key);
        if (hit.isPresent()) {
          LOG.debug("root disk {} from the cache", hit.get());
          return hit;
        }
        long t0 = System.nanoTime();
        Path cached = dir.get().put(key, tmp -> ErofsImage.write(root.dir(), root.owners(), tmp));
        LOG.debug("root disk {} written in {} ms", cached, (System.nanoTime() - t0) / 1_000_000);
        return Optional.of(cached);
      } catch (IOException e) {
        LOG.debug("root disk cache {} not usable ({}); writing into the VM's work directory", dir.get().path(), e.toString());
      }
    }
    Path disk = work.resolve("root.erofs");
    ErofsImage.write(root.dir(), root.owners(), disk);
    return Optional.of(disk);
  }

  private static String chainKey(GuestRoot root) {
    return FORMAT + "-chain-" + root.chainId().orElseThrow().hex();
  }

  /** What one walk of the tree gives: its files' bytes and the fingerprint of its metadata. */
  record Scan(long fileBytes, String fingerprint) {}

  /**
   * @return the tree's regular file bytes and a SHA-256 over every entry's metadata (sorted by
   *     path) and the owners that replace the host's
   * @throws SandboxException when the tree cannot be read
   */
  static Scan scan(GuestRoot root) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      long bytes = 0;
      List<Path> all;
      try (Stream<Path> s = Files.walk(root.dir())) {
        all = new ArrayList<>(s.toList());
      }
      all.sort(Comparator.comparing(p -> root.dir().relativize(p).toString()));
      for (Path p : all) {
        Map<String, Object> a = Files.readAttributes(p,
            "unix:mode,uid,gid,size,lastModifiedTime,ctime,ino,dev,rdev", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        StringBuilder h = new StringBuilder().append(root.dir().relativize(p)).append('\0').append(mode).append(' ')
            .append(a.get("uid")).append(' ').append(a.get("gid")).append(' ').append(a.get("size")).append(' ')
            .append(nanos(a.get("lastModifiedTime"))).append(' ').append(nanos(a.get("ctime"))).append(' ')
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
      return new Scan(bytes, HexFormat.of().formatHex(md.digest()));
    } catch (IOException | UncheckedIOException e) {
      throw new SandboxException("reading the VM root " + root.dir() + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  private static long nanos(Object time) {
    java.time.Instant i = ((FileTime) time).toInstant();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }
}
