package dev.boxkit.sandbox.internal.egress;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Turns a DNS name into addresses for the {@link EgressProxy}. The proxy checks every answer
 * against the policy, so a resolver needs no checks of its own. Called on the proxy's resolver
 * threads, never on its selector thread; it may block.
 */
@FunctionalInterface
public interface Resolver {
  /**
   * @param host a syntactically valid DNS name, not an IP literal
   * @return the host's addresses in the order to try them; an empty list is refused
   * @throws UnknownHostException when the name does not resolve
   */
  List<InetAddress> resolve(String host) throws UnknownHostException;

  /** @return the JVM's resolver, {@link InetAddress#getAllByName(String)} */
  static Resolver system() {
    return host -> List.of(InetAddress.getAllByName(host));
  }
}
