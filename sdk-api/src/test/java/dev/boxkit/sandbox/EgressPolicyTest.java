package dev.boxkit.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EgressPolicyTest {

  private static InetAddress ip(String literal) {
    InetAddress a = EgressPolicy.parseLiteral(literal);
    if (a == null) {
      throw new AssertionError("not a literal: " + literal);
    }
    return a;
  }

  private static List<InetAddress> ips(String... literals) {
    return Arrays.stream(literals).map(EgressPolicyTest::ip).toList();
  }

  @Test
  void denyAllAndEmptyAllowRefuseEverything() {
    assertTrue(EgressPolicy.denyAll().isDenyAll());
    assertEquals(List.of(), EgressPolicy.denyAll().entries());
    assertEquals(EgressPolicy.denyAll(), EgressPolicy.allow());
    assertEquals(EgressPolicy.denyAll(), EgressPolicy.allow(List.of()));
    EgressPolicy.Decision d = EgressPolicy.denyAll().checkName("example.org", 443);
    assertFalse(d.allowed());
    assertEquals("not on the allow-list", d.reason());
    assertFalse(EgressPolicy.denyAll().checkAddress(ip("1.1.1.1"), 53).allowed());
  }

  @ParameterizedTest
  @ValueSource(strings = {"api.example.org", "API.Example.ORG.", "api.example.org:443",
      "api.example.org:8000-8999", "*.example.org", "*.example.org:1-65535", "localhost",
      "_acme.example.org", "xn--bcher-kva.example", "203.0.113.7", "203.0.113.7:80",
      "10.0.0.0/8", "10.0.0.0/8:443", "0.0.0.0/0", "[2001:db8::7]", "[2001:db8::7]:443",
      "[fd00::]/8", "[fd00::]/8:22-23", "[::]/0", "127.0.0.1/32:8080", "a-b.c"})
  void goodEntriesParse(String entry) {
    EgressPolicy p = EgressPolicy.allow(entry);
    assertEquals(List.of(entry), p.entries(), "entries are kept as given");
    assertFalse(p.isDenyAll());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "''|is empty",
      "' a.org'|space",
      "bücher.example|xn--",
      "a.org:0|port '0'",
      "a.org:65536|port '65536'",
      "a.org:|port ''",
      "a.org:http|port 'http'",
      "a.org:9-8|start is after its end",
      "a.org:1-|port ''",
      "*|'*'",
      "*.|'*'",
      "a.*.org|'*'",
      "*x.org|'*'",
      "*.*.org|'*'",
      "-a.org|bad DNS label",
      "a-.org|bad DNS label",
      "a..org|bad DNS label",
      "1.2.3|numeric label",
      "010.0.0.1|numeric label",
      "256.1.1.1|numeric label",
      "10.0.0.1/8|host bits",
      "10.0.0.0/33|prefix length '33'",
      "10.0.0.0/x|prefix length 'x'",
      "a.org/8|not an IP address",
      "2001:db8::1|brackets",
      "[2001:db8::1|closing",
      "[fd00::/8]|[fd00::]/8",
      "[fe80::1%eth0]|without zone",
      "[fd00::1]/8|host bits",
      "[fd00::]/129|prefix length '129'",
      "[1.2.3.4]|not an IPv6 address",
      "[example.org]|not an IPv6 address",
      "[::1]x|after ']'",
  })
  void badEntriesNameTheFieldAndTheProblem(String entry, String expected) {
    InvalidSandboxSpecException e = assertThrows(InvalidSandboxSpecException.class,
        () -> EgressPolicy.allow("ok.example", entry));
    assertEquals("egress[1]", e.field());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void nullsAreNamed() {
    assertEquals("egress", assertThrows(InvalidSandboxSpecException.class,
        () -> EgressPolicy.allow((String[]) null)).field());
    assertEquals("egress", assertThrows(InvalidSandboxSpecException.class,
        () -> EgressPolicy.allow((List<String>) null)).field());
    assertEquals("egress[2]", assertThrows(InvalidSandboxSpecException.class,
        () -> EgressPolicy.allow("a.org", "b.org", null)).field());
  }

  @Test
  void namesMatchCaseInsensitivelyIgnoringTrailingDot() {
    EgressPolicy p = EgressPolicy.allow("Api.Example.org.");
    assertTrue(p.checkName("api.example.org", 443).allowed());
    assertTrue(p.checkName("API.EXAMPLE.ORG.", 443).allowed());
    assertFalse(p.checkName("xapi.example.org", 443).allowed());
    assertFalse(p.checkName("example.org", 443).allowed());
    assertEquals("allowed by Api.Example.org.", p.checkName("api.example.org", 1).reason());
  }

  @Test
  void wildcardsMatchEveryDepthButNotTheApex() {
    EgressPolicy p = EgressPolicy.allow("*.example.org");
    assertTrue(p.checkName("a.example.org", 80).allowed());
    assertTrue(p.checkName("a.b.c.example.org", 80).allowed());
    assertTrue(p.checkName("A.Example.Org.", 80).allowed());
    assertFalse(p.checkName("example.org", 80).allowed(), "apex");
    assertFalse(p.checkName("badexample.org", 80).allowed(), "label boundary");
    assertFalse(p.checkName("example.org.evil.com", 80).allowed());
    assertFalse(p.checkName(".example.org", 80).allowed());
  }

  @Test
  void portsAndRanges() {
    EgressPolicy p = EgressPolicy.allow("a.org:443", "b.org:8000-8002", "c.org");
    assertTrue(p.checkName("a.org", 443).allowed());
    EgressPolicy.Decision d = p.checkName("a.org", 80);
    assertFalse(d.allowed());
    assertEquals("port 80 not on the allow-list", d.reason());
    assertFalse(p.checkName("b.org", 7999).allowed());
    assertTrue(p.checkName("b.org", 8000).allowed());
    assertTrue(p.checkName("b.org", 8002).allowed());
    assertFalse(p.checkName("b.org", 8003).allowed());
    assertTrue(p.checkName("c.org", 1).allowed());
    assertTrue(p.checkName("c.org", 65535).allowed());
    assertEquals("not on the allow-list", p.checkName("d.org", 443).reason());
  }

  @Test
  void cidrV4AndV6() {
    EgressPolicy p = EgressPolicy.allow("10.0.0.0/8:443", "[fd00::]/8", "203.0.113.7");
    assertTrue(p.checkAddress(ip("10.255.1.2"), 443).allowed());
    assertFalse(p.checkAddress(ip("10.255.1.2"), 80).allowed());
    assertFalse(p.checkAddress(ip("11.0.0.1"), 443).allowed());
    assertTrue(p.checkAddress(ip("[fdab::1]"), 22).allowed());
    assertTrue(p.checkAddress(ip("fd00::1"), 22).allowed());
    assertFalse(p.checkAddress(ip("[fe00::1]"), 22).allowed());
    assertTrue(p.checkAddress(ip("203.0.113.7"), 1).allowed());
    assertFalse(p.checkAddress(ip("203.0.113.8"), 1).allowed());
    assertTrue(EgressPolicy.allow("0.0.0.0/0").checkAddress(ip("8.8.8.8"), 53).allowed());
    assertFalse(EgressPolicy.allow("0.0.0.0/0").checkAddress(ip("[2001:db8::1]"), 53).allowed(),
        "a v4 block never covers v6");
  }

  @Test
  void literalsNeedAnAddressEntryNeverAName() {
    EgressPolicy p = EgressPolicy.allow("*.example.org", "localhost", "1.2.3.4:443");
    EgressPolicy.Decision d = p.checkAddress(ip("127.0.0.1"), 80);
    assertFalse(d.allowed());
    assertEquals("IP literal not on the allow-list", d.reason());
    assertEquals("127.0.0.1", d.address());
    assertFalse(p.checkAddress(ip("1.2.3.4"), 80).allowed(), "port");
    assertTrue(p.checkAddress(ip("1.2.3.4"), 443).allowed());
    assertFalse(p.checkName("1.2.3.4", 443).allowed(), "literal text never matches names");
  }

  @Test
  void allowedNamesResolvingToPrivateAddressesAreRefused() {
    EgressPolicy p = EgressPolicy.allow("*.example.org");
    assertTrue(p.check("a.example.org", 443, ips("93.184.215.14", "2606:2800:21f::1")).allowed());
    String[][] cases = {
        {"127.0.0.1", "loopback"}, {"127.9.9.9", "loopback"}, {"::1", "loopback"},
        {"169.254.169.254", "link-local"}, {"fe80::1", "link-local"},
        {"10.1.2.3", "private"}, {"172.16.0.1", "private"}, {"172.31.255.255", "private"},
        {"192.168.1.1", "private"}, {"fc00::1", "private"}, {"fd12::1", "private"},
        {"fec0::1", "private"}, {"100.64.0.1", "shared"}, {"100.127.255.255", "shared"},
        {"0.0.0.0", "unspecified"}, {"::", "unspecified"}, {"224.0.0.1", "multicast"},
        {"ff02::1", "multicast"}, {"255.255.255.255", "reserved"},
        {"::ffff:10.0.0.1", "private"}, {"::10.0.0.1", "reserved"},
        {"64:ff9b::7f00:1", "loopback"}, {"2002:a00:1::", "private"},
    };
    for (String[] c : cases) {
      EgressPolicy.Decision d = p.check("a.example.org", 443, ips("93.184.215.14", c[0]));
      assertFalse(d.allowed(), c[0]);
      assertTrue(d.reason().startsWith("resolves to a " + c[1] + " address "), d.reason());
      assertEquals(ip(c[0]).getHostAddress(), d.address());
    }
    assertEquals("resolves to a private address 10.1.2.3",
        p.check("a.example.org", 443, ips("10.1.2.3")).reason());
    for (String pub : List.of("172.15.0.1", "172.32.0.1", "100.63.0.1", "100.128.0.1",
        "11.0.0.1", "192.169.0.1", "2001:db8::1", "64:ff9b::808:808", "2002:808:808::")) {
      assertNull(EgressPolicy.nonPublicKind(ip(pub)), pub);
    }
    assertEquals("resolves to no address", p.check("a.example.org", 443, List.of()).reason());
    assertEquals("not on the allow-list", p.check("b.org", 443, ips("1.1.1.1")).reason());
  }

  @Test
  void addressEntriesCoverPrivateAnswersOnlyOnTheirPorts() {
    EgressPolicy p = EgressPolicy.allow("db.internal", "10.0.0.0/8:5432");
    assertTrue(p.check("db.internal", 5432, ips("10.1.2.3")).allowed());
    EgressPolicy.Decision d = p.check("db.internal", 22, ips("10.1.2.3"));
    assertFalse(d.allowed());
    assertEquals("resolves to a private address 10.1.2.3", d.reason());
    assertFalse(p.check("db.internal", 5432, ips("10.1.2.3", "127.0.0.1")).allowed(),
        "every address must pass");
  }

  @Test
  void literalParsing() {
    assertNull(EgressPolicy.parseLiteral("example.org"));
    assertNull(EgressPolicy.parseLiteral("1.2.3"));
    assertNull(EgressPolicy.parseLiteral("01.2.3.4"));
    assertNull(EgressPolicy.parseLiteral("1.2.3.256"));
    assertNull(EgressPolicy.parseLiteral("[1::2"));
    assertNull(EgressPolicy.parseLiteral("fe80::1%eth0"));
    assertNull(EgressPolicy.parseLiteral("2130706433"));
    assertEquals("1.2.3.4", ip("1.2.3.4").getHostAddress());
    assertEquals(ip("::1"), ip("[::1]"));
    assertTrue(EgressPolicy.isValidName("Example.ORG."));
    assertFalse(EgressPolicy.isValidName("1.2.3.4"));
    assertFalse(EgressPolicy.isValidName("a b"));
  }

  @Test
  void valueSemantics() {
    assertEquals(EgressPolicy.allow("a.org", "b.org"), EgressPolicy.allow(List.of("a.org", "b.org")));
    assertEquals(EgressPolicy.allow("a.org").hashCode(), EgressPolicy.allow("a.org").hashCode());
    assertFalse(EgressPolicy.allow("a.org").equals(EgressPolicy.allow("A.org")));
    assertTrue(EgressPolicy.allow("a.org").toString().contains("a.org"));
    String[] arr = {"a.org"};
    EgressPolicy p = EgressPolicy.allow(arr);
    arr[0] = "b.org";
    assertEquals(List.of("a.org"), p.entries(), "copied");
    assertThrows(UnsupportedOperationException.class, () -> p.entries().add("c.org"));
  }
}
