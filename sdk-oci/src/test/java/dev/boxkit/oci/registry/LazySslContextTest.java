package dev.boxkit.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.boxkit.testing.TestRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

/** The real TLS context is created on the first https connection, not with the HTTP client. */
class LazySslContextTest {
  @Test
  void createsTheRealContextOnTheFirstHttpsConnectionOnly() throws Exception {
    try (TestRegistry registry = TestRegistry.builder().tls().start()) {
      AtomicInteger created = new AtomicInteger();
      SSLContext lazy = LazySslContext.of(() -> {
        created.incrementAndGet();
        return TlsTrust.withExtraCertificates(registry.certificate());
      });
      HttpClient http = HttpClient.newBuilder().sslContext(lazy)
          .sslParameters(LazySslContext.deferredParameters()).build();
      assertEquals(0, created.get(), "building the client must not create the TLS context");

      URI v2 = URI.create("https://" + registry.host() + "/v2/");
      HttpResponse<String> first = http.send(HttpRequest.newBuilder(v2).build(),
          HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> second = http.send(HttpRequest.newBuilder(v2).build(),
          HttpResponse.BodyHandlers.ofString());

      assertEquals(200, first.statusCode());
      assertEquals(200, second.statusCode());
      assertEquals(1, created.get());
    }
  }
}
