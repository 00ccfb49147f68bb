package dev.boxkit.junit5;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * An {@link dev.boxkit.image.Image} field or parameter built by {@link BoxKitExtension} once per
 * test class. The image comes either from a static factory method ({@link #factory()}) or from the
 * host programs and files listed in {@link #executables()} and {@link #files()}.
 *
 * <p>Blobs go to the store under the cache directory and the unpacked tree to its rootfs cache
 * (see {@link BoxKitExtension#CACHE_DIR_PARAMETER}), both keyed by digest: an unchanged image is
 * unpacked once and reused by later classes and later test runs.
 *
 * <p>Images made from attributes, and images whose factory returns an {@link
 * dev.boxkit.image.ImageBuilder}, get a last layer holding the empty directories {@code /proc},
 * {@code /dev} and {@code /tmp}, the mount points a {@link TestSandbox} needs in its read-only
 * root. A factory returning a built {@link dev.boxkit.image.Image} must hold them itself.
 */
@Target({ElementType.FIELD, ElementType.PARAMETER})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface SandboxImage {

  /**
   * A static method with no parameters returning an {@link dev.boxkit.image.ImageBuilder}
   * (preferred: the extension sets its cache directory) or an {@link dev.boxkit.image.Image}:
   * either a method name of the test class (or an enclosing class), or {@code
   * "fully.qualified.Class#method"}. Empty (default): build from {@link #executables()} and
   * {@link #files()}.
   */
  String factory() default "";

  /**
   * Absolute host paths of programs copied with their ELF interpreter and shared libraries, at
   * the same paths (see {@link dev.boxkit.image.Layer#fromExecutables}).
   */
  String[] executables() default {};

  /**
   * Host files, each {@code "/host/path"} (same path in the image) or {@code
   * "/host/path:/image/path"}; permission bits are kept.
   */
  String[] files() default {};

  /** {@code PATH} in the image's config when built from attributes. */
  String path() default "/usr/local/bin:/usr/bin:/bin";
}
