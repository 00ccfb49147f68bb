package dev.boxkit.oci.layer;

import dev.boxkit.oci.InvalidInputException;
import java.time.Instant;
import java.util.Optional;

/**
 * Reads {@code SOURCE_DATE_EPOCH} as specified by reproducible-builds.org: the one timestamp
 * reproducible layers and configs use when the caller sets none.
 */
public final class SourceDateEpoch {
  private SourceDateEpoch() {}

  /**
   * @param value the variable's value, null or blank when unset
   * @return the instant, or empty when unset
   * @throws InvalidInputException when set but not a non-negative integer
   */
  public static Optional<Instant> parse(String value) {
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    String v = value.strip();
    if (!v.matches("[0-9]{1,18}")) {
      throw new InvalidInputException(LayerBuilder.SOURCE_DATE_EPOCH, value,
          "must be a non-negative integer: seconds since 1970-01-01T00:00:00Z");
    }
    return Optional.of(Instant.ofEpochSecond(Long.parseLong(v)));
  }

  /**
   * @return the instant the environment's {@code SOURCE_DATE_EPOCH} names, or the epoch
   *     (1970-01-01T00:00:00Z) when it is unset
   * @throws InvalidInputException when it is set but not a non-negative integer
   */
  public static Instant fromEnvironmentOrEpoch() {
    return parse(System.getenv(LayerBuilder.SOURCE_DATE_EPOCH)).orElse(Instant.EPOCH);
  }
}
