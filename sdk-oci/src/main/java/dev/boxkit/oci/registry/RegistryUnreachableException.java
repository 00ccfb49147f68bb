package dev.boxkit.oci.registry;

import java.util.List;

/**
 * No HTTP response could be had from a registry: its host name does not resolve, nothing listens
 * on its port, or connecting timed out. The message names {@code host:port}, e.g.
 * {@code "127.0.0.1:5999/app:1: connection refused: 127.0.0.1:5999"}; {@link #status()} is 0.
 */
public final class RegistryUnreachableException extends RegistryException {
  private static final long serialVersionUID = 1L;

  /** Why no connection was made. */
  public enum Reason {
    /** The host name did not resolve. */
    UNKNOWN_HOST,
    /** The host answered but nothing accepted the connection on that port. */
    CONNECTION_REFUSED,
    /** Connecting took longer than the client's connect timeout. */
    CONNECT_TIMEOUT
  }

  private final String host;
  private final int port;
  private final Reason reason;

  /**
   * @param subject what the request was about, e.g. {@code 127.0.0.1:5999/app:1}
   * @param host the host that could not be reached
   * @param port its port (the scheme's default made explicit)
   * @param reason why
   * @param cause the underlying failure; may be null
   */
  public RegistryUnreachableException(String subject, String host, int port, Reason reason,
      Throwable cause) {
    super(subject, describe(host, port, reason), 0, List.of(), cause);
    this.host = host;
    this.port = port;
    this.reason = reason;
  }

  private static String describe(String host, int port, Reason reason) {
    switch (reason) {
      case UNKNOWN_HOST:
        return "unknown host " + host + " (port " + port + ")";
      case CONNECTION_REFUSED:
        return "connection refused: " + host + ":" + port;
      default:
        return "connection timed out: " + host + ":" + port;
    }
  }

  /** @return the host that could not be reached */
  public String host() {
    return host;
  }

  /** @return its port */
  public int port() {
    return port;
  }

  /** @return why no connection was made */
  public Reason reason() {
    return reason;
  }
}
