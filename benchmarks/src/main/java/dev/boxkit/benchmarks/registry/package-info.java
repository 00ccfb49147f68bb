/**
 * Side-by-side timing of registry transfers (push and pull of a large image) against
 * {@code skopeo copy}, per the
 * <a href="https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md">OCI
 * distribution-spec</a>.
 */
package dev.boxkit.benchmarks.registry;
