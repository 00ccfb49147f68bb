package dev.boxkit.cli;

import dev.boxkit.oci.InvalidInputException;

/**
 * {@code KEY=VALUE} of {@code --env} and {@code --label}; split at the first {@code =}.
 *
 * @param key non-empty, without {@code =}
 * @param value may be empty
 */
record KeyValue(String key, String value) {

  /** @throws InvalidInputException (field {@code KEY=VALUE}) without {@code =} or with an empty key */
  static KeyValue parse(String text) {
    int eq = text.indexOf('=');
    if (eq <= 0) {
      throw new InvalidInputException("KEY=VALUE", text, "expected KEY=VALUE with a non-empty KEY");
    }
    return new KeyValue(text.substring(0, eq), text.substring(eq + 1));
  }
}
