package dev.boxkit.junit5;

import java.util.Objects;

/**
 * One line a {@link SandboxService} wrote, as given to a {@link ServiceLogConsumer}.
 *
 * @param stream which of the service's streams it came from, never null
 * @param text the line as UTF-8, without its line terminator ({@code \n} or {@code \r\n}); a
 *     line longer than 64 KiB comes in pieces of that size
 */
public record ServiceLogLine(Stream stream, String text) {
  /** The service's output streams. */
  public enum Stream {
    /** Standard output. */
    STDOUT,
    /** Standard error. */
    STDERR
  }

  /** @throws NullPointerException when an argument is null */
  public ServiceLogLine {
    Objects.requireNonNull(stream, "stream");
    Objects.requireNonNull(text, "text");
  }
}
