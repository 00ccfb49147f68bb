package dev.boxkit.oci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;

/**
 * Finds symbolic links in host paths BoxKit writes to or hands to a sandbox: a sandbox that
 * could write a directory could have planted {@code ln -s / dir/stage}, and following it would
 * turn {@code dir/stage/etc} into the host's {@code /etc}. Used by the unpacker for its target
 * and by the sandbox backends for every host path of a spec.
 */
public final class HostPathWalk {
  private HostPathWalk() {}

  /**
   * The first component of {@code path} that is a symbolic link, walking from {@code /} down and
   * reading each component's own attributes ({@link LinkOption#NOFOLLOW_LINKS}). The walk ends
   * without a result at a component that is missing, cannot be read, or is not a directory while
   * more components follow: whoever opens the path then fails with the error that explains it.
   *
   * @param path absolute, normalised host path
   * @return the linked component (a prefix of {@code path}, perhaps {@code path} itself), or
   *     empty when no component is a link as far as the walk got
   * @throws IllegalArgumentException when {@code path} is relative or not normalised
   */
  public static Optional<Path> firstLink(Path path) {
    if (!path.isAbsolute() || !path.normalize().equals(path)) {
      throw new IllegalArgumentException("not an absolute normalised path: " + path);
    }
    Path current = path.getRoot();
    int n = path.getNameCount();
    for (int i = 0; i < n; i++) {
      current = current.resolve(path.getName(i));
      BasicFileAttributes a;
      try {
        a = Files.readAttributes(current, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (IOException e) {
        return Optional.empty();
      }
      if (a.isSymbolicLink()) {
        return Optional.of(current);
      }
      if (!a.isDirectory()) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }
}
