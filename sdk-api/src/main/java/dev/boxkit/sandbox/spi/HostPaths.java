package dev.boxkit.sandbox.spi;

import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Refuses host paths with a symbolic link in any component. A sandbox given a writable bind of a
 * host directory can plant a link there ({@code ln -s / W/stage}); a later spec naming {@code
 * W/stage/etc} would then reach the host's {@code /etc}. So every host path BoxKit opens for the
 * caller is walked here first, one component at a time without following links, and the first
 * link found is refused with a message naming it. This is the early, well-worded check only: the
 * helper opens the same paths again without following links, which also covers a link planted
 * between this check and the open. For providers: every backend runs {@link #check} first.
 */
public final class HostPaths {
  private HostPaths() {}

  /**
   * The first component of {@code path} that is a symbolic link, walking from {@code /} down and
   * reading each component's own attributes ({@code NOFOLLOW_LINKS}). The walk ends
   * without a result at a component that is missing, cannot be read, or is not a directory while
   * more components follow: the helper's own open then fails with the errno that explains it.
   *
   * @param path absolute, normalised host path
   * @return the linked component (a prefix of {@code path}, perhaps {@code path} itself), or
   *     empty when no component is a link as far as the walk got
   * @throws IllegalArgumentException when {@code path} is relative or not normalised
   */
  public static Optional<Path> firstLink(Path path) {
    return dev.boxkit.oci.HostPathWalk.firstLink(path);
  }

  /**
   * Refuses {@code path} when any of its components is a symbolic link.
   *
   * @param field the spec field the path came from, e.g. {@code "mount.source"}
   * @param path absolute, normalised host path
   * @throws InvalidSandboxSpecException naming {@code field}, quoting {@code path}, the linked
   *     component and (where it can be read) the link's target
   */
  public static void requireNoLinks(String field, Path path) {
    Optional<Path> link = firstLink(path);
    if (link.isEmpty()) {
      return;
    }
    String target;
    try {
      target = Files.readSymbolicLink(link.get()).toString();
    } catch (IOException e) {
      target = "?"; // replaced or removed meanwhile; the component is still refused
    }
    throw new InvalidSandboxSpecException(field, "\"" + path + "\": component \"" + link.get()
        + "\" is a symbolic link (-> " + target + "); BoxKit never follows links in host paths a"
        + " sandbox could have planted; if this link is yours, pass path.toRealPath() instead");
  }

  /**
   * Refuses {@code spec} when a host path it names has a symbolic link in any component: bind
   * and device sources ({@code mount.source}), a directory root ({@code root.path}), stdio files ({@code
   * stdin.path}, {@code stdout.path}, {@code stderr.path}) and an image root's {@code
   * root.keepUpper}. Links are never resolved here, not even the caller's own (a "current" link
   * to a root directory is refused too: the caller passes {@code path.toRealPath()} instead).
   * Paths are not rewritten; a missing path is left for the backend to report.
   *
   * @param spec the spec to launch
   * @throws InvalidSandboxSpecException naming the field, the path and its linked component
   */
  public static void check(SandboxSpec spec) {
    for (Mount m : spec.mounts()) {
      if (m instanceof Mount.Bind b) {
        requireNoLinks("mount.source", b.source());
      } else if (m instanceof Mount.Device d) {
        requireNoLinks("mount.source", d.source());
      }
    }
    if (spec.root() instanceof Rootfs.Directory d) {
      requireNoLinks("root.path", d.path());
    } else if (spec.root() instanceof Rootfs.FromImage image && image.keepUpper() != null) {
      // The whole path: a link as its last component is refused here, with the clearer reason,
      // before the backend would refuse it as already existing.
      requireNoLinks("root.keepUpper", image.keepUpper());
    }
    for (Object[] s : new Object[][] {{"stdin.path", spec.stdin()}, {"stdout.path", spec.stdout()},
        {"stderr.path", spec.stderr()}}) {
      if (s[1] instanceof Stdio.File f) {
        requireNoLinks((String) s[0], f.path());
      }
    }
  }
}
