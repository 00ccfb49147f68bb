package dev.boxkit.oci.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.Platform;
import dev.boxkit.testing.TestProxy;
import dev.boxkit.testing.TestRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

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
      dev.boxkit.oci.Digest layer = img.layers().get(0).digest();
      assertEquals(RegistryClient.PushResult.MOUNTED, c.pushBlob(other, layer,
          img.layers().get(0).size(), BlobSource.of(img.blobs().get(layer)), "auth/token"));
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
