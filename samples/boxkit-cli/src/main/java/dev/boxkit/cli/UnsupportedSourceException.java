package dev.boxkit.cli;

import dev.boxkit.oci.OciException;

/** An image source the command line names correctly but BoxKit cannot read yet. */
final class UnsupportedSourceException extends OciException {
  private static final long serialVersionUID = 1L;

  /** @param message which source, and what to do instead */
  UnsupportedSourceException(String message) {
    super(message);
  }
}
