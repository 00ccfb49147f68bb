package dev.boxkit.cli;

import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.sandbox.Mount;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code --bind SRC:DST[:ro|rw]}: a host path bound into the sandbox, read-only unless
 * {@code rw} is given (the opposite of {@code docker run -v}, on purpose: fail closed).
 *
 * @param source an existing host path, absolute and normalised
 * @param destination an absolute path inside the sandbox
 * @param writable whether the sandbox may write through the bind
 */
record BindArg(Path source, String destination, boolean writable) {

  /**
   * @throws InvalidInputException (field {@code bind}) for a missing part, a source that does
   *     not exist, a relative destination, or a mode other than {@code ro}/{@code rw}
   */
  static BindArg parse(String text) {
    String[] parts = text.split(":", -1);
    if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
      throw new InvalidInputException("bind", text, "expected SRC:DST[:ro|rw]");
    }
    boolean writable = false;
    if (parts.length == 3) {
      if (!parts[2].equals("ro") && !parts[2].equals("rw")) {
        throw new InvalidInputException("bind", text, "mode must be ro or rw, not \"" + parts[2] + "\"");
      }
      writable = parts[2].equals("rw");
    }
    Path source = Path.of(parts[0]).toAbsolutePath().normalize();
    if (!Files.exists(source)) {
      throw new InvalidInputException("bind", text, "host path " + source + " does not exist");
    }
    if (!parts[1].startsWith("/")) {
      throw new InvalidInputException("bind", text, "destination must be an absolute path");
    }
    return new BindArg(source, Path.of(parts[1]).normalize().toString(), writable);
  }

  /** @return the sandbox mount */
  Mount.Bind toMount() {
    Mount.Bind b = Mount.bind(source, destination);
    return writable ? b.readWrite() : b;
  }
}
