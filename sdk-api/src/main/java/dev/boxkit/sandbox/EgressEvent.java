package dev.boxkit.sandbox;

import java.time.Instant;
import java.util.Objects;

/**
 * One request the egress proxy refused, reported to the sandbox's listener. Allowed requests
 * and requests that fail for other causes (a name that does not resolve, an unreachable
 * destination) produce no event.
 *
 * <p>The reasons, with the proxy's answer:
 * <ul>
 *   <li>{@code "not on the allow-list"} (403): no entry names the host;</li>
 *   <li>{@code "port N not on the allow-list"} (403): entries name the host, for other ports;</li>
 *   <li>{@code "resolves to a KIND address IP"} (403), e.g.
 *       {@code "resolves to a private address 10.1.2.3"}: the name is allowed but one of its
 *       addresses is loopback, link-local, private, shared (CGNAT), unspecified, multicast or
 *       reserved and no IP or CIDR entry covers it (DNS rebinding);</li>
 *   <li>{@code "resolves to no address"} (403): the resolver answered an empty list;</li>
 *   <li>{@code "IP literal not on the allow-list"} (403): the client asked for an IP address
 *       that no IP or CIDR entry covers with that port;</li>
 *   <li>{@code "the proxy itself"} (403): the destination is the proxy's own listening
 *       address;</li>
 *   <li>{@code "bad request: DETAIL"} (400): the request could not be parsed or is not a proxy
 *       request (DETAIL says why, e.g. {@code "request head over 16384 bytes"}).</li>
 * </ul>
 *
 * @param time when the request was refused
 * @param host the host the client asked for, as sent (an IP literal keeps its brackets); empty
 *     when the request was too malformed to name one
 * @param port the port the client asked for, 1..65535; 0 when the request was too malformed to
 *     name one
 * @param address the refused address as text when the denial was about an address (an IP
 *     literal, or the resolved address that was refused), else null
 * @param reason why the request was refused, one of the reasons above
 */
public record EgressEvent(Instant time, String host, int port, String address, String reason) {
  /** @throws NullPointerException when {@code time}, {@code host} or {@code reason} is null */
  public EgressEvent {
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(reason, "reason");
  }
}
