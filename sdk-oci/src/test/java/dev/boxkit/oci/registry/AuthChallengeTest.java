package dev.boxkit.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuthChallengeTest {
  @Test
  void parsesBearerChallengeWithQuotedCommas() {
    AuthChallenge c = AuthChallenge.parse("Bearer realm=\"https://auth.docker.io/token\","
        + "service=\"registry.docker.io\",scope=\"repository:library/alpine:pull,push\"");
    assertEquals("bearer", c.scheme());
    assertEquals(Map.of("realm", "https://auth.docker.io/token", "service", "registry.docker.io",
        "scope", "repository:library/alpine:pull,push"), c.params());
  }

  @Test
  void parsesBasicAndUnquoted() {
    AuthChallenge c = AuthChallenge.parse("Basic realm=registry");
    assertEquals("basic", c.scheme());
    assertEquals("registry", c.param("realm"));
    assertNull(AuthChallenge.parse(null));
  }

  @Test
  void retryAfterInSecondsOrHttpDate() {
    assertEquals(Duration.ofSeconds(7), HttpTransport.parseRetryAfter("7"));
    assertEquals(Duration.ZERO, HttpTransport.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"));
    assertNull(HttpTransport.parseRetryAfter("soon"));
  }

  @Test
  void rangeHeaderGivesBytesStored() {
    assertEquals(0, BlobUpload.rangeEnd("0-0"));
    assertEquals(4000, BlobUpload.rangeEnd("0-3999"));
    assertEquals(10, BlobUpload.rangeEnd("bytes=0-9"));
  }

  @Test
  void bodyEndingBeforeItsContentLengthFailsInsteadOfEndingQuietly() throws Exception {
    byte[] ten = new byte[10];
    try (var in = new HttpTransport.LengthCheckedInputStream(new java.io.ByteArrayInputStream(ten), 10)) {
      assertEquals(10, in.readAllBytes().length);
    }
    try (var in = new HttpTransport.LengthCheckedInputStream(new java.io.ByteArrayInputStream(ten), 11)) {
      org.junit.jupiter.api.Assertions.assertThrows(java.io.EOFException.class, in::readAllBytes);
    }
  }

  @Test
  void chunkEndsAtTheChunkSizeOrTheBlobsEndWithoutOverflow() {
    assertEquals(3000, BlobUpload.chunkEnd(0, 3000, 10_000));
    assertEquals(10_000, BlobUpload.chunkEnd(9000, 3000, 10_000));
    assertEquals(10_000, BlobUpload.chunkEnd(0, Long.MAX_VALUE, 10_000));
    // Resumed past byte 0 with the default (unbounded) chunk: offset + MAX_VALUE would overflow.
    assertEquals(10_000, BlobUpload.chunkEnd(4000, Long.MAX_VALUE, 10_000));
  }

  @Test
  void errorBodyIsParsed() {
    var errors = HttpTransport.parseErrors(("{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown"
        + " to registry\",\"detail\":{\"digest\":\"sha256:00\"}}]}").getBytes());
    assertEquals(1, errors.size());
    assertEquals("BLOB_UNKNOWN", errors.get(0).code());
    assertEquals("{\"digest\":\"sha256:00\"}", errors.get(0).detail());
    assertEquals(0, HttpTransport.parseErrors("<html>".getBytes()).size());
  }
}
