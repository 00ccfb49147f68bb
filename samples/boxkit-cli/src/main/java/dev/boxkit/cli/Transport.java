package dev.boxkit.cli;

import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.InvalidInputException;

/**
 * A location split at its first colon into transport name and the rest, as
 * {@code containers-transports(5)} does.
 *
 * @param name the transport, e.g. {@code oci}
 * @param rest what follows the colon
 */
record Transport(String name, String rest) {

  /** Transports of {@code containers-transports(5)} that BoxKit does not read or write yet. */
  private static final java.util.Set<String> LATER = java.util.Set.of(
      "dir", "containers-storage", "docker-daemon", "oci-archive");

  static Transport split(String flag, String text) {
    int colon = text.indexOf(':');
    if (colon <= 0) {
      throw new InvalidInputException(flag, text, "expected TRANSPORT:LOCATION, e.g. oci:DIR:TAG");
    }
    return new Transport(text.substring(0, colon), text.substring(colon + 1));
  }

  /** @return the rest as a path, which must not be empty */
  String requirePath(String flag, String text) {
    if (rest.isEmpty()) {
      throw new InvalidInputException(flag, text, "the " + name + " transport needs a path");
    }
    return rest;
  }

  /** @return {path, what follows the path's colon}, both non-empty */
  String[] pathAndRest(String flag, String text, String syntax) {
    int colon = rest.indexOf(':');
    if (colon <= 0 || colon == rest.length() - 1) {
      throw new InvalidInputException(flag, text, "expected " + syntax);
    }
    return new String[] {rest.substring(0, colon), rest.substring(colon + 1)};
  }

  /** @return the reference of {@code docker://REF} */
  ImageReference registryReference(String flag, String text) {
    if (!rest.startsWith("//") || rest.length() == 2) {
      throw new InvalidInputException(flag, text, "expected docker://HOST[:PORT]/REPO[:TAG]");
    }
    try {
      return ImageReference.parse(rest.substring(2));
    } catch (InvalidInputException e) {
      throw new InvalidInputException(flag, text, e.getMessage());
    }
  }

  InvalidInputException unsupported(String flag, String text, String expected) {
    if (LATER.contains(name)) {
      return new InvalidInputException(flag, text, "the " + name + " transport is not supported yet; use " + expected);
    }
    return new InvalidInputException(flag, text, "unknown transport \"" + name + "\"; expected " + expected);
  }
}
