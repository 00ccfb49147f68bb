package dev.boxkit.sandbox;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The destinations a sandbox may reach through BoxKit's egress proxy: an allow-list of
 * {@code HOST[:PORT]} or {@code HOST:PORT-PORT} entries. Immutable; two policies with the same
 * entries in the same order are equal.
 *
 * <p><b>Entries.</b> HOST is one of
 * <ul>
 *   <li>a DNS name, {@code api.example.org} (ASCII; write internationalised names in their
 *       {@code xn--} form); compared case-insensitively, a trailing dot ignored;</li>
 *   <li>a wildcard, {@code *.example.org}: every name below {@code example.org} at any depth
 *       ({@code a.example.org}, {@code a.b.example.org}), never {@code example.org} itself;</li>
 *   <li>an IPv4 literal {@code 203.0.113.7} or bracketed IPv6 literal {@code [2001:db8::7]};</li>
 *   <li>a CIDR block, {@code 10.0.0.0/8} or {@code [fd00::]/8}, with no host bits set.</li>
 * </ul>
 * Without a port an entry allows every port; {@code :443} allows one port and
 * {@code :8000-8999} an inclusive range, each within 1..65535.
 *
 * <p><b>Rules</b> (what {@link #check}, {@link #checkName} and {@link #checkAddress} decide):
 * <ol>
 *   <li>A <em>name</em> is allowed only if a name or wildcard entry matches it and that entry's
 *       ports include the port. Names are checked before they are resolved, so a refused name
 *       is never looked up (DNS queries can carry data out too).</li>
 *   <li>Then every address the name resolves to must be public: an address that is loopback
 *       ({@code 127/8}, {@code ::1}), link-local ({@code 169.254/16}, {@code fe80::/10}),
 *       private or site-local ({@code 10/8}, {@code 172.16/12}, {@code 192.168/16},
 *       {@code fc00::/7}, {@code fec0::/10}), shared CGNAT ({@code 100.64/10}), unspecified
 *       ({@code 0/8}, {@code ::}), multicast ({@code 224/4}, {@code ff00::/8}) or reserved
 *       ({@code 240/4}), or an IPv6 address embedding such an IPv4 address (IPv4-compatible
 *       {@code ::/96}, NAT64 {@code 64:ff9b::/96}, 6to4 {@code 2002::/16}), refuses the whole
 *       request unless an IP or CIDR entry covers that address with a matching port. This stops
 *       DNS rebinding: an allowed name that answers {@code 127.0.0.1} does not reach the host.</li>
 *   <li>An IP <em>literal</em> (in {@code CONNECT} or in a URL) is allowed only if an IP or CIDR
 *       entry covers it with a matching port; name entries never allow literals.</li>
 * </ol>
 *
 * <p>Entries are checked when the policy is made; a bad one throws
 * {@link InvalidSandboxSpecException} with field {@code egress[i]} (0-based), quoting the entry.
 */
public final class EgressPolicy {

  private static final EgressPolicy DENY_ALL = new EgressPolicy(List.of());

  // One DNS label, lower-cased: letters, digits, '_' (service labels), inner hyphens.
  private static final Pattern LABEL = Pattern.compile("[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?");
  private static final Pattern DIGITS = Pattern.compile("[0-9]+");
  private static final Pattern IPV4 =
      Pattern.compile("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.]+");

  private final List<String> entries;
  private final List<NameRule> names;
  private final List<AddressRule> addresses;
  private final java.util.Map<String, List<InetAddress>> pinned;

  private EgressPolicy(List<String> entries) {
    this(entries, java.util.Map.of());
  }

  private EgressPolicy(List<String> entries, java.util.Map<String, List<InetAddress>> pinned) {
    this.pinned = pinned;
    this.entries = List.copyOf(entries);
    List<NameRule> n = new ArrayList<>();
    List<AddressRule> a = new ArrayList<>();
    for (int i = 0; i < this.entries.size(); i++) {
      parse("egress[" + i + "]", this.entries.get(i), n, a);
    }
    this.names = List.copyOf(n);
    this.addresses = List.copyOf(a);
  }

  /** @return the policy that allows nothing: every request through the proxy is refused */
  public static EgressPolicy denyAll() {
    return DENY_ALL;
  }

  /**
   * @param entries allow-list entries as described in the class documentation; none gives
   *     {@link #denyAll()}
   * @return a policy allowing exactly those destinations
   * @throws InvalidSandboxSpecException (field {@code egress[i]}) when an entry is null or
   *     malformed, or {@code egress} when the array is null
   */
  public static EgressPolicy allow(String... entries) {
    if (entries == null) {
      throw new InvalidSandboxSpecException("egress", "is null");
    }
    return allow(java.util.Arrays.asList(entries));
  }

  /**
   * @param entries allow-list entries as described in the class documentation; empty gives
   *     {@link #denyAll()}
   * @return a policy allowing exactly those destinations
   * @throws InvalidSandboxSpecException (field {@code egress[i]}) when an entry is null or
   *     malformed, or {@code egress} when the list is null
   */
  public static EgressPolicy allow(List<String> entries) {
    if (entries == null) {
      throw new InvalidSandboxSpecException("egress", "is null");
    }
    for (int i = 0; i < entries.size(); i++) {
      if (entries.get(i) == null) {
        throw new InvalidSandboxSpecException("egress[" + i + "]", "is null");
      }
    }
    return entries.isEmpty() ? DENY_ALL : new EgressPolicy(entries);
  }

  /** @return the entries exactly as given, in order; empty for {@link #denyAll()} */
  public List<String> entries() {
    return entries;
  }

  /** @return whether this policy has no entries, so refuses every destination */
  public boolean isDenyAll() {
    return entries.isEmpty();
  }

  /**
   * Rule 1 alone: whether a name may be looked up and connected to on this port. The proxy asks
   * this before resolving, then {@link #check} with the answers.
   *
   * @param host a DNS name as the client sent it (case and a trailing dot do not matter); an IP
   *     literal never matches here, use {@link #checkAddress}
   * @param port the destination port, 1..65535
   * @return the decision; denied with {@code "not on the allow-list"} when no entry names the
   *     host, or {@code "port N not on the allow-list"} when entries name it for other ports
   * @throws NullPointerException when {@code host} is null
   */
  public Decision checkName(String host, int port) {
    String name = normalize(Objects.requireNonNull(host, "host"));
    boolean nameMatched = false;
    for (NameRule r : names) {
      if (r.matches(name)) {
        if (r.ports.contains(port)) {
          return Decision.allow("allowed by " + r.entry);
        }
        nameMatched = true;
      }
    }
    return Decision.deny(nameMatched ? "port " + port + " not on the allow-list"
        : "not on the allow-list", null);
  }

  /**
   * Rules 1 and 2: whether a name, resolved to these addresses, may be reached on this port.
   *
   * @param host a DNS name as the client sent it
   * @param port the destination port, 1..65535
   * @param resolved every address the name resolved to (the proxy may connect to any of them)
   * @return the decision; when an address is refused, its reason reads
   *     {@code "resolves to a KIND address IP"} (KIND: loopback, link-local, private, shared,
   *     unspecified, multicast, reserved) and {@link Decision#address()} is that address;
   *     {@code "resolves to no address"} when {@code resolved} is empty
   * @throws NullPointerException when an argument or an address is null
   */
  public Decision check(String host, int port, List<InetAddress> resolved) {
    Decision byName = checkName(host, port);
    if (!byName.allowed()) {
      return byName;
    }
    if (resolved.isEmpty()) {
      return Decision.deny("resolves to no address", null);
    }
    for (InetAddress address : resolved) {
      String kind = nonPublicKind(Objects.requireNonNull(address, "address"));
      if (kind != null && covering(address, port) == null) {
        return Decision.deny(
            "resolves to a " + kind + " address " + address.getHostAddress(),
            address.getHostAddress());
      }
    }
    return byName;
  }

  /**
   * Rule 3: whether an IP literal may be reached on this port.
   *
   * @param address the literal address the client asked for
   * @param port the destination port, 1..65535
   * @return the decision; denied with {@code "IP literal not on the allow-list"}
   * @throws NullPointerException when {@code address} is null
   */
  public Decision checkAddress(InetAddress address, int port) {
    AddressRule r = covering(Objects.requireNonNull(address, "address"), port);
    return r != null ? Decision.allow("allowed by " + r.entry)
        : Decision.deny("IP literal not on the allow-list", address.getHostAddress());
  }

  /**
   * Parses a request's host as an IP literal without any DNS lookup.
   *
   * @param host an IPv4 dotted quad ({@code 10.0.0.1}, no leading zeros) or an IPv6 address,
   *     bracketed or not
   * @return the address, or null when {@code host} is not an IP literal of those forms
   */
  public static InetAddress parseLiteral(String host) {
    String h = host;
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    } else if (h.startsWith("[") || h.endsWith("]")) {
      return null;
    }
    if (IPV4.matcher(h).matches()) {
      for (String part : h.split("\\.")) {
        if (Integer.parseInt(part) > 255) {
          return null;
        }
      }
      return literal(h);
    }
    // Only hex digits, ':' and '.': getByName parses it as a literal and never asks DNS.
    if (h.indexOf(':') >= 0 && IPV6_CHARS.matcher(h).matches()) {
      return literal(h);
    }
    return null;
  }

  /**
   * @param name a DNS name as a client may send it
   * @return whether it is a syntactically valid DNS name (not an IP literal) after lower-casing
   *     and dropping one trailing dot: labels of 1..63 letters, digits, '_' or inner '-', at
   *     most 253 characters, the last label not all digits
   */
  public static boolean isValidName(String name) {
    return nameError(normalize(name)) == null;
  }

  /**
   * @param address an address
   * @return why the address is not public ("loopback", "link-local", "private", "shared",
   *     "unspecified", "multicast", "reserved"), or null when it is a public address
   */
  public static String nonPublicKind(InetAddress address) {
    byte[] b = address.getAddress();
    if (address instanceof Inet4Address) {
      return v4Kind(b);
    }
    if (address.isAnyLocalAddress()) {
      return "unspecified";
    }
    if (address.isLoopbackAddress()) {
      return "loopback";
    }
    if (address.isLinkLocalAddress()) {
      return "link-local";
    }
    if (address.isSiteLocalAddress() || (b[0] & 0xfe) == 0xfc) {
      return "private";
    }
    if (address.isMulticastAddress()) {
      return "multicast";
    }
    boolean zero96 = true;
    for (int i = 0; i < 12; i++) {
      zero96 &= b[i] == 0;
    }
    if (zero96) { // IPv4-compatible ::a.b.c.d (deprecated): refused whatever it embeds
      return "reserved";
    }
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b) {
      boolean wellKnown = true; // NAT64 64:ff9b::/96 embeds the IPv4 destination in the last 4
      for (int i = 4; i < 12; i++) {
        wellKnown &= b[i] == 0;
      }
      if (wellKnown) {
        return v4Kind(new byte[] {b[12], b[13], b[14], b[15]});
      }
    }
    if (b[0] == 0x20 && b[1] == 0x02) { // 6to4 2002:V4ADDR::/48
      return v4Kind(new byte[] {b[2], b[3], b[4], b[5]});
    }
    return null;
  }

  private static String v4Kind(byte[] b) {
    int a0 = b[0] & 0xff;
    int a1 = b[1] & 0xff;
    if (a0 == 0) {
      return "unspecified";
    }
    if (a0 == 127) {
      return "loopback";
    }
    if (a0 == 169 && a1 == 254) {
      return "link-local";
    }
    if (a0 == 10 || (a0 == 172 && (a1 & 0xf0) == 16) || (a0 == 192 && a1 == 168)) {
      return "private";
    }
    if (a0 == 100 && (a1 & 0xc0) == 64) {
      return "shared";
    }
    if (a0 >= 224 && a0 < 240) {
      return "multicast";
    }
    if (a0 >= 240) {
      return "reserved";
    }
    return null;
  }

  private AddressRule covering(InetAddress address, int port) {
    for (AddressRule r : addresses) {
      if (r.ports.contains(port) && r.covers(address)) {
        return r;
      }
    }
    return null;
  }

  private static String normalize(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }

  private static InetAddress literal(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** @return what is wrong with a normalized name, or null when it is valid */
  private static String nameError(String name) {
    if (name.isEmpty()) {
      return "has an empty host";
    }
    if (name.length() > 253) {
      return "has a name longer than 253 characters";
    }
    String[] labels = name.split("\\.", -1);
    for (String label : labels) {
      if (!LABEL.matcher(label).matches()) {
        return "has a bad DNS label '" + label + "' (1..63 of a-z 0-9 _ and inner -)";
      }
    }
    if (DIGITS.matcher(labels[labels.length - 1]).matches()) {
      return "has a name ending in a numeric label; write IPv4 addresses as four decimal parts";
    }
    return null;
  }

  private static void parse(String field, String entry, List<NameRule> names,
      List<AddressRule> addresses) {
    String quoted = "'" + entry + "' ";
    if (entry.isEmpty()) {
      throw new InvalidSandboxSpecException(field, "is empty");
    }
    for (int i = 0; i < entry.length(); i++) {
      char c = entry.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        throw new InvalidSandboxSpecException(field, quoted
            + "has a space, control or non-ASCII character (write IDNs in their xn-- form)");
      }
    }
    String host;
    String rest; // "" or ":PORTS"
    Integer prefix = null;
    if (entry.startsWith("[")) {
      int close = entry.indexOf(']');
      if (close < 0) {
        throw new InvalidSandboxSpecException(field, quoted + "has no closing ']'");
      }
      host = entry.substring(0, close + 1);
      rest = entry.substring(close + 1);
      if (host.contains("/") || host.contains("%")) {
        throw new InvalidSandboxSpecException(field, quoted
            + "has '/' or '%' inside brackets; write an IPv6 CIDR as [fd00::]/8, without zone");
      }
      if (rest.startsWith("/")) {
        int colon = rest.indexOf(':');
        String bits = colon < 0 ? rest.substring(1) : rest.substring(1, colon);
        prefix = prefix(field, quoted, bits, 128);
        rest = colon < 0 ? "" : rest.substring(colon);
      }
      if (!rest.isEmpty() && !rest.startsWith(":")) {
        throw new InvalidSandboxSpecException(field, quoted
            + "has '" + rest + "' after ']'; expected :PORT or /PREFIX");
      }
    } else {
      int colon = entry.indexOf(':');
      if (colon >= 0 && entry.indexOf(':', colon + 1) >= 0) {
        throw new InvalidSandboxSpecException(field, quoted
            + "has several ':'; write IPv6 addresses in brackets, as [2001:db8::1]:443");
      }
      host = colon < 0 ? entry : entry.substring(0, colon);
      rest = colon < 0 ? "" : entry.substring(colon);
      int slash = host.indexOf('/');
      if (slash >= 0) {
        prefix = prefix(field, quoted, host.substring(slash + 1), 32);
        host = host.substring(0, slash);
      }
    }
    Ports ports = rest.isEmpty() ? Ports.ANY : ports(field, quoted, rest.substring(1));

    InetAddress address = parseLiteral(host);
    if (host.startsWith("[")) {
      if (address == null || address instanceof Inet4Address) {
        throw new InvalidSandboxSpecException(field, quoted
            + "has '" + host + "', which is not an IPv6 address");
      }
    }
    if (address != null) {
      int bits = address.getAddress().length * 8;
      int p = prefix == null ? bits : prefix;
      if (p > bits) {
        throw new InvalidSandboxSpecException(field, quoted
            + "has prefix /" + p + ", longer than " + bits + " bits");
      }
      byte[] network = address.getAddress();
      if (!hostBitsZero(network, p)) {
        throw new InvalidSandboxSpecException(field, quoted
            + "has host bits set after /" + p + "; write the network address");
      }
      addresses.add(new AddressRule(entry, network, p, ports));
      return;
    }
    if (prefix != null) {
      throw new InvalidSandboxSpecException(field, quoted
          + "has a prefix on '" + host + "', which is not an IP address");
    }
    String name = normalize(host);
    boolean wildcard = false;
    if (name.startsWith("*.")) {
      wildcard = true;
      name = name.substring(2);
    }
    if (name.contains("*")) {
      throw new InvalidSandboxSpecException(field, quoted
          + "has a '*' that is not the whole first label, as in *.example.org");
    }
    String error = nameError(name);
    if (error != null) {
      throw new InvalidSandboxSpecException(field, quoted + error);
    }
    names.add(new NameRule(entry, name, wildcard, ports));
  }

  private static int prefix(String field, String quoted, String bits, int max) {
    if (!DIGITS.matcher(bits).matches() || bits.length() > 3
        || Integer.parseInt(bits) > max) {
      throw new InvalidSandboxSpecException(field, quoted
          + "has prefix length '" + bits + "'; expected 0.." + max);
    }
    return Integer.parseInt(bits);
  }

  private static Ports ports(String field, String quoted, String text) {
    int dash = text.indexOf('-');
    int lo = port(field, quoted, dash < 0 ? text : text.substring(0, dash));
    int hi = dash < 0 ? lo : port(field, quoted, text.substring(dash + 1));
    if (lo > hi) {
      throw new InvalidSandboxSpecException(field, quoted
          + "has port range " + lo + "-" + hi + " whose start is after its end");
    }
    return new Ports(lo, hi);
  }

  private static int port(String field, String quoted, String text) {
    if (!DIGITS.matcher(text).matches() || text.length() > 5
        || Integer.parseInt(text) < 1 || Integer.parseInt(text) > 65535) {
      throw new InvalidSandboxSpecException(field, quoted
          + "has port '" + text + "'; expected 1..65535 or a range such as 8000-8999");
    }
    return Integer.parseInt(text);
  }

  private static boolean hostBitsZero(byte[] a, int prefix) {
    for (int bit = prefix; bit < a.length * 8; bit++) {
      if ((a[bit / 8] & (0x80 >>> (bit % 8))) != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Pins names to addresses, as {@code curl --resolve} does: the proxy resolves a pinned name
   * to these addresses instead of asking DNS (tests use it for names of servers on the host's
   * loopback). The allow-list and the rebinding rule still apply to the pinned addresses.
   *
   * @param hosts lower-case or mixed-case names to their addresses; replaces earlier pins
   * @return a policy with the same entries and these pins
   * @throws InvalidSandboxSpecException naming {@code egress.hosts} on a bad name or an empty
   *     address list
   */
  public EgressPolicy withPinnedHosts(java.util.Map<String, List<InetAddress>> hosts) {
    if (hosts == null) {
      throw new InvalidSandboxSpecException("egress.hosts", "is null");
    }
    java.util.Map<String, List<InetAddress>> copy = new java.util.TreeMap<>();
    hosts.forEach((name, addrs) -> {
      String n = name == null ? "" : name.toLowerCase(Locale.ROOT);
      if (!isValidName(n) || addrs == null || addrs.isEmpty() || addrs.stream().anyMatch(java.util.Objects::isNull)) {
        throw new InvalidSandboxSpecException("egress.hosts", "\"" + name + "\" -> " + addrs
            + " is not a host name with at least one address");
      }
      copy.put(n, List.copyOf(addrs));
    });
    return new EgressPolicy(entries, java.util.Collections.unmodifiableMap(copy));
  }

  /** @return the pinned names (lower case) and their addresses; empty unless pinned */
  public java.util.Map<String, List<InetAddress>> pinnedHosts() {
    return pinned;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EgressPolicy p && p.entries.equals(entries) && p.pinned.equals(pinned);
  }

  @Override
  public int hashCode() {
    return entries.hashCode() * 31 + pinned.hashCode();
  }

  @Override
  public String toString() {
    return isDenyAll() ? "EgressPolicy[deny all]" : "EgressPolicy" + entries;
  }

  /**
   * What the policy decided for one destination.
   *
   * @param allowed whether the destination may be reached
   * @param reason why: {@code "allowed by ENTRY"} when allowed, else the denial reason (see
   *     {@link EgressEvent#reason()})
   * @param address the refused address as text ({@link InetAddress#getHostAddress()}) when
   *     the denial was about an address, else null
   */
  public record Decision(boolean allowed, String reason, String address) {
    /** @throws NullPointerException when {@code reason} is null */
    public Decision {
      Objects.requireNonNull(reason, "reason");
    }

    static Decision allow(String reason) {
      return new Decision(true, reason, null);
    }

    static Decision deny(String reason, String address) {
      return new Decision(false, reason, address);
    }
  }

  private record Ports(int lo, int hi) {
    static final Ports ANY = new Ports(1, 65535);

    boolean contains(int port) {
      return port >= lo && port <= hi;
    }
  }

  private record NameRule(String entry, String name, boolean wildcard, Ports ports) {
    boolean matches(String host) {
      return wildcard
          ? host.length() > name.length() + 1 && host.endsWith(name)
              && host.charAt(host.length() - name.length() - 1) == '.'
          : host.equals(name);
    }
  }

  private record AddressRule(String entry, byte[] network, int prefix, Ports ports) {
    boolean covers(InetAddress address) {
      byte[] a = address.getAddress();
      if (a.length != network.length) {
        return false;
      }
      for (int bit = 0; bit < prefix; bit++) {
        int mask = 0x80 >>> (bit % 8);
        if ((a[bit / 8] & mask) != (network[bit / 8] & mask)) {
          return false;
        }
      }
      return true;
    }
  }
}
