package dev.boxkit.oci.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.testing.TestRegistry;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/** Whatever the size, threshold and chunk size, a blob arrives intact in a real registry. */
class BlobUploadPropertyTest {
  private static final AtomicInteger TRIES = new AtomicInteger();
  private static TestRegistry registry;

  @BeforeContainer
  static void start() {
    registry = TestRegistry.start();
  }

  @AfterContainer
  static void stop() {
    if (registry != null) {
      registry.close();
    }
  }

  @Property(tries = 20)
  void anyBlobRoundTrips(@ForAll @IntRange(min = 0, max = 40_000) int size,
      @ForAll @IntRange(min = 0, max = 20_000) int monolithicMax,
      @ForAll @IntRange(min = 1, max = 9_000) int chunk, @ForAll long seed) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    Digest d = Digest.sha256(data);
    RegistryClient c = RegistryClient.builder().insecureRegistry(registry.host())
        .retryPolicy(RetryPolicy.of(2, Duration.ofMillis(10)))
        .credentials(CredentialsProvider.anonymous())
        // At most 16 chunks keep each try fast; small blobs still meet 1-byte chunks.
        .monolithicUploadMaxBytes(monolithicMax).chunkSizeBytes(Math.max(chunk, size / 16 + 1)).build();
    // A repository per try, so that every try uploads.
    ImageReference r = ImageReference.of(registry.host(), "prop/r" + TRIES.incrementAndGet(), "t");

    RegistryClient.PushResult result = c.pushBlob(r, d, size, BlobSource.of(data));

    assertEquals(c.checkBlob(r, d).getAsLong(), size);
    assertArrayEquals(data, c.fetchBlobBytes(r, d, size, 1 << 20));
    assertEquals(RegistryClient.PushResult.UPLOADED, result);
  }
}
