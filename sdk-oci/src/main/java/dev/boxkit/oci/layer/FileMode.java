package dev.boxkit.oci.layer;

import dev.boxkit.oci.InvalidInputException;

/**
 * Unix permission bits of a layer entry, including set-uid ({@code 04000}), set-gid
 * ({@code 02000}) and sticky ({@code 01000}); the file type is not part of it.
 *
 * @param bits the permission bits, {@code 0} to {@code 07777} (octal)
 */
public record FileMode(int bits) {
  /** {@code 0644}: a regular file that is not executable. */
  public static final FileMode FILE = new FileMode(0644);
  /** {@code 0755}: an executable file or a directory. */
  public static final FileMode EXECUTABLE = new FileMode(0755);
  /** {@code 0755}: the mode given to directories unless told otherwise. */
  public static final FileMode DIRECTORY = EXECUTABLE;
  /** {@code 0777}: symlinks always carry it on Linux. */
  public static final FileMode SYMLINK = new FileMode(0777);

  /** @throws InvalidInputException (field {@code "mode"}) when outside {@code 0..07777} */
  public FileMode {
    if (bits < 0 || bits > 07777) {
      throw new InvalidInputException("mode", Integer.toOctalString(bits),
          "permission bits must be between 0 and 07777 (octal)");
    }
  }

  /**
   * @param bits permission bits as an int, usually written in octal: {@code FileMode.of(0750)}
   * @return the mode
   * @throws InvalidInputException when outside {@code 0..07777}
   */
  public static FileMode of(int bits) {
    return new FileMode(bits);
  }

  /**
   * Parses an octal string such as {@code "755"}, {@code "0755"} or {@code "4755"}.
   *
   * @throws InvalidInputException naming the text when it is not 1 to 4 octal digits (5 with a
   *     leading zero)
   */
  public static FileMode parse(String octal) {
    if (octal == null || !octal.matches("0?[0-7]{1,4}")) {
      throw new InvalidInputException("mode", octal, "expected 1 to 4 octal digits, e.g. 0755");
    }
    return new FileMode(Integer.parseInt(octal, 8));
  }

  /** @return true when any of the owner, group or other execute bits is set */
  public boolean isExecutable() {
    return (bits & 0111) != 0;
  }

  /** @return four octal digits, e.g. {@code 0755} */
  @Override
  public String toString() {
    return String.format("%04o", bits);
  }
}
