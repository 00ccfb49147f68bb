/**
 * Reads and writes OCI image layouts: a directory with {@code oci-layout}, {@code index.json} and
 * content-addressed {@code blobs/} (image-spec
 * <a href="https://github.com/opencontainers/image-spec/blob/v1.1.0/image-layout.md">image-layout.md</a>).
 */
package dev.boxkit.oci.layout;
