package dev.boxkit.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class DigestTest {
  private static final String EMPTY =
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  @Test
  void digestsEmptyInputAsSpecified() throws Exception {
    assertEquals(EMPTY, Digest.sha256(new byte[0]).toString());
    assertEquals(EMPTY, Digest.sha256(new ByteArrayInputStream(new byte[0])).toString());
  }

  @Test
  void rejectsMalformedDigestsNamingThem() {
    for (String bad : new String[] {"", "sha256", "sha256:", "md5:abcd", "sha256:XYZ",
        EMPTY.toUpperCase(), EMPTY + "0", "sha512:" + EMPTY.substring(7)}) {
      InvalidInputException e = assertThrows(InvalidInputException.class, () -> Digest.parse(bad));
      assertEquals("digest", e.field());
      assertEquals(bad, e.value());
    }
    assertThrows(InvalidInputException.class, () -> Digest.parse(null));
  }

  @Property
  void parseRoundTrips(@ForAll byte[] content) {
    Digest d = Digest.of(Digest.SHA512, content);
    assertEquals(d, Digest.parse(d.toString()));
    Digest s = Digest.sha256(content);
    assertEquals(s, Digest.parse(s.toString()));
  }
}
