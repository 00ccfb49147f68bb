package dev.boxkit.cli;

import dev.boxkit.oci.InvalidInputException;
import java.time.Duration;

/**
 * A duration as Go and {@code timeout(1)} users write it: a whole number with the unit
 * {@code ms}, {@code s}, {@code m} or {@code h}; a bare number means seconds.
 *
 * @param duration the duration, &gt; 0
 */
record DurationArg(Duration duration) {

  /** @throws InvalidInputException (field {@code duration}) when malformed or not positive */
  static DurationArg parse(String text) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]{1,12})(ms|s|m|h)?").matcher(text.trim());
    if (!m.matches()) {
      throw new InvalidInputException("duration", text, "expected a whole number with unit ms, s, m or h, e.g. 10s");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    Duration d = switch (unit) {
      case "ms" -> Duration.ofMillis(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofSeconds(n);
    };
    if (d.isZero()) {
      throw new InvalidInputException("duration", text, "must be greater than zero");
    }
    return new DurationArg(d);
  }
}
