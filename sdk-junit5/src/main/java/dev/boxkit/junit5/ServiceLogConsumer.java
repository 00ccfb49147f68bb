package dev.boxkit.junit5;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives each line of a {@link SandboxService}'s stdout and stderr as it is written, in order
 * for each stream, on the service's reader threads — as Testcontainers' {@code withLogConsumer}.
 * The service's output tails are kept as well. An exception thrown here is logged at WARN and the
 * consumer is not called again; the service keeps running.
 */
@FunctionalInterface
public interface ServiceLogConsumer {

  /** @param line the line, never null */
  void accept(ServiceLogLine line);

  /**
   * Logs each line to {@code logger}: stdout at INFO, stderr at WARN, prefixed with {@code
   * prefix} (e.g. the service's name).
   *
   * @param logger where to log, not null
   * @param prefix put before each line, e.g. {@code "[db] "}; may be empty, not null
   * @return the consumer
   */
  static ServiceLogConsumer toLogger(Logger logger, String prefix) {
    java.util.Objects.requireNonNull(logger, "logger");
    java.util.Objects.requireNonNull(prefix, "prefix");
    return line -> {
      if (line.stream() == ServiceLogLine.Stream.STDERR) {
        logger.warn("{}{}", prefix, line.text());
      } else {
        logger.info("{}{}", prefix, line.text());
      }
    };
  }

  /**
   * Logs each line through SLF4J to the logger named {@code loggerName}; see {@link
   * #toLogger(Logger, String)}.
   *
   * @param loggerName the logger's name, e.g. {@code "service.db"}, not null
   * @return the consumer
   */
  static ServiceLogConsumer toSlf4j(String loggerName) {
    return toLogger(LoggerFactory.getLogger(loggerName), "");
  }
}
