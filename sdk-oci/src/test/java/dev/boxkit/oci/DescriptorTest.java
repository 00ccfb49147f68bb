package dev.boxkit.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DescriptorTest {
  @Test
  void describesContent() {
    byte[] content = "{}".getBytes(StandardCharsets.UTF_8);
    Descriptor d = Descriptor.of(MediaType.OCI_EMPTY, content);
    assertEquals(2, d.size());
    assertEquals("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        d.digest().toString());
    assertEquals(List.of(), d.urls());
    assertEquals(Map.of(), d.annotations());
    assertNull(d.platform());
  }

  @Test
  void withersReturnNewValues() {
    Descriptor d = Descriptor.of(MediaType.OCI_MANIFEST, new byte[] {1});
    Descriptor a = d.withAnnotation("b", "2").withAnnotation("a", "1").withAnnotation("b", "3");
    assertEquals(List.of("a", "b"), List.copyOf(a.annotations().keySet()));
    assertEquals("3", a.annotation("b"));
    assertEquals(Map.of(), d.annotations());
    assertEquals(Map.of("a", "1"), a.withoutAnnotation("b").annotations());
    assertEquals(Platform.LINUX_ARM64, d.withPlatform(Platform.LINUX_ARM64).platform());
    assertEquals(d, d.withPlatform(Platform.LINUX_ARM64).withPlatform(null));
  }

  @Test
  void rejectsBadInputNamingTheField() {
    Digest dg = Digest.sha256(new byte[0]);
    assertEquals("descriptor.mediaType", assertThrows(InvalidInputException.class,
        () -> Descriptor.of(null, dg, 0)).field());
    assertEquals("descriptor.mediaType", assertThrows(InvalidInputException.class,
        () -> Descriptor.of("not a media type", dg, 0)).field());
    assertEquals("descriptor.digest", assertThrows(InvalidInputException.class,
        () -> Descriptor.of(MediaType.OCI_CONFIG, null, 0)).field());
    assertEquals("descriptor.size", assertThrows(InvalidInputException.class,
        () -> Descriptor.of(MediaType.OCI_CONFIG, dg, -1)).field());
  }
}
