/**
 * Reproducible OCI layer building and reading: tar changesets with whiteouts, gzip- (RFC 1952,
 * compressed block-parallel) or zstd-compressed (RFC 8878) or plain, with their digest and diffID,
 * as defined by image-spec
 * <a href="https://github.com/opencontainers/image-spec/blob/v1.1.0/layer.md">layer.md</a>.
 * {@link dev.boxkit.oci.layer.Compression} is the one compression type of BoxKit.
 *
 * <p>Entry point: {@link dev.boxkit.oci.layer.LayerBuilder}. Arguments and results are non-null
 * unless documented otherwise; every exception thrown is an unchecked
 * {@link dev.boxkit.oci.OciException}, except the {@link java.io.IOException} of
 * {@link dev.boxkit.oci.layer.LayerReader#read(java.io.InputStream)}, whose stream is the caller's.
 */
package dev.boxkit.oci.layer;
