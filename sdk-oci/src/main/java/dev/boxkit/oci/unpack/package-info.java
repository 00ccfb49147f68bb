/**
 * Secure unpacking of OCI image layers into a root filesystem, and a cache of unpacked trees keyed
 * by layer chain, following image-spec
 * <a href="https://github.com/opencontainers/image-spec/blob/v1.1.0/layer.md">layer.md</a>
 * (changesets, whiteouts) and
 * <a href="https://github.com/opencontainers/image-spec/blob/v1.1.0/config.md#layer-chainid">config.md</a>
 * (ChainID). Layers may be plain, gzip or zstd tars ({@link dev.boxkit.oci.layer.Compression}).
 *
 * <p>Security model: every entry path, hardlink target and whiteout is resolved inside the target
 * directory with secure-join semantics (component by component, symlinks resolved relative to the
 * target root, {@code ..} in a symlink target clamped at that root), and nothing is ever created
 * through a symlink ({@code NOFOLLOW_LINKS} everywhere). The target is assumed private to the
 * unpacker while it runs (it is a fresh temporary sibling that is renamed into place on success),
 * so races with other writers in the same tree are out of scope.
 *
 * <p>Arguments and results are non-null unless documented otherwise.
 */
package dev.boxkit.oci.unpack;
