package dev.boxkit.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.ImageReference;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A registry nobody answers for: the error names host and port, never "null" or status 0. */
class RegistryUnreachableTest {
  private static RegistryClient client(String insecureHost) {
    return RegistryClient.builder().insecureRegistry(insecureHost)
        .retryPolicy(RetryPolicy.of(2, Duration.ofMillis(10)))
        .credentials(CredentialsProvider.anonymous()).build();
  }

  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort(); // closed again: nothing listens there
    }
  }

  @Test
  void connectionRefusedNamesHostAndPort() throws IOException {
    int port = closedPort();
    String host = "127.0.0.1:" + port;
    RegistryUnreachableException e = assertThrows(RegistryUnreachableException.class,
        () -> client(host).fetchManifest(ImageReference.parse(host + "/app:1")));
    assertTrue(e.getMessage().contains("connection refused: 127.0.0.1:" + port), e.getMessage());
    assertTrue(e.getMessage().startsWith(host + "/app:1"), e.getMessage());
    assertEquals(RegistryUnreachableException.Reason.CONNECTION_REFUSED, e.reason());
    assertEquals("127.0.0.1", e.host());
    assertEquals(port, e.port());
    assertTrue(!e.getMessage().contains("null") && !e.getMessage().contains("HTTP 0"), e.getMessage());
  }

  @Test
  void connectionRefusedOverHttpsToo() throws IOException {
    int port = closedPort();
    RegistryUnreachableException e = assertThrows(RegistryUnreachableException.class,
        () -> RegistryClient.builder().retryPolicy(RetryPolicy.NONE)
            .credentials(CredentialsProvider.anonymous()).build()
            .checkBlob(ImageReference.parse("127.0.0.1:" + port + "/app"),
                dev.boxkit.oci.Digest.sha256("x".getBytes())));
    assertTrue(e.getMessage().contains("connection refused: 127.0.0.1:" + port), e.getMessage());
  }

  @Test
  void unknownHostNamesTheHost() {
    String host = "no-such-registry.invalid:5000";
    RegistryUnreachableException e = assertThrows(RegistryUnreachableException.class,
        () -> client(host).fetchManifest(ImageReference.parse(host + "/app:1")));
    assertTrue(e.getMessage().contains("unknown host no-such-registry.invalid"), e.getMessage());
    assertEquals(RegistryUnreachableException.Reason.UNKNOWN_HOST, e.reason());
    assertEquals(5000, e.port());
  }
}
