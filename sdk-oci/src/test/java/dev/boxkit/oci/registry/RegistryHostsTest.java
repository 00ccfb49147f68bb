package dev.boxkit.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.MediaType;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RegistryHostsTest {
  @Test
  void dockerHubGoesToItsApiHostOverTls() {
    RegistryHosts hosts = new RegistryHosts(Set.of());
    assertEquals(URI.create("https://registry-1.docker.io"), hosts.base(ImageReference.parse("alpine")));
    assertEquals(URI.create("https://ghcr.io"), hosts.base(ImageReference.parse("ghcr.io/o/a:1")));
  }

  @Test
  void plainHttpOnlyForRegistriesMarkedInsecure() {
    RegistryHosts hosts = new RegistryHosts(Set.of("127.0.0.1:5000", "dev.local"));
    assertEquals(URI.create("http://127.0.0.1:5000"), hosts.base(ImageReference.parse("127.0.0.1:5000/a")));
    assertEquals(URI.create("https://127.0.0.1:5001"), hosts.base(ImageReference.parse("127.0.0.1:5001/a")));
    assertEquals(URI.create("http://dev.local:8080"), hosts.base(ImageReference.parse("dev.local:8080/a")));
    assertEquals(URI.create("http://dev.local"), hosts.base(ImageReference.parse("dev.local/a")));
    assertTrue(hosts.isInsecure("dev.local:443"));
    assertFalse(hosts.isInsecure("127.0.0.1:5001"));
  }

  @Test
  void builderRejectsBadInputAtOnce() {
    RegistryClient.Builder b = RegistryClient.builder();
    assertThrows(InvalidInputException.class, () -> b.insecureRegistry("http://x:5000"));
    assertThrows(InvalidInputException.class, () -> b.connectTimeout(Duration.ZERO));
    assertThrows(InvalidInputException.class, () -> b.chunkSizeBytes(0));
    assertThrows(InvalidInputException.class, () -> b.parallelism(0));
    assertThrows(InvalidInputException.class, () -> new RetryPolicy(0, List.of(), Duration.ZERO));
    assertThrows(InvalidInputException.class, () -> new RetryPolicy(2, List.of(), Duration.ZERO));
    assertThrows(InvalidInputException.class,
        () -> RetryPolicy.of(2, Duration.ofSeconds(-1)));
  }

  @Test
  void defaultRetryPolicyIsThreeTriesOneThenThreeSeconds() {
    assertEquals(3, RetryPolicy.DEFAULT.maxAttempts());
    assertEquals(Duration.ofSeconds(1), RetryPolicy.DEFAULT.backoffAfter(1));
    assertEquals(Duration.ofSeconds(3), RetryPolicy.DEFAULT.backoffAfter(2));
    assertEquals(Duration.ofSeconds(3), RetryPolicy.DEFAULT.backoffAfter(5));
  }

  @Test
  void foreignLayersAreRecognised() {
    Digest d = Digest.sha256("x");
    Descriptor foreign = new Descriptor(MediaType.DOCKER_FOREIGN_LAYER, d, 1,
        List.of("https://example.com/layer"), null, null, null, null);
    assertTrue(ImageCopier.isForeign(foreign));
    assertFalse(ImageCopier.isForeign(Descriptor.of(MediaType.DOCKER_FOREIGN_LAYER, d, 1)));
    assertFalse(ImageCopier.isForeign(Descriptor.of(MediaType.OCI_LAYER_TAR_GZIP, d, 1)));
  }
}
