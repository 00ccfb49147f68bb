package dev.boxkit.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A distribution token service (distribution {@code docs/spec/auth/token.md} and {@code jwt.md})
 * for a {@link TestRegistry} started with {@code auth: token}: it answers {@code GET /token} with
 * an RS256 JWT whose {@code x5c} header carries a self-signed certificate that the registry
 * trusts through {@code rootcertbundle}, granting every requested action. With a user set it
 * demands those basic credentials.
 */
public final class TestTokenServer implements AutoCloseable {
  /** The {@code service} the registry and tokens name. */
  public static final String SERVICE = "boxkit-test-registry";
  /** The {@code issuer} the registry and tokens name. */
  public static final String ISSUER = "boxkit-test-issuer";

  private final HttpServer server;
  private final Path certificate;
  private final PrivateKey key;
  private final String x5c;
  private final String user;
  private final String password;
  private final List<String> queries = new CopyOnWriteArrayList<>();

  private TestTokenServer(Path dir, String user, String password) throws IOException, GeneralSecurityException {
    Path openssl = ExternalTools.require("openssl", "openssl");
    this.certificate = dir.resolve("token-cert.pem");
    Path keyFile = dir.resolve("token-key.pem");
    Process p = new ProcessBuilder(openssl.toString(), "req", "-x509", "-newkey", "rsa:2048", "-nodes",
        "-keyout", keyFile.toString(), "-out", certificate.toString(), "-days", "2",
        "-subj", "/CN=" + ISSUER).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (p.waitFor() != 0) {
        throw new IOException("openssl failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    String pem = Files.readString(keyFile).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    this.key = KeyFactory.getInstance("RSA")
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
    try (InputStream in = Files.newInputStream(certificate)) {
      this.x5c = Base64.getEncoder().encodeToString(
          CertificateFactory.getInstance("X.509").generateCertificate(in).getEncoded());
    }
    this.user = user;
    this.password = password;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 20);
    server.createContext("/token", this::token);
    server.start();
  }

  static TestTokenServer start(Path dir, String user, String password) {
    try {
      return new TestTokenServer(dir, user, password);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** @return the realm URL, {@code http://127.0.0.1:PORT/token} */
  public URI realm() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/token");
  }

  /** @return the certificate the registry must trust ({@code rootcertbundle}) */
  Path certificate() {
    return certificate;
  }

  /** @return the raw query strings of the token requests so far */
  public List<String> queries() {
    return List.copyOf(queries);
  }

  private void token(HttpExchange ex) throws IOException {
    try (ex) {
      String query = ex.getRequestURI().getRawQuery();
      queries.add(query == null ? "" : query);
      if (user != null) {
        String expected = "Basic " + Base64.getEncoder().encodeToString(
            (user + ":" + password).getBytes(StandardCharsets.UTF_8));
        if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
          ex.sendResponseHeaders(401, -1);
          return;
        }
      }
      List<String> access = new ArrayList<>();
      for (String kv : query == null ? new String[0] : query.split("&")) {
        if (!kv.startsWith("scope=")) {
          continue;
        }
        for (String scope : URLDecoder.decode(kv.substring(6), StandardCharsets.UTF_8).split(" ")) {
          String[] parts = scope.split(":");
          if (parts.length == 3) {
            StringBuilder actions = new StringBuilder();
            for (String a : parts[2].split(",")) {
              actions.append(actions.length() == 0 ? "" : ",").append('"').append(a).append('"');
            }
            access.add("{\"type\":\"" + parts[0] + "\",\"name\":\"" + parts[1] + "\",\"actions\":["
                + actions + "]}");
          }
        }
      }
      long now = System.currentTimeMillis() / 1000;
      String header = "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5c\":[\"" + x5c + "\"]}";
      String claims = "{\"iss\":\"" + ISSUER + "\",\"sub\":\"" + (user == null ? "" : user)
          + "\",\"aud\":\"" + SERVICE + "\",\"exp\":" + (now + 300) + ",\"nbf\":" + (now - 10)
          + ",\"iat\":" + now + ",\"jti\":\"" + UUID.randomUUID() + "\",\"access\":["
          + String.join(",", access) + "]}";
      Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
      String signingInput = b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
          + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
      String jwt;
      try {
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign(key);
        s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        jwt = signingInput + "." + b64.encodeToString(s.sign());
      } catch (GeneralSecurityException e) {
        throw new IOException(e);
      }
      byte[] body = ("{\"token\":\"" + jwt + "\",\"expires_in\":300}").getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
