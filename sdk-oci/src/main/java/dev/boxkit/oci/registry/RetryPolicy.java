package dev.boxkit.oci.registry;

import dev.boxkit.oci.InvalidInputException;
import java.time.Duration;
import java.util.List;

/**
 * How often and how long to wait before retrying an idempotent registry request that failed
 * temporarily (no response, connection reset, 408, 429, 5xx). A {@code Retry-After} header
 * (seconds or HTTP date) replaces the computed wait, capped at {@link #maxRetryAfter()}.
 *
 * @param maxAttempts total tries including the first, {@code >= 1}
 * @param backoff waits before the 2nd, 3rd, ... try; the last one repeats; empty only when
 *     {@code maxAttempts == 1}
 * @param maxRetryAfter the longest {@code Retry-After} honoured; longer ones fail at once
 */
public record RetryPolicy(int maxAttempts, List<Duration> backoff, Duration maxRetryAfter) {
  /** Three tries: 1 s, then 3 s; {@code Retry-After} honoured up to 60 s. */
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(3, List.of(Duration.ofSeconds(1), Duration.ofSeconds(3)), Duration.ofSeconds(60));

  /** One try, no retry. */
  public static final RetryPolicy NONE = new RetryPolicy(1, List.of(), Duration.ZERO);

  /** @throws InvalidInputException naming the field that is out of range */
  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new InvalidInputException("maxAttempts", String.valueOf(maxAttempts), "must be >= 1");
    }
    if (backoff == null || (backoff.isEmpty() && maxAttempts > 1)) {
      throw new InvalidInputException("backoff", String.valueOf(backoff),
          "needs at least one wait when retrying");
    }
    for (Duration d : backoff) {
      if (d == null || d.isNegative()) {
        throw new InvalidInputException("backoff", String.valueOf(backoff), "waits must be >= 0");
      }
    }
    if (maxRetryAfter == null || maxRetryAfter.isNegative()) {
      throw new InvalidInputException("maxRetryAfter", String.valueOf(maxRetryAfter), "must be >= 0");
    }
    backoff = List.copyOf(backoff);
  }

  /**
   * @param maxAttempts total tries, {@code >= 1}
   * @param wait the same wait before each retry
   * @return a policy with a constant wait and {@code Retry-After} honoured up to 60 s
   */
  public static RetryPolicy of(int maxAttempts, Duration wait) {
    return new RetryPolicy(maxAttempts, List.of(wait), Duration.ofSeconds(60));
  }

  /** @return the wait before try number {@code attempt + 1}, for {@code attempt >= 1} */
  public Duration backoffAfter(int attempt) {
    return backoff.get(Math.min(attempt - 1, backoff.size() - 1));
  }
}
