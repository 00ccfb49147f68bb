package dev.boxkit.image;

import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.registry.RegistryClient;

/**
 * An image in a registry (distribution-spec), as a build base ({@link ImageSource}) or as a
 * destination ({@link ImageTarget}). Credentials, TLS and plain-HTTP opt-ins come from the
 * {@link RegistryClient}; the default client reads credentials as skopeo does and allows no plain
 * HTTP.
 *
 * @param reference e.g. {@code registry.example/app:1}; a pull by digest is verified against it
 * @param client the client that talks to the registry
 */
public record RegistryImage(ImageReference reference, RegistryClient client) implements ImageSource, ImageTarget {
  /** @throws InvalidInputException naming {@code reference} or {@code client} when null */
  public RegistryImage {
    if (reference == null) {
      throw new InvalidInputException("reference", null, "must not be null");
    }
    if (client == null) {
      throw new InvalidInputException("client", null, "must not be null");
    }
  }

  /**
   * @param reference e.g. {@code "ubuntu:24.04"} or {@code "127.0.0.1:5000/base:1"}
   * @throws InvalidInputException (field {@code reference}) when malformed
   */
  public static RegistryImage of(String reference) {
    return new RegistryImage(ImageReference.parse(reference), RegistryClient.create());
  }

  /** As {@link #of(String)}, talking through {@code client}. */
  public static RegistryImage of(String reference, RegistryClient client) {
    return new RegistryImage(ImageReference.parse(reference), client);
  }

  @Override
  public String toString() {
    return "docker://" + reference;
  }
}
