/**
 * Conformance checks for images written or read by any source or sink, per image-spec
 * <a href="https://github.com/opencontainers/image-spec/blob/v1.1.0/manifest.md">manifest.md</a>,
 * {@code config.md}, {@code layer.md} and {@code image-layout.md}.
 */
package dev.boxkit.oci.validate;
