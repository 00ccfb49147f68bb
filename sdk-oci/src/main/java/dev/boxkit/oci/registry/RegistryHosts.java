package dev.boxkit.oci.registry;

import dev.boxkit.oci.ImageReference;
import java.net.URI;
import java.util.Set;

/**
 * Which registries are spoken to over plain HTTP: only those the user marked insecure, by
 * {@code host:port} or by {@code host} (any port).
 */
final class RegistryHosts {
  private final Set<String> insecure;

  RegistryHosts(Set<String> insecure) {
    this.insecure = Set.copyOf(insecure);
  }

  /** @param authority {@code host:port} */
  boolean isInsecure(String authority) {
    if (insecure.contains(authority)) {
      return true;
    }
    int colon = authority.lastIndexOf(':');
    return colon > 0 && insecure.contains(authority.substring(0, colon));
  }

  /** @return {@code https://HOST} or, for an insecure registry, {@code http://HOST} */
  URI base(ImageReference ref) {
    String host = ref.apiHost();
    boolean plain = insecure.contains(ref.registry()) || insecure.contains(host)
        || isInsecure(host.contains(":") && !host.endsWith("]") ? host : host + ":80");
    return URI.create((plain ? "http://" : "https://") + host);
  }
}
