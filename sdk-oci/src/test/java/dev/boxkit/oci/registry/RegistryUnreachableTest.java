package dev.boxkit.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.ImageReference;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A registry nobody answers for: the error names host and port, never "null" or status 0. */
class RegistryUnreachableTest {
  @TempDir Path tmp;

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
  void blobDownloadOnAClosedPortNamesHostAndPort() throws IOException {
    int port = closedPort();
    String host = "127.0.0.1:" + port;
    dev.boxkit.oci.Digest d = dev.boxkit.oci.Digest.sha256("x".getBytes());
    RegistryUnreachableException e = assertThrows(RegistryUnreachableException.class,
        () -> client(host).fetchBlob(ImageReference.parse(host + "/app"), d, 1, tmp.resolve("blob")));
    assertEquals(RegistryUnreachableException.Reason.CONNECTION_REFUSED, e.reason());
    assertTrue(e.getMessage().contains("connection refused: 127.0.0.1:" + port), e.getMessage());
  }

  @Test
  void connectTimeoutIsNamedOnTheApiAndTheDownloadPath() throws IOException {
    // A listener that never accepts, its backlog filled: Linux drops further SYNs, so the next
    // connect times out instead of being refused.
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        Socket a = new Socket(); Socket b = new Socket()) {
      InetSocketAddress at = new InetSocketAddress("127.0.0.1", s.getLocalPort());
      a.connect(at, 1000);
      b.connect(at, 1000);
      String host = "127.0.0.1:" + s.getLocalPort();
      RegistryClient c = RegistryClient.builder().insecureRegistry(host).connectTimeout(Duration.ofMillis(200))
          .retryPolicy(RetryPolicy.of(2, Duration.ofMillis(10))).credentials(CredentialsProvider.anonymous()).build();
      RegistryUnreachableException api = assertThrows(RegistryUnreachableException.class,
          () -> c.fetchManifest(ImageReference.parse(host + "/app:1")));
      assertEquals(RegistryUnreachableException.Reason.CONNECT_TIMEOUT, api.reason(), api.getMessage());
      dev.boxkit.oci.Digest d = dev.boxkit.oci.Digest.sha256("x".getBytes());
      RegistryUnreachableException download = assertThrows(RegistryUnreachableException.class,
          () -> c.fetchBlob(ImageReference.parse(host + "/app"), d, 1, tmp.resolve("blob")));
      assertEquals(RegistryUnreachableException.Reason.CONNECT_TIMEOUT, download.reason(), download.getMessage());
      assertTrue(download.getMessage().contains(host), download.getMessage());
      assertFalse(Files.exists(tmp.resolve("blob")), "nothing written for a failed download");
    }
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
