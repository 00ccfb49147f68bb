package dev.boxkit.oci;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Docker's {@code Healthcheck} in an image configuration's {@code config} (not part of the OCI
 * spec, but written by Docker and read by runtimes). Durations are written as integer
 * nanoseconds, as Docker does.
 *
 * @param test the check: {@code ["NONE"]}, {@code ["CMD", args...]} or
 *     {@code ["CMD-SHELL", command]}; never null, may be empty (inherit)
 * @param interval time between checks; null for the default (30 s)
 * @param timeout time a check may take; null for the default (30 s)
 * @param startPeriod grace period after start; null for the default (0)
 * @param retries failures in a row before unhealthy; null for the default (3)
 * @param unknownFields fields this model does not know (e.g. {@code StartInterval}); never null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"Test", "Interval", "Timeout", "StartPeriod", "Retries"})
public record Healthcheck(
    @JsonProperty("Test") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> test,
    @JsonProperty("Interval") @JsonSerialize(using = Json.NanosSerializer.class)
        @JsonDeserialize(using = Json.NanosDeserializer.class) Duration interval,
    @JsonProperty("Timeout") @JsonSerialize(using = Json.NanosSerializer.class)
        @JsonDeserialize(using = Json.NanosDeserializer.class) Duration timeout,
    @JsonProperty("StartPeriod") @JsonSerialize(using = Json.NanosSerializer.class)
        @JsonDeserialize(using = Json.NanosDeserializer.class) Duration startPeriod,
    @JsonProperty("Retries") Integer retries,
    @JsonAnySetter @JsonAnyGetter Map<String, Object> unknownFields) {

  /**
   * @throws InvalidInputException naming {@code Healthcheck.*} for a negative duration or count
   */
  public Healthcheck {
    test = test == null ? List.of() : List.copyOf(test);
    checkNotNegative("Healthcheck.Interval", interval);
    checkNotNegative("Healthcheck.Timeout", timeout);
    checkNotNegative("Healthcheck.StartPeriod", startPeriod);
    if (retries != null && retries < 0) {
      throw new InvalidInputException("Healthcheck.Retries", retries.toString(), "must be >= 0");
    }
    unknownFields = Descriptor.sortedCopy(unknownFields);
  }

  /**
   * @param test e.g. {@code List.of("CMD", "curl", "-f", "http://localhost/")}
   * @param interval time between checks
   * @return a health check with default timeout, start period and retries
   */
  public static Healthcheck of(List<String> test, Duration interval) {
    return new Healthcheck(test, interval, null, null, null, null);
  }

  private static void checkNotNegative(String field, Duration d) {
    if (d != null && d.isNegative()) {
      throw new InvalidInputException(field, d.toString(), "must not be negative");
    }
  }
}
