package dev.boxkit.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class EgressPolicyProperties {

  @Provide
  Arbitrary<String> label() {
    return Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789-")
        .ofMinLength(1).ofMaxLength(12)
        .filter(s -> !s.startsWith("-") && !s.endsWith("-"));
  }

  @Provide
  Arbitrary<String> domain() {
    return label().list().ofMinSize(1).ofMaxSize(3).map(l -> String.join(".", l) + ".org");
  }

  @Provide
  Arbitrary<String> subdomainPrefix() {
    return label().list().ofMinSize(1).ofMaxSize(5).map(l -> String.join(".", l));
  }

  @Property
  void namesUnderAWildcardMatchAtAnyDepthTheApexNever(@ForAll("domain") String domain,
      @ForAll("subdomainPrefix") String sub, @ForAll boolean upper, @ForAll boolean dot) {
    EgressPolicy p = EgressPolicy.allow("*." + domain);
    String name = sub + "." + domain;
    String asSent = (upper ? name.toUpperCase(Locale.ROOT) : name) + (dot ? "." : "");
    assertTrue(p.checkName(asSent, 443).allowed(), asSent);
    assertFalse(p.checkName(domain, 443).allowed());
    assertFalse(p.checkName(sub + domain, 443).allowed(), "no label boundary");
    assertFalse(p.checkName(name + ".evil", 443).allowed());
  }

  @Property
  void portRangesIncludeExactlyTheirPorts(@ForAll @IntRange(min = 1, max = 65535) int a,
      @ForAll @IntRange(min = 1, max = 65535) int b,
      @ForAll @IntRange(min = 1, max = 65535) int port) {
    int lo = Math.min(a, b);
    int hi = Math.max(a, b);
    EgressPolicy p = EgressPolicy.allow("x.org:" + lo + "-" + hi);
    assertEquals(port >= lo && port <= hi, p.checkName("x.org", port).allowed());
  }

  private static byte[] masked(byte[] addr, int prefix) {
    byte[] n = addr.clone();
    for (int bit = prefix; bit < n.length * 8; bit++) {
      n[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
    }
    return n;
  }

  private static String text(byte[] a) throws UnknownHostException {
    String s = InetAddress.getByAddress(a).getHostAddress();
    return a.length == 4 ? s : "[" + s + "]";
  }

  @Property
  void ipv4InsideACidrIsCoveredOutsideIsNot(@ForAll @Size(4) byte[] net,
      @ForAll @IntRange(min = 0, max = 32) int prefix, @ForAll @Size(4) byte[] host,
      @ForAll @IntRange(min = 0, max = 31) int flip) throws UnknownHostException {
    cidr(net, prefix, host, flip);
  }

  @Property
  void ipv6InsideACidrIsCoveredOutsideIsNot(@ForAll @Size(16) byte[] net,
      @ForAll @IntRange(min = 0, max = 128) int prefix, @ForAll @Size(16) byte[] host,
      @ForAll @IntRange(min = 0, max = 127) int flip) throws UnknownHostException {
    // Java turns ::ffff:a.b.c.d into an IPv4 address; such blocks are not IPv6 ones.
    Assume.that(!isMapped(net));
    cidr(net, prefix, host, flip);
  }

  private static boolean isMapped(byte[] a) {
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
  }

  private static void cidr(byte[] netIn, int prefix, byte[] hostBits, int flip)
      throws UnknownHostException {
    byte[] net = masked(netIn, prefix);
    EgressPolicy p = EgressPolicy.allow(text(net) + "/" + prefix + ":443");
    byte[] inside = net.clone();
    for (int bit = prefix; bit < inside.length * 8; bit++) {
      inside[bit / 8] |= (byte) (hostBits[bit / 8] & (0x80 >>> (bit % 8)));
    }
    Assume.that(inside.length == 4 || !isMapped(inside));
    InetAddress in = InetAddress.getByAddress(inside);
    assertTrue(p.checkAddress(in, 443).allowed(), in + " in " + p);
    assertFalse(p.checkAddress(in, 444).allowed());
    if (prefix > 0) {
      int bit = flip % prefix; // a network bit: the address leaves the block
      byte[] outside = inside.clone();
      outside[bit / 8] ^= (byte) (0x80 >>> (bit % 8));
      Assume.that(outside.length == 4 || !isMapped(outside));
      assertFalse(p.checkAddress(InetAddress.getByAddress(outside), 443).allowed());
    }
  }

  @Provide
  Arbitrary<InetAddress> nonPublic() {
    return Arbitraries.of(List.of("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
        "169.254.0.0/16", "100.64.0.0/10", "0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4"))
        .flatMap(block -> Arbitraries.bytes().array(byte[].class).ofSize(4).map(random -> {
          String[] parts = block.split("/");
          int prefix = Integer.parseInt(parts[1]);
          byte[] net = EgressPolicy.parseLiteral(parts[0]).getAddress();
          for (int bit = prefix; bit < 32; bit++) {
            net[bit / 8] |= (byte) (random[bit / 8] & (0x80 >>> (bit % 8)));
          }
          try {
            return InetAddress.getByAddress(net);
          } catch (UnknownHostException e) {
            throw new AssertionError(e);
          }
        }));
  }

  @Property
  void allowedNamesNeverReachNonPublicAddressesUnlessListed(
      @ForAll("nonPublic") InetAddress address, @ForAll @IntRange(min = 1, max = 65535) int port) {
    EgressPolicy p = EgressPolicy.allow("*.example.org");
    EgressPolicy.Decision d = p.check("a.example.org", port, List.of(address));
    assertFalse(d.allowed(), address.toString());
    assertEquals(address.getHostAddress(), d.address());
    EgressPolicy listed =
        EgressPolicy.allow("*.example.org", address.getHostAddress() + ":" + port);
    assertTrue(listed.check("a.example.org", port, List.of(address)).allowed());
    int other = port == 65535 ? 1 : port + 1;
    assertFalse(listed.check("a.example.org", other, List.of(address)).allowed());
  }

  @Property
  void anyTextEitherParsesOrNamesItsField(@ForAll String entry) {
    try {
      EgressPolicy.allow(entry);
    } catch (InvalidSandboxSpecException e) {
      assertEquals("egress[0]", e.field());
    }
  }

  @Property
  void entryShapedTextEitherParsesOrNamesItsField(
      @ForAll("entryShaped") String entry) {
    anyTextEitherParsesOrNamesItsField(entry);
  }

  @Provide
  Arbitrary<String> entryShaped() {
    return Arbitraries.strings().withChars("*.:[]/-0123456789abcdef").ofMaxLength(24);
  }
}
