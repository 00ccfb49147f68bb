package dev.boxkit.oci.layer;

import dev.boxkit.oci.OciException;

/**
 * The content of a layer entry could not be read: a host file is missing or unreadable, is of a
 * type a layer cannot hold (socket, device), or has a different size than declared (it changed
 * while the layer was built). {@link #source()} names it.
 */
public class LayerSourceException extends OciException {
  private static final long serialVersionUID = 1L;

  private final String source;

  /**
   * @param source the host path or a description of the content, e.g. {@code "bytes for /etc/x"}
   * @param reason what is wrong with it
   * @param cause the underlying failure, may be null
   */
  public LayerSourceException(String source, String reason, Throwable cause) {
    super("layer source " + source + ": " + reason, cause);
    this.source = source;
  }

  /** @return the host path or description of the offending content */
  public String source() {
    return source;
  }
}
