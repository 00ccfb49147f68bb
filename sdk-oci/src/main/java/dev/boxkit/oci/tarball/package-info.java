/**
 * Writes image tarballs that {@code docker load} and skopeo's {@code docker-archive:} transport
 * read: {@code manifest.json}, {@code repositories} and the blobs (format of
 * <a href="https://github.com/moby/moby/blob/v25.0.0/image/tarexport/save.go">docker save</a>).
 */
package dev.boxkit.oci.tarball;
