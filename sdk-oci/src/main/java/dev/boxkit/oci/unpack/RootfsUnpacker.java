package dev.boxkit.oci.unpack;

import dev.boxkit.oci.DigestMismatchException;
import dev.boxkit.oci.InvalidInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/**
 * Unpacks an image's layers, oldest first, into a new directory (image-spec {@code layer.md}:
 * changesets, whiteouts, opaque whiteouts).
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>Nothing is written outside the target. Entry names are taken relative to the target (a
 *       leading {@code /} is dropped); a name or hardlink target with a {@code ..} component is
 *       refused; directories on the way to an entry are resolved inside the target with
 *       secure-join semantics (a symlink planted by any layer is followed as if the target were
 *       {@code /}, and {@code ..} stops at the target root); the entry itself is never followed:
 *       whatever was at its path is removed and the new file, link or directory is created in
 *       its place. A symlink's target string is kept as data, whatever it names.
 *   <li>All or nothing: layers are unpacked into a temporary sibling directory that is renamed to
 *       the target on success and deleted on any failure, so the target either does not exist or
 *       is complete.
 *   <li>Every layer's diffID (and blob digest, when given) is checked over every byte of the
 *       stream, including what follows the tar end-of-archive marker.
 * </ul>
 *
 * <p>Metadata: modes (setuid, setgid and sticky included, as far as the kernel permits), mtimes
 * (directories' after all their children), ownership per {@link OwnershipPolicy} (owners not
 * applied are returned in {@link UnpackResult#ownersNotApplied()}), device nodes and fifos per
 * {@link Builder#specialFiles(boolean)} (created with {@code mknod(1)}); setuid/setgid bits and
 * device nodes are dropped under {@link PrivilegePolicy#DROP}. Extended attributes
 * ({@code SCHILY.xattr.*}, file capabilities included) are never applied. A hardlink that {@code fs.protected_hardlinks}
 * refuses becomes a copy (logged at WARN).
 *
 * <p>Assumption: nothing else writes to the temporary directory while it is being filled (it is
 * created fresh, writable only by the unpacking user), so the lstat-then-act checks are not
 * subject to races. Sharing a target with another writer is unsupported.
 *
 * <p>Instances are immutable and thread-safe; concurrent calls must use different targets.
 */
public final class RootfsUnpacker {
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

  private final OwnershipPolicy ownership;
  private final Boolean specialFiles;
  private final PrivilegePolicy privileges;

  private RootfsUnpacker(Builder b) {
    this.ownership = b.ownership;
    this.specialFiles = b.specialFiles;
    this.privileges = b.privileges;
  }

  /**
   * @return a builder with the defaults: {@link OwnershipPolicy#AUTO}, special files when root,
   *     {@link PrivilegePolicy#KEEP}
   */
  public static Builder builder() {
    return new Builder();
  }

  /** @return an unpacker with the defaults */
  public static RootfsUnpacker defaults() {
    return builder().build();
  }

  /**
   * Unpacks {@code layers} into {@code target}.
   *
   * @param layers the image's layers, oldest first (the order of the manifest's {@code layers});
   *     may be empty (the result is an empty directory)
   * @param target the directory to create; must not exist; its parent must exist
   * @return what was unpacked
   * @throws InvalidInputException when target exists, its parent is missing, a component of it
   *     is a symbolic link, or layers is null
   *     or contains null
   * @throws UnsafeLayerEntryException when an entry would reach outside the target or replace its
   *     root
   * @throws InvalidLayerEntryException when an entry cannot be applied (e.g. a bare {@code .wh.})
   * @throws UnsupportedLayerCompressionException for a zstd layer where zstd-jni has no native
   *     library for this platform
   * @throws DigestMismatchException when a layer's diffID or blob digest does not match
   * @throws UnpackException on any other I/O failure; in every failure case the target is absent
   */
  public UnpackResult unpack(List<LayerSource> layers, Path target) {
    if (layers == null || layers.stream().anyMatch(java.util.Objects::isNull)) {
      throw new InvalidInputException("layers", String.valueOf(layers), "must be a list without nulls");
    }
    if (target == null) {
      throw new InvalidInputException("target", null, "must not be null");
    }
    Path abs = target.toAbsolutePath().normalize();
    Path parent = abs.getParent();
    if (parent == null) {
      throw new InvalidInputException("target", abs.toString(), "must not be the filesystem root");
    }
    java.util.Optional<Path> link = dev.boxkit.oci.HostPathWalk.firstLink(abs);
    if (link.isPresent()) {
      // A link a sandbox planted in a directory it could write must not redirect the unpack.
      throw new InvalidInputException("target", abs.toString(), "component " + link.get()
          + " is a symbolic link; links in the target path are never followed (pass"
          + " toRealPath() of a link that is yours)");
    }
    if (Files.exists(abs, NOFOLLOW)) {
      throw new InvalidInputException("target", abs.toString(), "already exists");
    }
    if (!Files.isDirectory(parent)) {
      throw new InvalidInputException("target", abs.toString(), "parent directory does not exist");
    }
    Path tmp;
    try {
      tmp = Files.createTempDirectory(parent, "." + abs.getFileName() + ".unpack-").toRealPath();
    } catch (IOException e) {
      throw new UnpackException(null, "cannot create a temporary directory next to " + abs + ": " + e, e);
    }
    try {
      Files.setAttribute(tmp, "unix:mode", 0755, NOFOLLOW);
      boolean root = ProcessIdentity.isEffectiveRoot();
      boolean chown = ownership == OwnershipPolicy.APPLY || (ownership == OwnershipPolicy.AUTO && root);
      TreeBuilder builder = new TreeBuilder(new RootfsTree(tmp), chown,
          ownership == OwnershipPolicy.APPLY, specialFiles != null ? specialFiles : root,
          privileges == PrivilegePolicy.DROP);
      for (LayerSource layer : layers) {
        builder.applyLayer(layer);
      }
      builder.finish();
      Files.move(tmp, abs);
      return new UnpackResult(abs, builder.entryCount(), builder.fileBytes(),
          builder.ownersNotApplied(), builder.skipped());
    } catch (IOException e) {
      deleteQuietly(tmp, e);
      throw new UnpackException(null, "unpacking into " + abs + ": " + e, e);
    } catch (RuntimeException | Error e) {
      deleteQuietly(tmp, e);
      throw e;
    }
  }

  private static void deleteQuietly(Path tmp, Throwable primary) {
    try {
      RootfsTree.deleteRecursively(tmp);
    } catch (IOException e) {
      primary.addSuppressed(e);
    }
  }

  /** Options for {@link RootfsUnpacker}; each setter returns this builder. */
  public static final class Builder {
    private OwnershipPolicy ownership = OwnershipPolicy.AUTO;
    private Boolean specialFiles;
    private PrivilegePolicy privileges = PrivilegePolicy.KEEP;

    private Builder() {}

    /**
     * @param policy whether setuid/setgid bits and device nodes are kept; default
     *     {@link PrivilegePolicy#KEEP}. Use {@link PrivilegePolicy#DROP} for a tree other host
     *     users can reach.
     * @throws InvalidInputException when null
     */
    public Builder privileges(PrivilegePolicy policy) {
      if (policy == null) {
        throw new InvalidInputException("privileges", null, "must not be null");
      }
      this.privileges = policy;
      return this;
    }

    /**
     * @param policy what to do with entry owners; default {@link OwnershipPolicy#AUTO}
     * @throws InvalidInputException when null
     */
    public Builder ownership(OwnershipPolicy policy) {
      if (policy == null) {
        throw new InvalidInputException("ownership", null, "must not be null");
      }
      this.ownership = policy;
      return this;
    }

    /**
     * @param create create character/block devices and fifos ({@code mknod(1)}); when false they
     *     are skipped with a WARN log and listed in {@link UnpackResult#skipped()}. Default: true
     *     when the effective uid is 0. A {@code mknod} the kernel refuses (e.g. a device inside a
     *     user namespace) is skipped the same way.
     */
    public Builder specialFiles(boolean create) {
      this.specialFiles = create;
      return this;
    }

    /** @return the unpacker */
    public RootfsUnpacker build() {
      return new RootfsUnpacker(this);
    }
  }

  /** Reads the effective uid from {@code /proc/self/status}. */
  static final class ProcessIdentity {
    private ProcessIdentity() {}

    static boolean isEffectiveRoot() {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
          if (line.startsWith("Uid:")) {
            return line.split("\\s+")[2].equals("0");
          }
        }
      } catch (IOException | RuntimeException e) {
        // no procfs: fall through
      }
      return "root".equals(System.getProperty("user.name"));
    }
  }
}
