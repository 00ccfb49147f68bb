/**
 * Client side of the
 * <a href="https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md">OCI
 * distribution-spec v1.1</a> on {@code java.net.http}: blobs, manifests, tags, token and basic
 * auth, retries, and whole-image pull, push and copy.
 *
 * <p>Arguments and results are non-null unless documented otherwise. Every blob and manifest read
 * from a registry is verified against its digest and size; secrets are never logged.
 */
package dev.boxkit.oci.registry;
