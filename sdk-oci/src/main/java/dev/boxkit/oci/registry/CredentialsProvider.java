package dev.boxkit.oci.registry;

import java.util.Map;
import java.util.Optional;

/**
 * Finds credentials for a registry. Implementations: {@link #anonymous()}, {@link #of(String,
 * Credentials)}, {@link DockerConfigCredentials}; chain them with {@link #orElse}.
 */
@FunctionalInterface
public interface CredentialsProvider {
  /**
   * @param registry the registry as written in references, {@code host[:port]}, e.g.
   *     {@code docker.io}, {@code 127.0.0.1:5000}
   * @return its credentials, or empty to go anonymous
   * @throws dev.boxkit.oci.OciException when a configured source (file, helper) fails
   */
  Optional<Credentials> find(String registry);

  /** @return a provider that never has credentials */
  static CredentialsProvider anonymous() {
    return registry -> Optional.empty();
  }

  /** @return a provider with {@code credentials} for {@code registry} only */
  static CredentialsProvider of(String registry, Credentials credentials) {
    Map<String, Credentials> one = Map.of(registry, credentials);
    return r -> Optional.ofNullable(one.get(r));
  }

  /** @return this provider, falling back to {@code other} when this one has nothing */
  default CredentialsProvider orElse(CredentialsProvider other) {
    return r -> {
      Optional<Credentials> c = find(r);
      return c.isPresent() ? c : other.find(r);
    };
  }
}
