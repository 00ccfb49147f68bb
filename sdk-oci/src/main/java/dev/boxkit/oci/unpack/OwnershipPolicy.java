package dev.boxkit.oci.unpack;

/** What {@link RootfsUnpacker} does with the uid/gid of each tar entry. */
public enum OwnershipPolicy {
  /**
   * Apply ({@code lchown}) when the process's effective uid is 0 (root, or root inside a user
   * namespace); an id the kernel refuses (e.g. unmapped in the namespace) is recorded instead.
   * When not root, record every entry's owner. The default.
   */
  AUTO,
  /** Always apply; a refused {@code lchown} fails the unpack with {@link UnpackException}. */
  APPLY,
  /** Never apply; record every entry's owner (files keep the process's uid/gid). */
  RECORD
}
