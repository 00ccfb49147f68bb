package dev.boxkit.oci.layer;

import java.io.IOException;

/**
 * Supplies a value, typically a fresh {@link java.io.InputStream} over file content, and may fail
 * with an {@link IOException}. Called once per build, at the moment the content is written.
 *
 * @param <T> what it supplies
 */
@FunctionalInterface
public interface IOSupplier<T> {
  /**
   * @return the value, never null
   * @throws IOException when it cannot be produced
   */
  T get() throws IOException;
}
