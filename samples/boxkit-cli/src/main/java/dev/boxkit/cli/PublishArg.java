package dev.boxkit.cli;

import dev.boxkit.oci.InvalidInputException;

/**
 * {@code --publish [HOST:]PORT}: a TCP port of the sandbox reached from the host's {@code
 * 127.0.0.1:HOST}; without {@code HOST} the kernel picks a free port.
 *
 * @param hostPort 1..65535, or 0 for a free port
 * @param sandboxPort 1..65535
 */
record PublishArg(int hostPort, int sandboxPort) {

  /**
   * @throws InvalidInputException (field {@code publish}) for anything but one or two decimal
   *     ports separated by {@code :}, or a port outside 1..65535
   */
  static PublishArg parse(String text) {
    String[] parts = text.split(":", -1);
    if (parts.length > 2) {
      throw new InvalidInputException("publish", text, "expected [HOST:]PORT, e.g. 8080 or 5432:5432");
    }
    int sandbox = port(text, parts[parts.length - 1]);
    return new PublishArg(parts.length == 2 ? port(text, parts[0]) : 0, sandbox);
  }

  private static int port(String text, String part) {
    // Digits only: Integer.parseInt would take "+80".
    if (part.isEmpty() || part.length() > 5 || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new InvalidInputException("publish", text, "\"" + part + "\" is not a port number (1..65535)");
    }
    int port = Integer.parseInt(part);
    if (port < 1 || port > 65535) {
      throw new InvalidInputException("publish", text, "port " + port + " is outside 1..65535");
    }
    return port;
  }
}
