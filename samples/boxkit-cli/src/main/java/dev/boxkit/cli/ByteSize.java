package dev.boxkit.cli;

import dev.boxkit.oci.InvalidInputException;
import java.util.Locale;

/**
 * A size as {@code docker run --memory} writes it: a number with an optional unit {@code b},
 * {@code k}, {@code m} or {@code g} (powers of 1024, case-insensitive).
 *
 * @param bytes the size in bytes, &gt; 0
 */
record ByteSize(long bytes) {

  /** @throws InvalidInputException (field {@code size}) when malformed, zero or too large */
  static ByteSize parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (!t.matches("[0-9]{1,19}[bkmg]?")) {
      throw new InvalidInputException("size", text, "expected a number with an optional unit b, k, m or g, e.g. 256m");
    }
    char last = t.charAt(t.length() - 1);
    char unit = Character.isDigit(last) ? 'b' : last;
    String digits = Character.isDigit(last) ? t : t.substring(0, t.length() - 1);
    int shift = switch (unit) {
      case 'k' -> 10;
      case 'm' -> 20;
      case 'g' -> 30;
      default -> 0;
    };
    long n;
    try {
      n = Long.parseLong(digits);
    } catch (NumberFormatException e) {
      throw new InvalidInputException("size", text, "too large");
    }
    if (n <= 0) {
      throw new InvalidInputException("size", text, "must be greater than zero");
    }
    if (n > (Long.MAX_VALUE >> shift)) {
      throw new InvalidInputException("size", text, "too large");
    }
    return new ByteSize(n << shift);
  }
}
