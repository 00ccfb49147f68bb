package dev.boxkit.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A reverse proxy on {@code 127.0.0.1} in front of a registry (usually a {@link TestRegistry})
 * that records every request and can inject faults: answer a status without forwarding, drop the
 * connection before or after forwarding, or rewrite response bodies.
 *
 * <p>With {@link #requireBearerToken} it also plays the distribution token-auth service: requests
 * to {@code /v2/} without a valid bearer token get {@code 401} and a
 * {@code WWW-Authenticate: Bearer realm=...,service=...,scope=...} challenge, and {@code /token}
 * issues tokens for the requested scopes (checking basic credentials when configured). This
 * emulates the flow of the distribution spec's token authentication
 * (docs/spec/auth/token.md) without the registry's own JWT verification, which needs a signing
 * certificate; the registry behind the proxy runs without auth.
 *
 * <p>Absolute {@code Location} headers pointing at the upstream are rewritten to the proxy.
 */
public final class TestProxy implements AutoCloseable {
  /** What a fault rule does to a matching request. */
  public enum Fault {
    /** Answer the rule's status without forwarding. */
    STATUS,
    /** Close the connection without forwarding or answering. */
    DROP_BEFORE,
    /** Forward, then close the connection without answering. */
    DROP_AFTER,
    /** Forward and rewrite the response body with the rule's function. */
    REWRITE,
    /** Forward, announce the full length, send half the body, then close the connection. */
    TRUNCATE
  }

  /** One request seen by the proxy. */
  public record Seen(String method, String path, String query, Map<String, List<String>> headers) {
    /** @return the first value of a header (case-insensitive), or null */
    public String header(String name) {
      for (Map.Entry<String, List<String>> e : headers.entrySet()) {
        if (e.getKey() != null && e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
          return e.getValue().get(0);
        }
      }
      return null;
    }
  }

  private record Rule(String method, Pattern path, AtomicInteger skip, AtomicInteger remaining,
      Fault fault, int status, Map<String, String> headers, UnaryOperator<byte[]> rewrite) {}

  private record Token(Set<String> grants, long expiresAtNanos) {}

  private static final Set<String> SKIPPED_REQUEST_HEADERS =
      Set.of("host", "connection", "content-length", "expect", "upgrade", "transfer-encoding");
  private static final Pattern REPO_PATH = Pattern.compile("^/v2/(.+?)/(blobs|manifests|tags)(/.*)?$");

  private final HttpServer server;
  private final ExecutorService executor;
  private final URI upstream;
  private final HttpClient http = HttpClient.newBuilder()
      .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final List<Rule> rules = new CopyOnWriteArrayList<>();
  private final Map<String, Token> tokens = new ConcurrentHashMap<>();
  private final List<Seen> tokenRequests = new CopyOnWriteArrayList<>();
  private final SecureRandom random = new SecureRandom();
  private volatile boolean bearer;
  private volatile String tokenUser;
  private volatile String tokenPassword;
  private volatile Duration tokenLifetime = Duration.ofMinutes(5);
  private volatile String locationHost;

  private TestProxy(URI upstream) throws IOException {
    this.upstream = upstream;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
    this.executor = Executors.newFixedThreadPool(8, r -> {
      Thread t = new Thread(r, "test-proxy");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.createContext("/token", this::token);
    server.start();
  }

  /** @return a proxy forwarding to {@code upstream} (e.g. {@code http://127.0.0.1:5000}) */
  public static TestProxy start(URI upstream) {
    try {
      return new TestProxy(upstream);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** @return {@code 127.0.0.1:PORT} of the proxy */
  public String host() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  /** @return every request forwarded or refused so far, in order ({@code /token} excluded) */
  public List<Seen> requests() {
    return List.copyOf(seen);
  }

  /** @return requests to {@code /token} so far */
  public List<Seen> tokenRequests() {
    return List.copyOf(tokenRequests);
  }

  /** @return how many requests had this method and a path matching {@code pathRegex} */
  public long count(String method, String pathRegex) {
    Pattern p = Pattern.compile(pathRegex);
    return seen.stream().filter(s -> s.method.equals(method) && p.matcher(s.path).find()).count();
  }

  /** Forgets the recorded requests. */
  public void clearRequests() {
    seen.clear();
    tokenRequests.clear();
  }

  /**
   * Applies a fault to the next {@code times} requests with this method (null: any) and a path
   * matching {@code pathRegex} ({@link Matcher#find()} semantics).
   */
  public TestProxy fault(int times, String method, String pathRegex, Fault fault, int status,
      Map<String, String> headers) {
    return faultAfter(0, times, method, pathRegex, fault, status, headers);
  }

  /** Like {@link #fault} but lets the first {@code skip} matching requests through untouched. */
  public TestProxy faultAfter(int skip, int times, String method, String pathRegex, Fault fault,
      int status, Map<String, String> headers) {
    rules.add(new Rule(method, Pattern.compile(pathRegex), new AtomicInteger(skip),
        new AtomicInteger(times), fault, status, Map.copyOf(headers), null));
    return this;
  }

  /** Answers the next {@code times} matching requests with {@code status} without forwarding. */
  public TestProxy failWith(int times, String method, String pathRegex, int status) {
    return fault(times, method, pathRegex, Fault.STATUS, status, Map.of());
  }

  /** Rewrites the bodies of matching responses (every one when {@code times} is MAX_VALUE). */
  public TestProxy rewrite(int times, String method, String pathRegex, UnaryOperator<byte[]> f) {
    rules.add(new Rule(method, Pattern.compile(pathRegex), new AtomicInteger(0),
        new AtomicInteger(times), Fault.REWRITE, 0, Map.of(), f));
    return this;
  }

  /**
   * Demands bearer tokens from {@code /token} of this proxy. When {@code user} is non-null the
   * token endpoint demands these basic credentials.
   */
  public TestProxy requireBearerToken(String user, String password, Duration lifetime) {
    this.tokenUser = user;
    this.tokenPassword = password;
    this.tokenLifetime = lifetime;
    this.bearer = true;
    return this;
  }

  /**
   * Rewrites absolute {@code Location} headers to point at {@code hostPort} instead of this proxy
   * (e.g. another proxy in front of the same registry, to play a separate upload host).
   */
  public TestProxy rewriteLocationsTo(String hostPort) {
    this.locationHost = hostPort;
    return this;
  }

  /** Invalidates every token issued so far, as a token service does when tokens expire early. */
  public void revokeTokens() {
    tokens.clear();
  }

  private Rule match(HttpExchange ex) {
    for (Rule r : rules) {
      if ((r.method == null || r.method.equals(ex.getRequestMethod()))
          && r.path.matcher(ex.getRequestURI().getPath()).find()) {
        if (r.skip.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
          continue;
        }
        if (r.remaining.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
          return r;
        }
      }
    }
    return null;
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      byte[] body = ex.getRequestBody().readAllBytes();
      URI uri = ex.getRequestURI();
      seen.add(new Seen(ex.getRequestMethod(), uri.getPath(), uri.getRawQuery(),
          Map.copyOf(ex.getRequestHeaders())));
      if (bearer && !authorized(ex)) {
        return;
      }
      Rule rule = match(ex);
      if (rule != null && rule.fault == Fault.DROP_BEFORE) {
        return;
      }
      if (rule != null && rule.fault == Fault.STATUS) {
        rule.headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
        ex.sendResponseHeaders(rule.status, -1);
        return;
      }
      HttpResponse<byte[]> up = forward(ex, body);
      if (rule != null && rule.fault == Fault.DROP_AFTER) {
        return;
      }
      byte[] out = up.body();
      if (rule != null && rule.fault == Fault.REWRITE) {
        out = rule.rewrite.apply(out);
      }
      up.headers().map().forEach((k, vs) -> {
        String lk = k.toLowerCase(Locale.ROOT);
        if (lk.equals("content-length") || lk.equals("transfer-encoding") || lk.equals(":status")
            || lk.equals("connection")) {
          return;
        }
        for (String v : vs) {
          if (lk.equals("location")) {
            v = v.replace(upstream.toString(), "http://" + (locationHost != null ? locationHost : host()));
          }
          ex.getResponseHeaders().add(k, v);
        }
      });
      boolean head = ex.getRequestMethod().equals("HEAD");
      if (head) {
        up.headers().firstValue("Content-Length")
            .ifPresent(v -> ex.getResponseHeaders().set("Content-Length", v));
      }
      ex.sendResponseHeaders(up.statusCode(), head || out.length == 0 ? -1 : out.length);
      if (rule != null && rule.fault == Fault.TRUNCATE) {
        ex.getResponseBody().write(out, 0, out.length / 2);
        ex.getResponseBody().flush();
        // The server drops the connection of a handler that fails mid-body.
        throw new IOException("truncated on purpose");
      }
      if (!head && out.length > 0) {
        ex.getResponseBody().write(out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private HttpResponse<byte[]> forward(HttpExchange ex, byte[] body)
      throws IOException, InterruptedException {
    URI uri = ex.getRequestURI();
    URI target = URI.create(upstream + uri.getRawPath()
        + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
    HttpRequest.Builder b = HttpRequest.newBuilder(target)
        .method(ex.getRequestMethod(), body.length == 0 && !ex.getRequestMethod().equals("PUT")
            && !ex.getRequestMethod().equals("PATCH")
            ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    ex.getRequestHeaders().forEach((k, vs) -> {
      String lk = k.toLowerCase(Locale.ROOT);
      if (SKIPPED_REQUEST_HEADERS.contains(lk) || (bearer && lk.equals("authorization"))) {
        return;
      }
      vs.forEach(v -> b.header(k, v));
    });
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private boolean authorized(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    Set<String> needed = new HashSet<>();
    Matcher m = REPO_PATH.matcher(path);
    String challengeScope = null;
    if (m.matches()) {
      String method = ex.getRequestMethod();
      String action = method.equals("GET") || method.equals("HEAD") ? "pull" : "push";
      needed.add(m.group(1) + ":" + action);
      challengeScope = "repository:" + m.group(1) + ":" + (action.equals("push") ? "pull,push" : "pull");
      String from = queryParam(ex.getRequestURI().getRawQuery(), "from");
      if (from != null) {
        needed.add(from + ":pull");
      }
    }
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    if (auth != null && auth.startsWith("Bearer ")) {
      Token t = tokens.get(auth.substring(7));
      if (t != null && System.nanoTime() < t.expiresAtNanos && t.grants.containsAll(needed)) {
        return true;
      }
    }
    String challenge = "Bearer realm=\"http://" + host() + "/token\",service=\"boxkit-test\""
        + (challengeScope == null ? "" : ",scope=\"" + challengeScope + "\"");
    ex.getResponseHeaders().set("WWW-Authenticate", challenge);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    byte[] err = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}"
        .getBytes(StandardCharsets.UTF_8);
    if (ex.getRequestMethod().equals("HEAD")) {
      ex.sendResponseHeaders(401, -1);
    } else {
      ex.sendResponseHeaders(401, err.length);
      ex.getResponseBody().write(err);
    }
    return false;
  }

  private void token(HttpExchange ex) throws IOException {
    try (ex) {
      URI uri = ex.getRequestURI();
      tokenRequests.add(new Seen(ex.getRequestMethod(), uri.getPath(), uri.getRawQuery(),
          Map.copyOf(ex.getRequestHeaders())));
      if (tokenUser != null) {
        String expected = "Basic " + Base64.getEncoder().encodeToString(
            (tokenUser + ":" + tokenPassword).getBytes(StandardCharsets.UTF_8));
        if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
          ex.sendResponseHeaders(401, -1);
          return;
        }
      }
      Set<String> grants = new HashSet<>();
      for (String scope : queryParams(uri.getRawQuery(), "scope")) {
        for (String one : scope.split(" ")) {
          String[] parts = one.split(":");
          if (parts.length == 3 && parts[0].equals("repository")) {
            for (String action : parts[2].split(",")) {
              grants.add(parts[1] + ":" + action);
            }
          }
        }
      }
      byte[] raw = new byte[16];
      random.nextBytes(raw);
      String token = HexFormat.of().formatHex(raw);
      tokens.put(token, new Token(grants, System.nanoTime() + tokenLifetime.toNanos()));
      byte[] json = ("{\"token\":\"" + token + "\",\"expires_in\":" + tokenLifetime.toSeconds() + "}")
          .getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(200, json.length);
      ex.getResponseBody().write(json);
    }
  }

  private static String queryParam(String rawQuery, String name) {
    List<String> all = queryParams(rawQuery, name);
    return all.isEmpty() ? null : all.get(0);
  }

  private static List<String> queryParams(String rawQuery, String name) {
    List<String> out = new ArrayList<>();
    if (rawQuery == null) {
      return out;
    }
    for (String kv : rawQuery.split("&")) {
      int eq = kv.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
      if (k.equals(name)) {
        out.add(eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  /** Stops the proxy. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
