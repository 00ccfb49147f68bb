package dev.boxkit.oci.unpack;

/** Internal signal that an entry is refused; converted to a typed exception naming layer and entry. */
final class Refused extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final boolean unsafe;

  private Refused(boolean unsafe, String reason) {
    super(reason, null, false, false);
    this.unsafe = unsafe;
  }

  static Refused unsafe(String reason) {
    return new Refused(true, reason);
  }

  static Refused invalid(String reason) {
    return new Refused(false, reason);
  }

  boolean isUnsafe() {
    return unsafe;
  }
}
