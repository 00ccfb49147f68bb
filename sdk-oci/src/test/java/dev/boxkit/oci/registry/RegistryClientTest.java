package dev.boxkit.oci.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.DigestMismatchException;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.Platform;
import dev.boxkit.testing.TestProxy;
import dev.boxkit.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client against a real distribution registry, directly and through a fault-injecting proxy. */
class RegistryClientTest {
  private static final RetryPolicy FAST = RetryPolicy.of(3, Duration.ofMillis(20));

  private static TestRegistry registry;

  @TempDir Path tmp;

  @BeforeAll
  static void startRegistry() {
    registry = TestRegistry.start();
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  private static RegistryClient client(String host) {
    return RegistryClient.builder().insecureRegistry(host).retryPolicy(FAST)
        .credentials(CredentialsProvider.anonymous()).build();
  }

  private static ImageReference repo(String host, String name) {
    return ImageReference.of(host, name, "latest");
  }

  private static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void pushesChecksAndFetchesABlob() throws Exception {
    RegistryClient c = client(registry.host());
    ImageReference r = repo(registry.host(), "blobs/one");
    byte[] data = randomBytes(10_000, 1);
    Digest d = Digest.sha256(data);

    assertEquals(OptionalLong.empty(), c.checkBlob(r, d));
    assertEquals(RegistryClient.PushResult.UPLOADED, c.pushBlob(r, d, data.length, BlobSource.of(data)));
    assertEquals(OptionalLong.of(data.length), c.checkBlob(r, d));
    assertEquals(RegistryClient.PushResult.EXISTED, c.pushBlob(r, d, data.length, BlobSource.of(data)));

    Path target = tmp.resolve("blob");
    c.fetchBlob(r, d, data.length, target);
    assertArrayEquals(data, Files.readAllBytes(target));
    assertArrayEquals(data, c.fetchBlobBytes(r, d, data.length, 1 << 20));
  }

  @Test
  void reportsProgressPerBlob() {
    List<BlobProgress> events = new CopyOnWriteArrayList<>();
    RegistryClient c = RegistryClient.builder().insecureRegistry(registry.host()).retryPolicy(FAST)
        .credentials(CredentialsProvider.anonymous()).progressListener(events::add)
        .monolithicUploadMaxBytes(1 << 20).chunkSizeBytes(1 << 20).build();
    ImageReference r = repo(registry.host(), "blobs/progress");
    byte[] data = randomBytes(3 * (1 << 20) + 5, 10);
    Digest d = Digest.sha256(data);

    c.pushBlob(r, d, data.length, BlobSource.of(data));
    List<BlobProgress> bytes = events.stream().filter(e -> e.kind() == BlobProgress.Kind.BYTES)
        .collect(Collectors.toList());
    assertEquals(data.length, bytes.get(bytes.size() - 1).transferredBytes());
    for (int i = 1; i < bytes.size(); i++) {
      assertTrue(bytes.get(i).transferredBytes() > bytes.get(i - 1).transferredBytes());
    }
    assertEquals(BlobProgress.Kind.DONE, events.get(events.size() - 1).kind());

    events.clear();
    c.fetchBlob(r, d, data.length, tmp.resolve("p"));
    assertEquals(new BlobProgress(d, data.length, data.length, BlobProgress.Kind.DONE),
        events.get(events.size() - 1));
    events.clear();
    c.pushBlob(r, d, data.length, BlobSource.of(data));
    assertEquals(List.of(new BlobProgress(d, data.length, 0, BlobProgress.Kind.SKIPPED)), events);
  }

  @Test
  void failingProgressListenerDoesNotFailTheTransfer() {
    RegistryClient c = RegistryClient.builder().insecureRegistry(registry.host()).retryPolicy(FAST)
        .credentials(CredentialsProvider.anonymous())
        .progressListener(e -> {
          throw new IllegalStateException("listener bug");
        }).build();
    ImageReference r = repo(registry.host(), "blobs/listener");
    byte[] data = randomBytes(2_000, 12);
    Digest d = Digest.sha256(data);
    assertEquals(RegistryClient.PushResult.UPLOADED, c.pushBlob(r, d, data.length, BlobSource.of(data)));
    assertArrayEquals(data, c.fetchBlobBytes(r, d, data.length, 10_000));
  }

  @Test
  void everyRequestGoesThroughTheJvmsProxySelector() throws Exception {
    // Both HTTP paths, java.net.http for API calls and HttpURLConnection for blob downloads,
    // take the proxy from the JVM's default selector, as a corporate set-up configures it.
    java.net.ProxySelector before = java.net.ProxySelector.getDefault();
    try (TestProxy proxy = TestProxy.start(registry.url())) {
      int port = Integer.parseInt(proxy.host().substring(proxy.host().lastIndexOf(':') + 1));
      java.net.ProxySelector.setDefault(java.net.ProxySelector.of(new java.net.InetSocketAddress("127.0.0.1", port)));
      RegistryClient c = client(registry.host()); // the registry itself, not the proxy, by name
      ImageReference r = repo(registry.host(), "blobs/proxied");
      byte[] data = randomBytes(200_000, 24);
      Digest d = Digest.sha256(data);
      assertEquals(RegistryClient.PushResult.UPLOADED, c.pushBlob(r, d, data.length, BlobSource.of(data)));
      Path target = tmp.resolve("proxied");
      c.fetchBlob(r, d, data.length, target);
      assertArrayEquals(data, Files.readAllBytes(target));
      assertEquals(1, proxy.count("POST", "/blobs/uploads/"), proxy.requests().toString());
      assertEquals(1, proxy.count("GET", "/blobs/" + d), proxy.requests().toString());
    } finally {
      java.net.ProxySelector.setDefault(before);
    }
  }

  @Test
  void uploadsInChunksWithContentRange() throws Exception {
    try (TestProxy proxy = TestProxy.start(registry.url())) {
      RegistryClient c = RegistryClient.builder().insecureRegistry(proxy.host()).retryPolicy(FAST)
          .credentials(CredentialsProvider.anonymous())
          .monolithicUploadMaxBytes(1000).chunkSizeBytes(3000).build();
      ImageReference r = repo(proxy.host(), "blobs/chunked");
      byte[] data = randomBytes(10_000, 2);
      Digest d = Digest.sha256(data);
      assertEquals(RegistryClient.PushResult.UPLOADED, c.pushBlob(r, d, data.length, BlobSource.of(data)));

      List<String> ranges = proxy.requests().stream().filter(s -> s.method().equals("PATCH"))
          .map(s -> s.header("Content-Range")).collect(Collectors.toList());
      assertEquals(List.of("0-2999", "3000-5999", "6000-8999", "9000-9999"), ranges);
      assertEquals(1, proxy.count("PUT", "/blobs/uploads/"));
      Path target = tmp.resolve("chunked");
      c.fetchBlob(r, d, data.length, target);
      assertArrayEquals(data, Files.readAllBytes(target));
    }
  }

  @Test
  void interruptedDownloadStopsAndLeavesNothing() throws Exception {
    RegistryClient c = RegistryClient.builder().insecureRegistry(registry.host()).retryPolicy(FAST)
        .credentials(CredentialsProvider.anonymous()).build();
    ImageReference r = repo(registry.host(), "blobs/interrupted");
    byte[] data = randomBytes(300_000, 23);
    Digest d = Digest.sha256(data);
    c.pushBlob(r, d, data.length, BlobSource.of(data));
    Path target = tmp.resolve("interrupted");
    Thread.currentThread().interrupt();
    try {
      assertThrows(RegistryException.class, () -> c.fetchBlob(r, d, data.length, target));
    } finally {
      Thread.interrupted();
    }
    try (java.util.stream.Stream<Path> s = Files.list(tmp)) {
      assertEquals(List.of(), s.filter(p -> p.getFileName().toString().contains("interrupted")).toList());
    }
    c.fetchBlob(r, d, data.length, target);
    assertArrayEquals(data, Files.readAllBytes(target));
  }

  @Test
  void blobAboveTheMonolithicLimitStreamsInOnePatchByDefault() throws Exception {
    try (TestProxy proxy = TestProxy.start(registry.url())) {
      RegistryClient c = RegistryClient.builder().insecureRegistry(proxy.host()).retryPolicy(FAST)
          .credentials(CredentialsProvider.anonymous()).monolithicUploadMaxBytes(1000).build();
      ImageReference r = repo(proxy.host(), "blobs/one-patch");
      // Larger than the 16 MiB chunks of old: those would have made two PATCH requests.
      int size = 17 * 1024 * 1024 + 1;
      byte[] data = randomBytes(size, 21);
      Digest d = Digest.sha256(data);
      assertEquals(RegistryClient.PushResult.UPLOADED, c.pushBlob(r, d, data.length, BlobSource.of(data)));

      List<String> ranges = proxy.requests().stream().filter(s -> s.method().equals("PATCH"))
          .map(s -> s.header("Content-Range")).collect(Collectors.toList());
      assertEquals(List.of("0-" + (size - 1)), ranges);
      assertEquals(1, proxy.count("POST", "/blobs/uploads/"));
      assertEquals(1, proxy.count("PUT", "/blobs/uploads/"));
      assertArrayEquals(data, c.fetchBlobBytes(r, d, data.length, size));
    }
  }

  @Test
  void failedWholeBlobPatchResumesInTheSameUpload() throws Exception {
    try (TestProxy proxy = TestProxy.start(registry.url())) {
      RegistryClient c = RegistryClient.builder().insecureRegistry(proxy.host()).retryPolicy(FAST)
          .credentials(CredentialsProvider.anonymous()).monolithicUploadMaxBytes(0).build();
      ImageReference r = repo(proxy.host(), "blobs/one-patch-resume");
      byte[] data = randomBytes(50_000, 22);
      Digest d = Digest.sha256(data);
      // The PATCH never reaches the registry.
      proxy.fault(1, "PATCH", "/blobs/uploads/", TestProxy.Fault.STATUS, 503, Map.of());

      assertEquals(RegistryClient.PushResult.UPLOADED, c.pushBlob(r, d, data.length, BlobSource.of(data)));

      assertEquals(1, proxy.count("POST", "/blobs/uploads/"), "the same upload went on");
      assertEquals(1, proxy.count("GET", "/blobs/uploads/.+"), "status queried once");
      List<String> ranges = proxy.requests().stream().filter(s -> s.method().equals("PATCH"))
          .map(s -> s.header("Content-Range")).collect(Collectors.toList());
      assertEquals(List.of("0-49999", "0-49999"), ranges);
      assertArrayEquals(data, c.fetchBlobBytes(r, d, data.length, 100_000));
    }
  }

  @Test
  void chunkWhoseAnswerIsLostIsNeverReplayed() throws Exception {
    try (TestProxy proxy = TestProxy.start(registry.url())) {
      RegistryClient c = RegistryClient.builder().insecureRegistry(proxy.host()).retryPolicy(FAST)
          .credentials(CredentialsProvider.anonymous())
          .monolithicUploadMaxBytes(0).chunkSizeBytes(4000).build();
      ImageReference r = repo(proxy.host(), "blobs/lost-patch");
      byte[] data = randomBytes(10_000, 3);
      Digest d = Digest.sha256(data);
      // The first PATCH reaches the registry, but its answer is lost.
      proxy.fault(1, "PATCH", "/blobs/uploads/", TestProxy.Fault.DROP_AFTER, 0, Map.of());

      assertEquals(RegistryClient.PushResult.UPLOADED, c.pushBlob(r, d, data.length, BlobSource.of(data)));

      Set<String> sent = new HashSet<>();
      for (TestProxy.Seen s : proxy.requests()) {
        if (s.method().equals("PATCH")) {
          String upload = s.path() + " " + s.header("Content-Range");
          assertTrue(sent.add(upload), "PATCH replayed: " + upload);
        }
      }
      assertTrue(proxy.count("GET", "/blobs/uploads/.+") >= 1, "upload status was queried");
      c.fetchBlob(r, d, data.length, tmp.resolve("b"));
      assertArrayEquals(data, Files.readAllBytes(tmp.resolve("b")));
    }
  }

  @Test
  void failedChunkResumesWhereTheRegistryStands() throws Exception {
    try (TestProxy proxy = TestProxy.start(registry.url())) {
      RegistryClient c = RegistryClient.builder().insecureRegistry(proxy.host()).retryPolicy(FAST)
          .credentials(CredentialsProvider.anonymous())
          .monolithicUploadMaxBytes(0).chunkSizeBytes(4000).build();
      ImageReference r = repo(proxy.host(), "blobs/resume");
      byte[] data = randomBytes(10_000, 9);
      Digest d = Digest.sha256(data);
      // The second chunk never reaches the registry.
      proxy.faultAfter(1, 1, "PATCH", "/blobs/uploads/", TestProxy.Fault.STATUS, 503, Map.of());

      assertEquals(RegistryClient.PushResult.UPLOADED, c.pushBlob(r, d, data.length, BlobSource.of(data)));

      assertEquals(1, proxy.count("POST", "/blobs/uploads/"), "the same upload went on");
      assertEquals(1, proxy.count("GET", "/blobs/uploads/.+"), "status queried once");
      List<String> ranges = proxy.requests().stream().filter(s -> s.method().equals("PATCH"))
          .map(s -> s.header("Content-Range")).collect(Collectors.toList());
      assertEquals(List.of("0-3999", "4000-7999", "4000-7999", "8000-9999"), ranges);
      c.fetchBlob(r, d, data.length, tmp.resolve("resumed"));
      assertArrayEquals(data, Files.readAllBytes(tmp.resolve("resumed")));
    }
  }

  @Test
  void finalPutWhoseAnswerIsLostIsCheckedWithHead() throws Exception {
    try (TestProxy proxy = TestProxy.start(registry.url())) {
      RegistryClient c = client(proxy.host());
      ImageReference r = repo(proxy.host(), "blobs/lost-put");
      byte[] data = randomBytes(5_000, 4);
      Digest d = Digest.sha256(data);
      proxy.fault(1, "PUT", "/blobs/uploads/", TestProxy.Fault.DROP_AFTER, 0, Map.of());

      assertEquals(RegistryClient.PushResult.UPLOADED, c.pushBlob(r, d, data.length, BlobSource.of(data)));
      assertEquals(1, proxy.count("PUT", "/blobs/uploads/"), "PUT not retried once the blob was there");
      assertEquals(2, proxy.count("HEAD", "/blobs/sha256:"));
    }
  }

  @Test
  void retriesTwo503sThenSucceeds() {
    try (TestProxy proxy = TestProxy.start(registry.url())) {
      RegistryClient c = client(proxy.host());
      ImageReference r = repo(proxy.host(), "retry/app");
      TestImage img = TestImage.of(Platform.LINUX_AMD64, Map.of("a.txt", "a"));
      pushAll(c, r, img);
      proxy.clearRequests();
      proxy.fault(2, "GET", "/manifests/", TestProxy.Fault.STATUS, 503, Map.of("Retry-After", "0"));

      RegistryManifest m = c.fetchManifest(r);

      assertEquals(img.manifestDigest(), m.digest());
      assertEquals(3, proxy.count("GET", "/manifests/latest"));
    }
  }

  @Test
  void gives503UpAfterThePolicysTries() {
    try (TestProxy proxy = TestProxy.start(registry.url())) {
      RegistryClient c = client(proxy.host());
      proxy.fault(10, "GET", "/manifests/", TestProxy.Fault.STATUS, 503, Map.of());
      RegistryException e = assertThrows(RegistryException.class,
          () -> c.fetchManifest(repo(proxy.host(), "retry/none")));
      assertEquals(503, e.status());
      assertTrue(e.isTemporary());
      assertEquals(3, proxy.count("GET", "/manifests/"));
    }
  }

  @Test
  void connectionResetIsRetriedForIdempotentSteps() throws Exception {
    try (TestProxy proxy = TestProxy.start(registry.url())) {
      RegistryClient c = client(proxy.host());
      ImageReference r = repo(proxy.host(), "retry/reset");
      byte[] data = randomBytes(3_000, 5);
      Digest d = Digest.sha256(data);
      c.pushBlob(r, d, data.length, BlobSource.of(data));
      proxy.fault(2, "GET", "/blobs/sha256:", TestProxy.Fault.DROP_BEFORE, 0, Map.of());
      c.fetchBlob(r, d, data.length, tmp.resolve("reset"));
      assertArrayEquals(data, Files.readAllBytes(tmp.resolve("reset")));
    }
  }

  @Test
  void downloadThatBreaksOffIsStartedAgain() throws Exception {
    try (TestProxy proxy = TestProxy.start(registry.url())) {
      RegistryClient c = client(proxy.host());
      ImageReference r = repo(proxy.host(), "retry/truncated");
      byte[] data = randomBytes(200_000, 11);
      Digest d = Digest.sha256(data);
      c.pushBlob(r, d, data.length, BlobSource.of(data));
      proxy.fault(1, "GET", "/blobs/sha256:", TestProxy.Fault.TRUNCATE, 0, Map.of());
      Path dir = Files.createDirectories(tmp.resolve("trunc"));

      c.fetchBlob(r, d, data.length, dir.resolve("blob"));

      assertArrayEquals(data, Files.readAllBytes(dir.resolve("blob")));
      assertEquals(2, proxy.count("GET", "/blobs/sha256:"));
      try (Stream<Path> s = Files.list(dir)) {
        assertEquals(List.of(dir.resolve("blob")), s.collect(Collectors.toList()));
      }
    }
  }

  @Test
  void tamperedBlobIsRejectedAndNothingIsWritten() throws Exception {
    try (TestProxy proxy = TestProxy.start(registry.url())) {
      RegistryClient c = client(proxy.host());
      ImageReference r = repo(proxy.host(), "tamper/app");
      byte[] data = randomBytes(4_000, 6);
      Digest d = Digest.sha256(data);
      c.pushBlob(r, d, data.length, BlobSource.of(data));
      proxy.rewrite(Integer.MAX_VALUE, "GET", "/blobs/sha256:", b -> {
        byte[] copy = b.clone();
        copy[100] ^= 1;
        return copy;
      });
      Path dir = Files.createDirectories(tmp.resolve("out"));
      Path target = dir.resolve("blob");

      DigestMismatchException e = assertThrows(DigestMismatchException.class,
          () -> c.fetchBlob(r, d, data.length, target));

      assertEquals(d, e.expected());
      try (Stream<Path> s = Files.list(dir)) {
        assertEquals(List.of(), s.collect(Collectors.toList()), "nothing written");
      }
      assertEquals(1, proxy.count("GET", "/blobs/sha256:"), "a mismatch is not retried");
    }
  }

  @Test
  void truncatedOrOversizedBlobIsRejected() {
    try (TestProxy proxy = TestProxy.start(registry.url())) {
      RegistryClient c = client(proxy.host());
      ImageReference r = repo(proxy.host(), "tamper/size");
      byte[] data = randomBytes(4_000, 7);
      Digest d = Digest.sha256(data);
      c.pushBlob(r, d, data.length, BlobSource.of(data));
      assertThrows(DigestMismatchException.class, () -> c.fetchBlob(r, d, data.length - 1, tmp.resolve("x")));
      assertThrows(DigestMismatchException.class, () -> c.fetchBlob(r, d, data.length + 1, tmp.resolve("y")));
      assertFalse(Files.exists(tmp.resolve("x")));
      assertFalse(Files.exists(tmp.resolve("y")));
    }
  }

  @Test
  void pushesAndFetchesManifestsAndTags() {
    RegistryClient c = client(registry.host());
    ImageReference r = repo(registry.host(), "manifests/app").withTag("1.0");
    TestImage img = TestImage.of(Platform.LINUX_AMD64, Map.of("a.txt", "hello", "b.txt", "world"));
    pushAll(c, r, img);
    c.pushManifest(r.withTag("1.1"), img.manifest(), MediaType.OCI_MANIFEST);

    RegistryManifest byTag = c.fetchManifest(r);
    assertEquals(MediaType.OCI_MANIFEST, byTag.mediaType());
    assertArrayEquals(img.manifest(), byTag.content());
    assertEquals(img.manifestDigest(), byTag.digest());

    RegistryManifest byDigest = c.fetchManifest(r.withDigest(img.manifestDigest()));
    assertEquals(img.manifestDigest(), byDigest.digest());
    assertEquals(Optional.of(img.manifestDigest()), c.checkManifest(r));
    assertEquals(Optional.empty(), c.checkManifest(r.withTag("nope")));

    assertEquals(Set.of("1.0", "1.1"), new HashSet<>(c.listTags(r)));
  }

  @Test
  void unknownManifestAndBlobAreTypedErrorsNamingTheReference() {
    RegistryClient c = client(registry.host());
    ImageReference r = repo(registry.host(), "missing/app").withTag("9");
    RegistryNotFoundException e = assertThrows(RegistryNotFoundException.class, () -> c.fetchManifest(r));
    assertTrue(e.hasCode(RegistryError.MANIFEST_UNKNOWN) || e.hasCode(RegistryError.NAME_UNKNOWN),
        e.errors().toString());
    assertTrue(e.getMessage().contains(r.toString()), e.getMessage());
    assertFalse(e.isTemporary());

    Digest d = Digest.sha256("absent");
    RegistryNotFoundException b = assertThrows(RegistryNotFoundException.class,
        () -> c.fetchBlob(r, d, 6, tmp.resolve("absent")));
    assertTrue(b.getMessage().contains(d.toString()), b.getMessage());
  }

  @Test
  void manifestServedWithAnotherDigestIsRejected() {
    try (TestProxy proxy = TestProxy.start(registry.url())) {
      RegistryClient c = client(proxy.host());
      ImageReference r = repo(proxy.host(), "tamper/manifest");
      TestImage img = TestImage.of(Platform.LINUX_AMD64, Map.of("a.txt", "a"));
      pushAll(c, r, img);
      // Reformatting keeps the JSON meaning but changes the bytes and so the digest.
      proxy.rewrite(Integer.MAX_VALUE, "GET", "/manifests/", b -> (new String(b) + "\n").getBytes());
      assertThrows(DigestMismatchException.class, () -> c.fetchManifest(r.withDigest(img.manifestDigest())));
      // By tag the registry's Docker-Content-Digest header is the reference.
      assertThrows(DigestMismatchException.class, () -> c.fetchManifest(r));
    }
  }

  @Test
  void crossRepositoryMountSendsNoContent() {
    try (TestProxy proxy = TestProxy.start(registry.url())) {
      List<BlobProgress> events = new CopyOnWriteArrayList<>();
      RegistryClient c = RegistryClient.builder().insecureRegistry(proxy.host()).retryPolicy(FAST)
          .credentials(CredentialsProvider.anonymous()).progressListener(events::add).build();
      byte[] data = randomBytes(6_000, 8);
      Digest d = Digest.sha256(data);
      c.pushBlob(repo(proxy.host(), "mount/source"), d, data.length, BlobSource.of(data));
      proxy.clearRequests();
      events.clear();

      RegistryClient.PushResult result = c.pushBlob(repo(proxy.host(), "mount/target"), d, data.length,
          BlobSource.of(data), "mount/source");

      assertEquals(RegistryClient.PushResult.MOUNTED, result);
      assertEquals(0, proxy.count("PUT", "/"));
      assertEquals(0, proxy.count("PATCH", "/"));
      assertEquals(1, proxy.count("POST", "/v2/mount/target/blobs/uploads/"));
      assertEquals(List.of(BlobProgress.Kind.MOUNTED),
          events.stream().map(BlobProgress::kind).collect(Collectors.toList()));
      assertEquals(OptionalLong.of(data.length), c.checkBlob(repo(proxy.host(), "mount/target"), d));
    }
  }

  @Test
  void plainHttpOnlyWhenMarkedInsecure() {
    RegistryClient c = RegistryClient.builder().retryPolicy(RetryPolicy.NONE)
        .credentials(CredentialsProvider.anonymous()).build();
    // Without opt-in the client speaks TLS to 127.0.0.1, which the plain-HTTP registry cannot answer.
    RegistryException e = assertThrows(RegistryException.class,
        () -> c.checkBlob(repo(registry.host(), "x/y"), Digest.sha256("x")));
    assertEquals(0, e.status());
  }

  static void pushAll(RegistryClient c, ImageReference r, TestImage img) {
    img.blobs().forEach((d, b) -> c.pushBlob(r, d, b.length, BlobSource.of(b)));
    c.pushManifest(r, img.manifest(), MediaType.OCI_MANIFEST);
  }
}
