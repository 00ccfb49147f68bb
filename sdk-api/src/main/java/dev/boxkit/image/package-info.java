/**
 * Building OCI images from Java: {@link dev.boxkit.image.Image#builder()} takes a base
 * ({@link dev.boxkit.image.Image#scratch()} or an existing image), layers and configuration, and
 * produces a reproducible {@link dev.boxkit.image.Image} that can be written to any
 * {@link dev.boxkit.image.ImageTarget}. Follows the
 * <a href="https://github.com/opencontainers/image-spec/blob/v1.1.0/spec.md">OCI image-spec</a>.
 *
 * <p>Arguments and results are non-null unless documented otherwise.
 */
package dev.boxkit.image;
