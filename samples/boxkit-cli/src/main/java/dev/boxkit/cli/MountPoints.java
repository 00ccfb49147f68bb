package dev.boxkit.cli;

import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.Rootfs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The sandbox root for a read-only tree (an unpacked image, a directory) that may lack the
 * directories the sandbox mounts onto ({@code /proc}, {@code /dev}, {@code /tmp}, bind targets).
 * A read-only root cannot get them created, and the image cache's tree is shared and must not
 * change. So when one is missing, the root becomes a <em>skeleton</em>: a fresh host directory
 * holding, for each top-level entry of the tree, an empty mount point (or the same symbolic
 * link), plus the missing mount points; each top-level directory and file of the tree is then
 * bound read-only onto its mount point. The skeleton is read-only too, and deleted on close.
 *
 * <p>Only top-level mount points are supplied: a missing {@code /srv/data} under an existing
 * {@code /srv} still fails, with the sandbox's EROFS error naming it.
 */
final class MountPoints implements AutoCloseable {
  private final Rootfs root;
  private final List<Mount> treeMounts;
  private final Path skeleton;

  private MountPoints(Rootfs root, List<Mount> treeMounts, Path skeleton) {
    this.root = root;
    this.treeMounts = List.copyOf(treeMounts);
    this.skeleton = skeleton;
  }

  /** @return {@code root} as it is, with nothing to clean up */
  static MountPoints none(Rootfs root) {
    return new MountPoints(root, List.of(), null);
  }

  /**
   * @param tree the read-only tree, absolute
   * @param mounts the mounts the sandbox will make besides {@code /proc} and {@code /dev}
   * @return the tree itself when every top-level mount point exists in it, else a skeleton
   * @throws UncheckedIOException when the tree cannot be listed or the skeleton not made
   */
  static MountPoints forTree(Path tree, List<Mount> mounts) {
    Set<String> needed = new LinkedHashSet<>(List.of("proc", "dev"));
    for (Mount m : mounts) {
      needed.add(firstComponent(m.destination()));
    }
    needed.remove("");
    boolean allThere = needed.stream()
        .allMatch(n -> Files.isDirectory(tree.resolve(n), LinkOption.NOFOLLOW_LINKS));
    if (allThere) {
      return new MountPoints(Rootfs.directory(tree), List.of(), null);
    }
    try {
      return skeleton(tree, needed);
    } catch (IOException e) {
      throw new UncheckedIOException("preparing mount points for " + tree + ": " + e.getMessage(), e);
    }
  }

  private static MountPoints skeleton(Path tree, Set<String> needed) throws IOException {
    Path dir = Files.createTempDirectory("boxkit-root-");
    try {
      // Created 0700; as the sandbox's / it must be searchable by any user the program runs as.
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      List<Mount> binds = new ArrayList<>();
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(tree)) {
        for (Path entry : entries) {
          String name = entry.getFileName().toString();
          Path point = dir.resolve(name);
          if (Files.isSymbolicLink(entry)) {
            Files.createSymbolicLink(point, Files.readSymbolicLink(entry));
          } else if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(point);
            if (!name.equals("proc") && !name.equals("dev")) {
              binds.add(Mount.bind(entry, "/" + name));
            }
          } else if (Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
            Files.createFile(point);
            binds.add(Mount.bind(entry, "/" + name));
          }
        }
      }
      for (String n : needed) {
        if (!Files.exists(dir.resolve(n), LinkOption.NOFOLLOW_LINKS)) {
          Files.createDirectory(dir.resolve(n));
        }
      }
      return new MountPoints(Rootfs.directory(dir.toRealPath()), binds, dir);
    } catch (IOException | RuntimeException e) {
      delete(dir);
      throw e;
    }
  }

  private static String firstComponent(String destination) {
    String rel = destination.startsWith("/") ? destination.substring(1) : destination;
    int slash = rel.indexOf('/');
    return slash < 0 ? rel : rel.substring(0, slash);
  }

  /** @return the sandbox's root */
  Rootfs root() {
    return root;
  }

  /** @return binds of the tree's top-level entries, to apply before any other mount */
  List<Mount> treeMounts() {
    return treeMounts;
  }

  /** Deletes the skeleton, if one was made. */
  @Override
  public void close() {
    if (skeleton != null) {
      try {
        delete(skeleton);
      } catch (IOException e) {
        throw new UncheckedIOException("removing " + skeleton, e);
      }
    }
  }

  // The skeleton holds only empty directories, empty files and links: the binds onto them
  // existed in the sandbox's mount namespace only.
  private static void delete(Path dir) throws IOException {
    dev.boxkit.oci.io.FileTrees.deleteRecursively(dir);
  }
}
