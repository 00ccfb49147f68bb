package dev.boxkit.oci.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.OciException;
import dev.boxkit.oci.Platform;
import dev.boxkit.testing.TestProxy;
import dev.boxkit.testing.TestRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Registry-to-registry copies of single images and multi-platform indexes. */
class RegistryCopyTest {
  private static final Platform ARM64 = Platform.LINUX_ARM64;
  private static TestRegistry a;
  private static TestRegistry b;

  @BeforeAll
  static void start() {
    a = TestRegistry.start();
    b = TestRegistry.start();
  }

  @AfterAll
  static void stop() {
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
  }

  private static RegistryClient client(List<BlobProgress> events, String... insecure) {
    RegistryClient.Builder builder = RegistryClient.builder()
        .retryPolicy(RetryPolicy.of(2, Duration.ofMillis(10)))
        .credentials(CredentialsProvider.anonymous()).progressListener(events::add);
    for (String h : insecure) {
      builder.insecureRegistry(h);
    }
    return builder.build();
  }

  private static void pushImage(RegistryClient c, ImageReference repo, TestImage img) {
    img.blobs().forEach((d, bytes) -> c.pushBlob(repo, d, bytes.length, BlobSource.of(bytes)));
    c.pushManifest(new ImageReference(repo.registry(), repo.repository(), null, img.manifestDigest()),
        img.manifest(), img.mediaType());
  }

  @Test
  void copyToAnotherRegistryUploadsOnceThenSkipsEveryBlob() {
    try (TestProxy proxy = TestProxy.start(b.url())) {
      List<BlobProgress> events = new CopyOnWriteArrayList<>();
      RegistryClient c = client(events, a.host(), proxy.host());
      ImageReference src = ImageReference.of(a.host(), "copy/src", "1");
      TestImage img = TestImage.of(Platform.LINUX_AMD64, Map.of("x", "1", "y", "2", "z", "3"));
      RegistryClientTest.pushAll(c, src, img);
      ImageReference dst = ImageReference.of(proxy.host(), "copy/dst", "2");

      Descriptor first = RegistryCopy.using(c).copy(src, dst, null);
      assertEquals(img.manifestDigest(), first.digest());
      assertEquals(4, proxy.count("PUT", "/blobs/uploads/"), "config and 3 layers uploaded");
      assertArrayEquals(img.manifest(), c.fetchManifest(dst).content());

      proxy.clearRequests();
      events.clear();
      RegistryCopy.using(c).copy(src, dst, null);
      assertEquals(0, proxy.count("PUT", "/blobs/uploads/"), "second copy uploads no blob");
      assertEquals(0, proxy.count("PATCH", "/blobs/uploads/"));
      assertEquals(0, proxy.count("POST", "/blobs/uploads/"));
      assertEquals(List.of(BlobProgress.Kind.SKIPPED), events.stream().map(BlobProgress::kind).distinct()
          .collect(Collectors.toList()));
      assertEquals(4, events.size());
    }
  }

  @Test
  void copyWithinARegistryMountsBlobs() {
    try (TestProxy proxy = TestProxy.start(a.url())) {
      List<BlobProgress> events = new CopyOnWriteArrayList<>();
      RegistryClient c = client(events, proxy.host());
      ImageReference src = ImageReference.of(proxy.host(), "mount/src", "1");
      TestImage img = TestImage.of(Platform.LINUX_AMD64, Map.of("m", "1", "n", "2"));
      RegistryClientTest.pushAll(c, src, img);
      proxy.clearRequests();
      events.clear();

      RegistryCopy.using(c).copy(src, ImageReference.of(proxy.host(), "mount/dst", "1"), null);

      assertEquals(3, proxy.count("POST", "/v2/mount/dst/blobs/uploads/"));
      assertTrue(proxy.requests().stream().filter(s -> s.method().equals("POST"))
          .allMatch(s -> s.query().contains("from=mount%2Fsrc")), proxy.requests().toString());
      assertEquals(0, proxy.count("PUT", "/blobs/uploads/"));
      assertEquals(0, proxy.count("GET", "/blobs/"), "no blob was downloaded");
      assertEquals(3, events.stream().filter(e -> e.kind() == BlobProgress.Kind.MOUNTED).count());
    }
  }

  @ParameterizedTest(name = "docker manifest list: {0}")
  @ValueSource(booleans = {false, true})
  void copiesAWholeIndexOrPicksOnePlatform(boolean docker) {
    RegistryClient c = client(new CopyOnWriteArrayList<>(), a.host(), b.host());
    TestImage amd = TestImage.of(Platform.LINUX_AMD64, Map.of("arch", "amd64"), docker);
    TestImage arm = TestImage.of(ARM64, Map.of("arch", "arm64"), docker);
    ImageReference src = ImageReference.of(a.host(), "multi/src" + (docker ? "-docker" : ""), "1");
    pushImage(c, src, amd);
    pushImage(c, src, arm);
    byte[] index = TestImage.index(docker, amd, arm);
    String indexType = docker ? MediaType.DOCKER_MANIFEST_LIST : MediaType.OCI_INDEX;
    c.pushManifest(src, index, indexType);

    ImageReference all = ImageReference.of(b.host(), "multi/all" + (docker ? "-docker" : ""), "1");
    Descriptor d = RegistryCopy.using(c).copy(src, all, null);
    assertEquals(Digest.sha256(index), d.digest());
    assertEquals(indexType, c.fetchManifest(all).mediaType());
    assertEquals(Optional.of(amd.manifestDigest()), c.checkManifest(all.withDigest(amd.manifestDigest())));
    assertEquals(Optional.of(arm.manifestDigest()), c.checkManifest(all.withDigest(arm.manifestDigest())));

    ImageReference one = ImageReference.of(b.host(), "multi/arm" + (docker ? "-docker" : ""), "1");
    Descriptor picked = RegistryCopy.using(c).copy(src, one, ARM64);
    assertEquals(arm.manifestDigest(), picked.digest());
    RegistryManifest m = c.fetchManifest(one);
    assertEquals(arm.manifestDigest(), m.digest());
    assertEquals(docker ? MediaType.DOCKER_MANIFEST : MediaType.OCI_MANIFEST, m.mediaType());
    assertEquals(Optional.empty(), c.checkManifest(one.withDigest(amd.manifestDigest())),
        "other platform not copied");

    OciException e = assertThrows(OciException.class, () -> RegistryCopy.using(c)
        .copy(src, one, Platform.parse("linux/s390x")));
    assertTrue(e.getMessage().contains("linux/s390x"), e.getMessage());
  }
}
