package dev.boxkit.sandbox.linux;

/**
 * One host path a plan opens (op OPEN_SOURCE), numbered by its place in the plan's source list:
 * opened by the helper itself, or received from the monitor as a tree it idmapped (op IDMAP),
 * read-only with the shifted map or writable with a {@link WritableIdMap}. The same path may be
 * two sources when it is used both ways.
 *
 * @param path the host path, absolute
 * @param access how the sandbox gets it
 */
record PlanSource(String path, Access access) {
  /** How a source reaches the sandbox. */
  enum Access {
    /** Opened by the helper without following links; no id mapping. */
    HOST,
    /** An idmapped tree with the shifted map (files keep their owners inside). */
    IDMAPPED,
    /** A writable idmapped tree, mapped to the tree's owner (never host root). */
    IDMAPPED_WRITABLE
  }

  /** @return a source the helper opens as it is */
  static PlanSource host(String path) {
    return new PlanSource(path, Access.HOST);
  }

  /**
   * A tree the spec names: with shifted ids it is shown through an idmapped mount, so that its
   * files keep their owners inside (read-only trees and image layers), or, for a writable host
   * tree, through a {@link WritableIdMap}. The host root is never one (see the compiler).
   */
  static PlanSource tree(String path, boolean shifted, boolean writable) {
    if (!shifted) {
      return host(path);
    }
    return new PlanSource(path, writable ? Access.IDMAPPED_WRITABLE : Access.IDMAPPED);
  }

  /** @return true when the monitor idmaps it and sends it over */
  boolean idmapped() {
    return access != Access.HOST;
  }
}
