package dev.boxkit.oci.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.layout.OciLayout;
import dev.boxkit.testing.TestProxy;
import dev.boxkit.testing.TestRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Basic auth against a registry with htpasswd, and the bearer token flow through a token-auth proxy. */
class RegistryAuthTest {
  private static final RetryPolicy FAST = RetryPolicy.of(2, Duration.ofMillis(10));

  @Test
  void basicAuthWithHtpasswd() {
    try (TestRegistry registry = TestRegistry.builder().htpasswd("alice", "s3cret-pw").start()) {
      ImageReference r = ImageReference.of(registry.host(), "auth/basic", "1");
      TestImage img = TestImage.of(Platform.LINUX_AMD64, Map.of("f", "x"));

      RegistryClient anonymous = RegistryClient.builder().insecureRegistry(registry.host())
          .retryPolicy(FAST).credentials(CredentialsProvider.anonymous()).build();
      RegistryAuthException denied = assertThrows(RegistryAuthException.class,
          () -> anonymous.fetchManifest(r));
      assertEquals(401, denied.status());
      assertTrue(denied.getMessage().contains(r.toString()), denied.getMessage());

      RegistryClient wrong = RegistryClient.builder().insecureRegistry(registry.host())
          .retryPolicy(FAST)
          .credentials(CredentialsProvider.of(registry.host(), new Credentials("alice", "nope")))
          .build();
      RegistryAuthException bad = assertThrows(RegistryAuthException.class, () -> wrong.fetchManifest(r));
      assertFalse(bad.getMessage().contains("nope"), "no secret in messages");

      RegistryClient ok = RegistryClient.builder().insecureRegistry(registry.host()).retryPolicy(FAST)
          .credentials(CredentialsProvider.of(registry.host(), new Credentials("alice", "s3cret-pw")))
          .build();
      RegistryClientTest.pushAll(ok, r, img);
      assertEquals(img.manifestDigest(), ok.fetchManifest(r).digest());
    }
  }

  @Test
  void registryTokenAuthWithSignedJwt() {
    try (TestRegistry registry = TestRegistry.builder().htpasswd("carol", "pw-carol").tokenAuth().start()) {
      ImageReference r = ImageReference.of(registry.host(), "auth/jwt", "1");
      TestImage img = TestImage.of(Platform.LINUX_AMD64, Map.of("f", "jwt", "g", "jwt2"));
      // The token realm is plain HTTP on 127.0.0.1: every port of that host is marked insecure.
      RegistryClient c = RegistryClient.builder().insecureRegistry("127.0.0.1").retryPolicy(FAST)
          .credentials(CredentialsProvider.of(registry.host(), new Credentials("carol", "pw-carol")))
          .build();
      RegistryClientTest.pushAll(c, r, img);
      assertEquals(img.manifestDigest(), c.fetchManifest(r).digest());
      ImageReference other = ImageReference.of(registry.host(), "auth/jwt-mounted", "1");
      Digest layer = img.layers().get(0).digest();
      assertEquals(RegistryClient.PushResult.MOUNTED, c.pushBlob(other, layer,
          img.layers().get(0).size(), BlobSource.of(img.blobs().get(layer)), "auth/jwt"));
      List<String> queries = registry.tokenServer().queries();
      assertTrue(queries.stream().anyMatch(q -> q.contains("repository%3Aauth%2Fjwt%3Apull%2Cpush")), queries.toString());

      RegistryClient anonymous = RegistryClient.builder().insecureRegistry("127.0.0.1")
          .retryPolicy(FAST).credentials(CredentialsProvider.anonymous()).build();
      RegistryAuthException e = assertThrows(RegistryAuthException.class, () -> anonymous.fetchManifest(r));
      assertEquals(401, e.status());
    }
  }

  @Test
  void bearerTokenFlowWithScopesPerRepository() {
    try (TestRegistry registry = TestRegistry.start();
        TestProxy proxy = TestProxy.start(registry.url())
            .requireBearerToken("bob", "pw-of-bob", Duration.ofMinutes(5))) {
      ImageReference r = ImageReference.of(proxy.host(), "auth/token", "1");
      TestImage img = TestImage.of(Platform.LINUX_AMD64, Map.of("f", "x", "g", "y"));
      RegistryClient c = RegistryClient.builder().insecureRegistry(proxy.host()).retryPolicy(FAST)
          .credentials(CredentialsProvider.of(proxy.host(), new Credentials("bob", "pw-of-bob")))
          .build();

      RegistryClientTest.pushAll(c, r, img);
      assertEquals(img.manifestDigest(), c.fetchManifest(r).digest());

      List<String> scopes = proxy.tokenRequests().stream().map(TestProxy.Seen::query)
          .collect(Collectors.toList());
      assertTrue(scopes.stream().anyMatch(q -> q.contains("scope=repository%3Aauth%2Ftoken%3Apull%2Cpush")),
          scopes.toString());
      assertTrue(scopes.stream().allMatch(q -> q.contains("service=boxkit-test")), scopes.toString());
      // Tokens are cached: one per distinct scope set, not one per request.
      assertTrue(scopes.size() <= 3, scopes.toString());
      assertTrue(proxy.requests().size() > 6);
      for (TestProxy.Seen s : proxy.tokenRequests()) {
        assertTrue(s.header("Authorization").startsWith("Basic "));
      }

      // A mount needs pull on the source repository too.
      ImageReference other = ImageReference.of(proxy.host(), "auth/other", "1");
      Digest layer = img.layers().get(0).digest();
      assertEquals(RegistryClient.PushResult.MOUNTED, c.pushBlob(other, layer,
          img.layers().get(0).size(), BlobSource.of(img.blobs().get(layer)), "auth/token"));
    }
  }

  @Test
  void revokedTokenIsRenewedOnce() {
    try (TestRegistry registry = TestRegistry.start();
        TestProxy proxy = TestProxy.start(registry.url()).requireBearerToken(null, null,
            Duration.ofMinutes(5))) {
      ImageReference r = ImageReference.of(proxy.host(), "auth/renew", "1");
      RegistryClient c = RegistryClient.builder().insecureRegistry(proxy.host()).retryPolicy(FAST)
          .credentials(CredentialsProvider.anonymous()).build();
      TestImage img = TestImage.of(Platform.LINUX_AMD64, Map.of("f", "renew"));
      RegistryClientTest.pushAll(c, r, img);
      c.fetchManifest(r);
      int before = proxy.tokenRequests().size();
      c.fetchManifest(r);
      assertEquals(before, proxy.tokenRequests().size(), "cached token reused");

      proxy.revokeTokens();
      assertEquals(img.manifestDigest(), c.fetchManifest(r).digest());
      assertEquals(before + 1, proxy.tokenRequests().size());
    }
  }

  @Test
  void credentialsAreNotSentToTheHostARedirectPointsTo() throws Exception {
    try (TestRegistry withAuth = TestRegistry.builder().htpasswd("alice", "pw-alice").start();
        TestRegistry storage = TestRegistry.start();
        TestProxy front = TestProxy.start(withAuth.url());
        TestProxy other = TestProxy.start(storage.url())) {
      byte[] data = "blob behind a redirect".getBytes(StandardCharsets.UTF_8);
      Digest d = Digest.sha256(data);
      RegistryClient plain = RegistryClient.builder().insecureRegistry(storage.host())
          .credentials(CredentialsProvider.anonymous()).build();
      plain.pushBlob(ImageReference.of(storage.host(), "redirect/app", "1"), d, data.length,
          BlobSource.of(data));
      String otherHost = "localhost:" + other.host().substring(other.host().indexOf(':') + 1);
      front.fault(1, "GET", "/blobs/" + d, TestProxy.Fault.STATUS, 307, Map.of("Location",
          "http://" + otherHost + "/v2/redirect/app/blobs/" + d + "?signature=abc"));

      RegistryClient c = RegistryClient.builder().insecureRegistry(front.host()).retryPolicy(FAST)
          .credentials(CredentialsProvider.of(front.host(), new Credentials("alice", "pw-alice")))
          .build();
      // Learn the registry's basic challenge first, so the GET carries credentials.
      assertTrue(c.checkBlob(ImageReference.of(front.host(), "redirect/app", "1"), d).isEmpty());
      Path target = Files.createTempFile("redirected", ".blob");
      try {
        c.fetchBlob(ImageReference.of(front.host(), "redirect/app", "1"), d, data.length, target);
        assertArrayEquals(data, Files.readAllBytes(target));
      } finally {
        Files.deleteIfExists(target);
      }
      List<TestProxy.Seen> redirected = other.requests();
      assertEquals(1, redirected.size());
      assertEquals("signature=abc", redirected.get(0).query());
      assertEquals(null, redirected.get(0).header("Authorization"));
      assertTrue(front.requests().stream().filter(s -> s.method().equals("GET"))
          .allMatch(s -> s.header("Authorization") != null), "the registry itself got the credentials");
    }
  }

  @Test
  void tokenIsNotSentToAnUploadLocationOnAnotherHost() {
    try (TestRegistry registry = TestRegistry.start();
        TestProxy uploads = TestProxy.start(registry.url());
        TestProxy front = TestProxy.start(registry.url()).requireBearerToken(null, null,
            Duration.ofMinutes(5))) {
      String uploadHost = "localhost:" + uploads.host().substring(uploads.host().indexOf(':') + 1);
      front.rewriteLocationsTo(uploadHost);
      RegistryClient c = RegistryClient.builder().insecureRegistry(front.host())
          .insecureRegistry(uploadHost).retryPolicy(FAST)
          .credentials(CredentialsProvider.anonymous()).build();
      ImageReference r = ImageReference.of(front.host(), "auth/upload-host", "1");
      byte[] data = "uploaded through another host".getBytes(StandardCharsets.UTF_8);
      Digest d = Digest.sha256(data);

      assertEquals(RegistryClient.PushResult.UPLOADED, c.pushBlob(r, d, data.length, BlobSource.of(data)));

      assertEquals(1, uploads.count("PUT", "/blobs/uploads/"));
      assertTrue(uploads.requests().stream().allMatch(s -> s.header("Authorization") == null),
          uploads.requests().toString());
      assertTrue(front.requests().stream().filter(s -> s.method().equals("POST"))
          .allMatch(s -> s.header("Authorization") != null));
      assertEquals(data.length, c.checkBlob(r, d).getAsLong());
    }
  }

  @Test
  void retryAfterLongerThanThePolicyAllowsFailsAtOnce() {
    try (TestRegistry registry = TestRegistry.start();
        TestProxy proxy = TestProxy.start(registry.url())) {
      proxy.fault(5, "GET", "/manifests/", TestProxy.Fault.STATUS, 429, Map.of("Retry-After", "3600"));
      RegistryClient c = RegistryClient.builder().insecureRegistry(proxy.host())
          .retryPolicy(RetryPolicy.of(3, Duration.ofMillis(10)))
          .credentials(CredentialsProvider.anonymous()).build();
      RegistryException e = assertThrows(RegistryException.class,
          () -> c.fetchManifest(ImageReference.of(proxy.host(), "limited/app", "1")));
      assertEquals(429, e.status());
      assertTrue(e.isTemporary());
      assertEquals(1, proxy.count("GET", "/manifests/"));
    }
  }

  @Test
  void parallelBlobUploadsShareOneTokenRequest(@TempDir Path tmp) {
    try (TestRegistry registry = TestRegistry.start();
        TestProxy proxy = TestProxy.start(registry.url()).requireBearerToken(null, null,
            Duration.ofMinutes(5))) {
      OciLayout layout = OciLayout.create(tmp.resolve("l"));
      TestImage img = TestImage.of(Platform.LINUX_AMD64,
          Map.of("1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"));
      img.blobs().forEach((d, b) -> layout.writeBlob(b, MediaType.OCI_LAYER_TAR_GZIP));
      layout.tag("t", layout.writeBlob(img.manifest(), MediaType.OCI_MANIFEST));
      RegistryClient c = RegistryClient.builder().insecureRegistry(proxy.host()).retryPolicy(FAST)
          .parallelism(6).credentials(CredentialsProvider.anonymous()).build();

      RegistryCopy.using(c).push(layout, "t", ImageReference.of(proxy.host(), "auth/parallel", "1"));

      long pushTokens = proxy.tokenRequests().stream()
          .filter(s -> s.query().contains("pull%2Cpush")).count();
      assertEquals(1, pushTokens, proxy.tokenRequests().toString());
    }
  }

  @Test
  void refusedTokenIsAnAuthError() {
    try (TestRegistry registry = TestRegistry.start();
        TestProxy proxy = TestProxy.start(registry.url())
            .requireBearerToken("bob", "pw-of-bob", Duration.ofMinutes(5))) {
      ImageReference r = ImageReference.of(proxy.host(), "auth/token", "1");
      RegistryClient c = RegistryClient.builder().insecureRegistry(proxy.host()).retryPolicy(FAST)
          .credentials(CredentialsProvider.of(proxy.host(), new Credentials("bob", "wrong")))
          .build();
      RegistryAuthException e = assertThrows(RegistryAuthException.class, () -> c.fetchManifest(r));
      assertEquals(401, e.status());
      assertFalse(e.getMessage().contains("wrong"));
    }
  }

  @Test
  void anonymousTokensWork() {
    try (TestRegistry registry = TestRegistry.start();
        TestProxy proxy = TestProxy.start(registry.url()).requireBearerToken(null, null,
            Duration.ofMinutes(5))) {
      ImageReference r = ImageReference.of(proxy.host(), "auth/anon", "1");
      RegistryClient c = RegistryClient.builder().insecureRegistry(proxy.host()).retryPolicy(FAST)
          .credentials(CredentialsProvider.anonymous()).build();
      TestImage img = TestImage.of(Platform.LINUX_AMD64, Map.of("f", "x"));
      RegistryClientTest.pushAll(c, r, img);
      assertEquals(MediaType.OCI_MANIFEST, c.fetchManifest(r).mediaType());
      assertTrue(proxy.tokenRequests().stream().allMatch(s -> s.header("Authorization") == null));
    }
  }

  @Test
  void tokenRealmOverPlainHttpIsRefusedUnlessItsHostIsInsecure() {
    try (TestRegistry registry = TestRegistry.start();
        TestProxy proxy = TestProxy.start(registry.url()).requireBearerToken(null, null,
            Duration.ofMinutes(5))) {
      // The registry is reached through a second address; the realm host is not marked insecure.
      String alias = "localhost:" + proxy.host().substring(proxy.host().indexOf(':') + 1);
      RegistryClient c = RegistryClient.builder().insecureRegistry(alias).retryPolicy(FAST)
          .credentials(CredentialsProvider.anonymous()).build();
      RegistryAuthException e = assertThrows(RegistryAuthException.class,
          () -> c.fetchManifest(ImageReference.of(alias, "auth/realm", "1")));
      assertTrue(e.getMessage().contains("not https"), e.getMessage());
      assertEquals(0, proxy.tokenRequests().size());
    }
  }
}
