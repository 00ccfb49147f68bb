/**
 * The one JSON codec for OCI documents: deterministic, compact output so that equal values give
 * equal bytes and equal digests (image-spec
 * <a href="https://github.com/opencontainers/image-spec/blob/v1.1.0/considerations.md">considerations.md</a>,
 * "Canonicalization").
 */
package dev.boxkit.oci.json;
