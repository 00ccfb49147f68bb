package dev.boxkit.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.Platform;
import dev.boxkit.testing.TestRegistry;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** HTTPS with a user-supplied CA; an untrusted certificate fails at once, without retries. */
class RegistryTlsTest {
  @Test
  void trustsAUserSuppliedCaAndRefusesWithoutIt() {
    try (TestRegistry registry = TestRegistry.builder().tls().start()) {
      ImageReference r = ImageReference.of(registry.host(), "tls/app", "1");
      TestImage img = TestImage.of(Platform.LINUX_AMD64, Map.of("f", "tls"));

      RegistryClient trusting = RegistryClient.builder().caCertificates(registry.certificate())
          .credentials(CredentialsProvider.anonymous()).build();
      RegistryClientTest.pushAll(trusting, r, img);
      assertEquals(img.manifestDigest(), trusting.fetchManifest(r).digest());
      // Blob downloads take another HTTP path (HttpURLConnection): the same trust applies.
      for (Map.Entry<dev.boxkit.oci.Digest, byte[]> blob : img.blobs().entrySet()) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(blob.getValue(), trusting.fetchBlobBytes(
            r, blob.getKey(), blob.getValue().length, 1 << 20));
      }

      RegistryClient plain = RegistryClient.builder().credentials(CredentialsProvider.anonymous())
          .retryPolicy(RetryPolicy.of(3, Duration.ofSeconds(30))).build();
      RegistryException e = assertThrows(RegistryException.class, () -> plain.fetchManifest(r));
      assertEquals(SSLHandshakeException.class, e.getCause().getClass());
      assertEquals(0, e.status());
      dev.boxkit.oci.Digest some = img.blobs().keySet().iterator().next();
      RegistryException blob = assertThrows(RegistryException.class,
          () -> plain.fetchBlobBytes(r, some, img.blobs().get(some).length, 1 << 20));
      assertEquals(SSLHandshakeException.class, blob.getCause().getClass());
    }
  }
}
