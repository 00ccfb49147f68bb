package dev.boxkit.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class ImageReferenceTest {
  private static final String HEX = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  @Test
  void appliesDockerDefaults() {
    ImageReference r = ImageReference.parse("alpine");
    assertEquals("docker.io", r.registry());
    assertEquals("library/alpine", r.repository());
    assertEquals("latest", r.tag());
    assertNull(r.digest());
    assertEquals("docker.io/library/alpine:latest", r.toString());
    assertEquals("alpine:latest", r.familiarString());
    assertEquals("registry-1.docker.io", r.apiHost());
    assertEquals(r, ImageReference.parse("index.docker.io/library/alpine:latest"));
    assertEquals(r, ImageReference.parse("docker.io/alpine"));
    assertEquals(r, ImageReference.of("docker.io", "alpine", "latest"));
  }

  @Test
  void recognisesRegistriesAsDockerDoes() {
    ImageReference r = ImageReference.parse("localhost:5000/team/app:1.0");
    assertEquals("localhost:5000", r.registry());
    assertEquals("team/app", r.repository());
    assertEquals("1.0", r.tag());
    assertEquals("localhost:5000", r.apiHost());
    assertEquals("localhost:5000/team/app:1.0", r.familiarString());
    assertEquals("localhost", ImageReference.parse("localhost/app").registry());
    assertEquals("ghcr.io", ImageReference.parse("ghcr.io/org/app").registry());
    ImageReference user = ImageReference.parse("someuser/app:v2");
    assertEquals("docker.io", user.registry());
    assertEquals("someuser/app", user.repository());
    assertEquals("someuser/app:v2", user.familiarString());
    assertEquals("[::1]:5000", ImageReference.parse("[::1]:5000/app:x").registry());
  }

  @Test
  void keepsDigestAndOptionalTag() {
    ImageReference pinned = ImageReference.parse("ghcr.io/org/app@sha256:" + HEX);
    assertNull(pinned.tag());
    assertEquals("sha256:" + HEX, pinned.manifestReference());
    ImageReference both = ImageReference.parse("app:1.0@sha256:" + HEX);
    assertEquals("1.0", both.tag());
    assertEquals(Digest.parse("sha256:" + HEX), both.digest());
    assertEquals("docker.io/library/app:1.0@sha256:" + HEX, both.toString());
    assertEquals("2", both.withTag("2").tag());
    assertNull(both.withTag("2").digest());
    assertEquals(both, both.withTag("1.0").withDigest(both.digest()));
  }

  @Test
  void rejectsBadInputNamingTheField() {
    expect("reference", "");
    expect("reference", null);
    expect("repository", "Alpine");
    expect("repository", "ghcr.io/Org/app");
    expect("repository", "a//b");
    expect("repository", "app-");
    expect("repository", "ghcr.io/");
    expect("tag", "app:");
    expect("tag", "app:-x");
    expect("tag", "app:" + "t".repeat(129));
    expect("digest", "app@sha256:abc");
    expect("registry", "bad_host:5000/app");
    expect("registry", "host:port/app");
    expect("repository", "docker.io/" + "a".repeat(256));
    assertEquals("tag", assertThrows(InvalidInputException.class,
        () -> ImageReference.parse("alpine").withTag("bad tag")).field());
    assertEquals("registry", assertThrows(InvalidInputException.class,
        () -> ImageReference.of("myhost", "app", "1")).field());
    assertEquals("reference", assertThrows(InvalidInputException.class,
        () -> new ImageReference("ghcr.io", "app", null, null)).field());
  }

  private static void expect(String field, String text) {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> ImageReference.parse(text), text);
    assertEquals(field, e.field(), e.getMessage());
  }

  @Property(tries = 300)
  void parseToStringRoundTrips(@ForAll("references") String text) {
    ImageReference r = ImageReference.parse(text);
    assertEquals(r, ImageReference.parse(r.toString()));
    assertEquals(r, ImageReference.parse(r.familiarString()));
    assertEquals(r.toString(), ImageReference.parse(r.toString()).toString());
  }

  @Provide
  Arbitrary<String> references() {
    Arbitrary<String> alnum = Arbitraries.strings().withCharRange('a', 'z').numeric()
        .ofMinLength(1).ofMaxLength(6);
    Arbitrary<String> sep = Arbitraries.of(".", "_", "__", "-", "--");
    Arbitrary<String> component = Combinators.combine(alnum, sep, alnum, Arbitraries.of(true, false))
        .as((a, s, b, two) -> two ? a + s + b : a);
    Arbitrary<String> repo = component.list().ofMinSize(1).ofMaxSize(3)
        .map(l -> String.join("/", l));
    Arbitrary<String> registry = Arbitraries.of("", "docker.io/", "index.docker.io/", "ghcr.io/",
        "localhost/", "localhost:5000/", "registry.example.com:443/", "10.0.0.1:5000/");
    Arbitrary<String> tag = Arbitraries.strings().withCharRange('a', 'z').numeric()
        .withChars('_', '.', '-').ofMinLength(0).ofMaxLength(20)
        .map(t -> t.isEmpty() ? "" : ":x" + t);
    Arbitrary<String> digest = Arbitraries.of("", "@sha256:" + HEX);
    return Combinators.combine(registry, repo, tag, digest).as((g, r, t, d) -> g + r + t + d);
  }
}
