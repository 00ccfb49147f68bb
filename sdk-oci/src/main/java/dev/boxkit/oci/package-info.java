/**
 * The OCI image model: digests, descriptors, media types, platforms, references, manifests,
 * indexes and configs, as defined by the
 * <a href="https://github.com/opencontainers/image-spec/blob/v1.1.0/spec.md">OCI image-spec v1.1</a>.
 *
 * <p>Every type in this package is an immutable value; arguments and results are non-null unless
 * documented otherwise.
 */
package dev.boxkit.oci;
