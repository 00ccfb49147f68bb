package dev.boxkit.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real CNCF distribution registry ({@code /usr/bin/docker-registry}, Debian package
 * {@code docker-registry}) serving plain HTTP on {@code 127.0.0.1} with a free port, filesystem
 * storage in a temporary directory and deletes enabled.
 *
 * <p>Start one per test class ({@code @BeforeAll}) and {@link #close()} it afterwards; the
 * storage directory is removed on close. With {@link Builder#htpasswd(String, String)} the
 * registry demands HTTP basic auth (bcrypt hashes made with {@code htpasswd -B}, Debian package
 * {@code apache2-utils}).
 *
 * <p>Shared with other modules' tests through sdk-oci's test-jar.
 */
public final class TestRegistry implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);

  private final Process process;
  private final Path dir;
  private final int port;
  private final Path certificate;
  private final TestTokenServer tokenServer;

  private TestRegistry(Process process, Path dir, int port, Path certificate,
      TestTokenServer tokenServer) {
    this.process = process;
    this.dir = dir;
    this.port = port;
    this.certificate = certificate;
    this.tokenServer = tokenServer;
  }

  /** @return a registry without auth, started and ready */
  public static TestRegistry start() {
    return builder().start();
  }

  /** @return a builder for a registry with options */
  public static Builder builder() {
    return new Builder();
  }

  /** Options of a {@link TestRegistry}. */
  public static final class Builder {
    private String user;
    private String password;
    private boolean tls;
    private boolean token;

    private Builder() {}

    /**
     * Demands bearer tokens from a {@link TestTokenServer} started with the registry (the
     * registry's {@code auth: token} with a JWT signing certificate); with
     * {@link #htpasswd} the token server, not the registry, demands those basic credentials.
     */
    public Builder tokenAuth() {
      this.token = true;
      return this;
    }

    /**
     * Serves HTTPS with a fresh self-signed certificate for {@code 127.0.0.1} (made with
     * {@code openssl}, Debian package {@code openssl}); see {@link #certificate()}.
     */
    public Builder tls() {
      this.tls = true;
      return this;
    }

    /** Demands HTTP basic auth with this user and password. */
    public Builder htpasswd(String user, String password) {
      this.user = user;
      this.password = password;
      return this;
    }

    /** Starts the registry and waits until {@code GET /v2/} answers. */
    public TestRegistry start() {
      Path registry = ExternalTools.require("docker-registry", "docker-registry");
      Path htpasswd = user == null || token ? null : ExternalTools.require("htpasswd", "apache2-utils");
      try {
        Path dir = Files.createTempDirectory("boxkit-registry-");
        String auth = "";
        TestTokenServer tokens = null;
        if (token) {
          tokens = TestTokenServer.start(dir, user, password);
          auth = "auth:\n  token:\n    realm: " + tokens.realm() + "\n    service: "
              + TestTokenServer.SERVICE + "\n    issuer: " + TestTokenServer.ISSUER
              + "\n    rootcertbundle: " + tokens.certificate() + "\n";
        } else if (user != null) {
          Path file = dir.resolve("htpasswd");
          Process p = new ProcessBuilder(htpasswd.toString(), "-Bbn", user, password)
              .redirectErrorStream(true).start();
          String line = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
          if (p.waitFor() != 0) {
            throw new IllegalStateException("htpasswd failed: " + line);
          }
          Files.writeString(file, line + "\n");
          auth = "auth:\n  htpasswd:\n    realm: boxkit-test\n    path: " + file + "\n";
        }
        Path cert = null;
        String tlsConfig = "";
        if (tls) {
          Path openssl = ExternalTools.require("openssl", "openssl");
          cert = dir.resolve("cert.pem");
          Path key = dir.resolve("key.pem");
          Process p = new ProcessBuilder(openssl.toString(), "req", "-x509", "-newkey", "rsa:2048",
              "-nodes", "-keyout", key.toString(), "-out", cert.toString(), "-days", "2",
              "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1")
              .redirectErrorStream(true).start();
          String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
          if (p.waitFor() != 0) {
            throw new IllegalStateException("openssl failed: " + out);
          }
          tlsConfig = "  tls:\n    certificate: " + cert + "\n    key: " + key + "\n";
        }
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
          int port = freePort();
          Path config = dir.resolve("config.yml");
          Files.writeString(config, "version: 0.1\n"
              + "log:\n  level: info\n"
              + "storage:\n  filesystem:\n    rootdirectory: " + dir.resolve("data") + "\n"
              + "  delete:\n    enabled: true\n"
              + "http:\n  addr: 127.0.0.1:" + port + "\n  secret: boxkit-test-secret\n"
              + tlsConfig + auth);
          Process process = new ProcessBuilder(registry.toString(), "serve", config.toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("registry.log").toFile())
              .start();
          TestRegistry r = new TestRegistry(process, dir, port, cert, tokens);
          try {
            r.awaitReady();
            return r;
          } catch (IOException e) {
            last = e;
            process.destroyForcibly().waitFor();
          }
        }
        throw new IllegalStateException("docker-registry did not start; log:\n"
            + Files.readString(dir.resolve("registry.log")), last);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  private void awaitReady() throws IOException, InterruptedException {
    HttpClient.Builder hb = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1));
    if (certificate != null) {
      hb.sslContext(trusting(certificate));
    }
    HttpClient http = hb.build();
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    IOException last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("docker-registry exited with " + process.exitValue());
      }
      try {
        int status = http.send(HttpRequest.newBuilder(URI.create(url() + "/v2/")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
        if (status == 200 || status == 401) {
          return;
        }
      } catch (IOException e) {
        last = e;
      }
      Thread.sleep(50);
    }
    throw new IOException("docker-registry not ready after " + READY_TIMEOUT, last);
  }

  private static javax.net.ssl.SSLContext trusting(Path cert) throws IOException {
    try (java.io.InputStream in = Files.newInputStream(cert)) {
      java.security.KeyStore ks = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
      ks.load(null, null);
      ks.setCertificateEntry("registry",
          java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
      javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
          javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** @return {@code 127.0.0.1:PORT}, the registry part of image references */
  public String host() {
    return "127.0.0.1:" + port;
  }

  /** @return the port on 127.0.0.1 */
  public int port() {
    return port;
  }

  /** @return {@code http://127.0.0.1:PORT}, or {@code https://...} with {@link Builder#tls()} */
  public URI url() {
    return URI.create((certificate == null ? "http://" : "https://") + host());
  }

  /** @return the PEM certificate the registry serves with {@link Builder#tls()}, else null */
  public Path certificate() {
    return certificate;
  }

  /** @return the registry's log so far (access log lines included) */
  public List<String> log() {
    try {
      return Files.readAllLines(dir.resolve("registry.log"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** @return the token service of a registry started with {@link Builder#tokenAuth()}, else null */
  public TestTokenServer tokenServer() {
    return tokenServer;
  }

  /** Stops the registry (and its token service) and removes its storage. */
  @Override
  public void close() {
    if (tokenServer != null) {
      tokenServer.close();
    }
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
