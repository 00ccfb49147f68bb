package dev.boxkit.oci.registry;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP exchanges with registries: auth (basic and the token flow of distribution
 * {@code docs/spec/auth/token.md}), redirects followed by hand so that credentials never travel
 * to another host, and retries of idempotent requests per {@link RetryPolicy}.
 */
final class HttpTransport {
  private static final Logger LOG = LoggerFactory.getLogger(HttpTransport.class);
  private static final int MAX_REDIRECTS = 5;
  private static final String USER_AGENT = "boxkit (java.net.http)";
  private static final int MAX_ERROR_BODY = 64 * 1024;
  private static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofSeconds(60);
  private static final Duration TOKEN_EXPIRY_MARGIN = Duration.ofSeconds(10);
  /** Bytes per read of a blob download. */
  static final int BUFFER_BYTES = 256 * 1024;

  /** A response whose body must be closed (or read to its end). */
  record Response(int status, HttpHeaders headers, InputStream body, URI uri) implements Closeable {
    Optional<String> header(String name) {
      return headers.firstValue(name);
    }

    byte[] readBody(long max, String subject) {
      try (InputStream in = body) {
        byte[] b = in.readNBytes((int) Math.min(max + 1, Integer.MAX_VALUE - 8));
        if (b.length > max) {
          throw new RegistryException(subject, "response body larger than " + max + " bytes", status,
              List.of(), null);
        }
        return b;
      } catch (IOException e) {
        throw new RegistryException(subject, "reading response: " + e.getMessage(), status, List.of(), e);
      }
    }

    @Override
    public void close() {
      try {
        body.close();
      } catch (IOException e) {
        // nothing left to do with a body we are abandoning
      }
    }
  }

  /**
   * One logical request.
   *
   * @param apiAuthority {@code host:port} of the registry's API: credentials go there only, not
   *     to other hosts an upload {@code Location} or a redirect names
   * @param body supplies a fresh publisher per try (null: no body)
   * @param retry whether temporary failures are retried (idempotent steps only)
   * @param download a {@code GET} whose large body the caller reads in its own thread: sent with
   *     {@link HttpURLConnection}, which reads the socket in that thread, not through {@code
   *     java.net.http}, which hands the body from its selector thread in buffers of {@code
   *     jdk.httpclient.bufsize} (16 KiB by default: 300 MB pulled cost 0.78 s of CPU that way
   *     against 0.4-0.57 s)
   */
  record Call(String method, URI uri, String registry, String apiAuthority, List<String> scopes,
      Map<String, String> headers, Supplier<HttpRequest.BodyPublisher> body, boolean retry,
      String subject, boolean download) {}

  private record Token(String value, long expiresAtNanos) {}

  private final Supplier<HttpClient> createHttp;
  private HttpClient http;
  private final SSLContext tls;
  /** Made once: the JDK pools TLS connections per socket factory, so a new one per request would never reuse one. */
  private volatile javax.net.ssl.SSLSocketFactory socketFactory;
  private final Duration connectTimeout;
  private final CredentialsProvider credentials;
  private final RegistryHosts hosts;
  private final RetryPolicy retry;
  private final Duration requestTimeout;
  private final Map<String, AuthChallenge> challenges = new ConcurrentHashMap<>();
  private final Map<String, Token> tokens = new ConcurrentHashMap<>();
  private final Map<String, Object> tokenLocks = new ConcurrentHashMap<>();

  /**
   * @param createHttp makes the HTTP client on the first request: an idle client keeps a selector
   *     thread blocked in native code, which holds up the JVM's exit by 0.3 s, so a client that
   *     never sends (a command on local layouts) should not make one
   */
  HttpTransport(Supplier<HttpClient> createHttp, CredentialsProvider credentials, RegistryHosts hosts,
      RetryPolicy retry, Duration requestTimeout, SSLContext tls, Duration connectTimeout) {
    this.createHttp = createHttp;
    this.tls = tls;
    this.connectTimeout = connectTimeout;
    this.credentials = credentials;
    this.hosts = hosts;
    this.retry = retry;
    this.requestTimeout = requestTimeout;
  }

  RetryPolicy retryPolicy() {
    return retry;
  }

  private synchronized HttpClient http() {
    if (http == null) {
      http = createHttp.get();
    }
    return http;
  }

  /**
   * Sends {@code call}, retrying temporary failures when {@code call.retry()}. Returns any final
   * status, success or not; throws only when no response could be had.
   */
  Response send(Call call) {
    for (int attempt = 1; ; attempt++) {
      boolean last = !call.retry() || attempt >= retry.maxAttempts();
      try {
        Response r = sendAuthorized(call);
        if (last || !RegistryException.isTemporaryStatus(r.status())) {
          return r;
        }
        Duration wait = waitBeforeRetry(attempt, r.header("Retry-After").orElse(null));
        if (wait == null) {
          return r;
        }
        r.close();
        LOG.debug("{} {}: HTTP {}, retrying in {} ms", call.method(), redact(call.uri()), r.status(),
            wait.toMillis());
        sleep(wait, call.subject());
      } catch (IOException e) {
        RegistryUnreachableException unreachable = unreachable(call, e);
        if (unreachable != null && unreachable.reason() == RegistryUnreachableException.Reason.UNKNOWN_HOST) {
          throw unreachable; // a name that does not resolve now will not in a moment either
        }
        boolean interrupted = e instanceof InterruptedIOException && !(e instanceof java.net.SocketTimeoutException);
        if (last || e instanceof SSLHandshakeException || interrupted) {
          if (unreachable != null) {
            throw unreachable;
          }
          throw new RegistryException(call.subject(), call.method() + " " + redact(call.uri()) + ": "
              + describe(e), 0, List.of(), e);
        }
        Duration wait = retry.backoffAfter(attempt);
        LOG.debug("{} {}: {}, retrying in {} ms", call.method(), redact(call.uri()), e.toString(),
            wait.toMillis());
        sleep(wait, call.subject());
      }
    }
  }

  /**
   * Maps the JDK's connect failures to a typed exception naming {@code host:port}: the JDK throws
   * a {@link ConnectException} with a null message and the real cause (an unresolved address, a
   * closed channel) beneath it, which said nothing to the user.
   *
   * @return the exception, or null when {@code e} is not a connect failure
   */
  static RegistryUnreachableException unreachable(Call call, IOException e) {
    URI uri = failedUri(call, e);
    String host = uri.getHost();
    int port = Integer.parseInt(authority(uri).substring(authority(uri).lastIndexOf(':') + 1));
    if (e instanceof HttpConnectTimeoutException) {
      return new RegistryUnreachableException(call.subject(), host, port,
          RegistryUnreachableException.Reason.CONNECT_TIMEOUT, e);
    }
    boolean connect = false;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
        return new RegistryUnreachableException(call.subject(), host, port,
            RegistryUnreachableException.Reason.UNKNOWN_HOST, e);
      }
      connect |= t instanceof ConnectException;
    }
    return connect ? new RegistryUnreachableException(call.subject(), host, port,
        RegistryUnreachableException.Reason.CONNECTION_REFUSED, e) : null;
  }

  /** The URI a failure was about: a token realm's when the token request failed. */
  private static URI failedUri(Call call, IOException e) {
    return e instanceof TokenServiceIOException t ? t.uri : call.uri();
  }

  /** A connect failure of a token request, carrying the realm's URI for the message. */
  static final class TokenServiceIOException extends IOException {
    private static final long serialVersionUID = 1L;
    final transient URI uri;

    TokenServiceIOException(URI uri, IOException cause) {
      super(cause.getMessage(), cause);
      this.uri = uri;
    }
  }

  /** @return the message of {@code e}, or its class and its causes' messages when it has none */
  static String describe(Throwable e) {
    StringBuilder b = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null) {
        return b.append(t.getMessage()).toString();
      }
      b.append(t.getClass().getSimpleName()).append(": ");
    }
    return b.substring(0, Math.max(0, b.length() - 2));
  }

  /** @return the wait, or null when Retry-After asks for longer than the policy allows */
  private Duration waitBeforeRetry(int attempt, String retryAfter) {
    Duration wait = retry.backoffAfter(attempt);
    if (retryAfter != null) {
      Duration asked = parseRetryAfter(retryAfter.strip());
      if (asked != null) {
        if (asked.compareTo(retry.maxRetryAfter()) > 0) {
          return null;
        }
        wait = asked;
      }
    }
    return wait;
  }

  static Duration parseRetryAfter(String v) {
    try {
      return Duration.ofSeconds(Math.max(0, Long.parseLong(v)));
    } catch (NumberFormatException e) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
        Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
        return d.isNegative() ? Duration.ZERO : d;
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
  }

  private void sleep(Duration d, String subject) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RegistryException(subject, "interrupted while waiting to retry", 0, List.of(), e);
    }
  }

  private Response sendAuthorized(Call call) throws IOException {
    String auth = authorization(call, false);
    Response r = sendFollowingRedirects(call, auth);
    if (r.status() != 401 || !authority(r.uri()).equals(call.apiAuthority())) {
      // Another host's challenge says nothing about the registry's auth: no credentials go there.
      return r;
    }
    AuthChallenge challenge = AuthChallenge.parse(r.header("WWW-Authenticate").orElse(null));
    if (challenge == null) {
      return r;
    }
    challenges.put(call.registry(), challenge);
    String fresh = authorization(call, true);
    if (fresh == null || fresh.equals(auth)) {
      return r;
    }
    r.close();
    return sendFollowingRedirects(call, fresh);
  }

  /** @return the Authorization header for {@code call}, or null to go anonymous */
  private String authorization(Call call, boolean renew) throws IOException {
    AuthChallenge challenge = challenges.get(call.registry());
    if (challenge == null) {
      return null;
    }
    Optional<Credentials> creds = credentials.find(call.registry());
    switch (challenge.scheme()) {
      case "basic":
        return creds.map(HttpTransport::basic).orElse(null);
      case "bearer":
        return bearer(call, challenge, creds.orElse(null), renew);
      default:
        LOG.debug("{}: unsupported auth scheme {}", call.registry(), challenge.scheme());
        return null;
    }
  }

  private static String basic(Credentials c) {
    return "Basic " + Base64.getEncoder().encodeToString(
        (c.username() + ":" + c.password()).getBytes(StandardCharsets.UTF_8));
  }

  private String bearer(Call call, AuthChallenge challenge, Credentials creds, boolean renew)
      throws IOException {
    String realm = challenge.param("realm");
    if (realm == null) {
      throw new RegistryAuthException(call.subject(), "bearer challenge of " + call.registry()
          + " names no realm", 401, List.of());
    }
    Set<String> scopes = new TreeSet<>(call.scopes());
    String key = call.registry() + " " + String.join(" ", scopes);
    Token cached = tokens.get(key);
    if (!renew && cached != null && System.nanoTime() < cached.expiresAtNanos()) {
      return "Bearer " + cached.value();
    }
    // Parallel blob transfers share one token request per scope set.
    synchronized (tokenLocks.computeIfAbsent(key, k -> new Object())) {
      Token now = tokens.get(key);
      if (now != null && now != cached && System.nanoTime() < now.expiresAtNanos()) {
        return "Bearer " + now.value();
      }
      return "Bearer " + fetchToken(call, challenge, creds, realm, scopes, key);
    }
  }

  private String fetchToken(Call call, AuthChallenge challenge, Credentials creds, String realm,
      Set<String> scopes, String key) throws IOException {
    URI realmUri = URI.create(realm);
    if (!"https".equals(realmUri.getScheme())
        && !("http".equals(realmUri.getScheme()) && hosts.isInsecure(authority(realmUri)))) {
      throw new RegistryAuthException(call.subject(), "token realm " + realm
          + " is not https and its host is not marked insecure", 401, List.of());
    }
    StringBuilder q = new StringBuilder();
    String service = challenge.param("service");
    if (service != null) {
      q.append("service=").append(URLEncoder.encode(service, StandardCharsets.UTF_8));
    }
    for (String s : scopes) {
      q.append(q.length() == 0 ? "" : "&").append("scope=")
          .append(URLEncoder.encode(s, StandardCharsets.UTF_8));
    }
    URI tokenUri = URI.create(realm + (q.length() == 0 ? "" : (realm.contains("?") ? "&" : "?") + q));
    HttpRequest.Builder b = HttpRequest.newBuilder(tokenUri).timeout(requestTimeout)
        .header("User-Agent", USER_AGENT).GET();
    if (creds != null) {
      // The realm is the registry's own token service: its credentials are meant for it.
      b.header("Authorization", basic(creds));
    }
    HttpResponse<byte[]> resp;
    try {
      resp = http().send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedIOException e) {
      throw e;
    } catch (IOException e) {
      throw new TokenServiceIOException(realmUri, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted fetching a token");
    }
    if (resp.statusCode() != 200) {
      throw new RegistryAuthException(call.subject(), "token service " + authority(realmUri)
          + " refused scope " + scopes + (creds == null ? " (anonymous)" : " for user " + creds.username()),
          resp.statusCode(), parseErrors(resp.body()));
    }
    JsonNode json;
    try {
      json = dev.boxkit.oci.json.OciJson.reader().readTree(resp.body());
    } catch (IOException e) {
      throw new RegistryAuthException(call.subject(), "token service " + authority(realmUri)
          + " answered with something other than JSON", 200, List.of());
    }
    String token = json.path("token").asText(json.path("access_token").asText(""));
    if (token.isEmpty()) {
      throw new RegistryAuthException(call.subject(), "token service " + authority(realmUri)
          + " answered without a token", 200, List.of());
    }
    long lifetime = json.path("expires_in").asLong(DEFAULT_TOKEN_LIFETIME.toSeconds());
    Duration life = Duration.ofSeconds(Math.max(lifetime, DEFAULT_TOKEN_LIFETIME.toSeconds()))
        .minus(TOKEN_EXPIRY_MARGIN);
    tokens.put(key, new Token(token, System.nanoTime() + life.toNanos()));
    LOG.debug("{}: got a token for {} valid {} s", call.registry(), scopes, life.toSeconds());
    return token;
  }

  private Response sendFollowingRedirects(Call call, String auth) throws IOException {
    URI uri = call.uri();
    String method = call.method();
    String origin = authority(call.uri());
    boolean apiHost = origin.equals(call.apiAuthority());
    for (int hop = 0; ; hop++) {
      Map<String, String> headers = new java.util.LinkedHashMap<>();
      boolean sameHost = authority(uri).equals(origin);
      if (auth != null && sameHost && apiHost) {
        headers.put("Authorization", auth);
      }
      if (sameHost || hop == 0) {
        headers.putAll(call.headers());
      } else if (call.headers().containsKey("Range")) {
        headers.put("Range", call.headers().get("Range"));
      }
      Response r;
      if (call.download() && method.equals("GET") && call.body() == null) {
        r = sendBlocking(uri, headers);
      } else {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(requestTimeout)
            .header("User-Agent", USER_AGENT);
        if ("http".equals(uri.getScheme())) {
          // No h2c upgrade attempts on plain HTTP: registries speak HTTP/1.1 there.
          b.version(HttpClient.Version.HTTP_1_1);
        }
        headers.forEach(b::header);
        HttpRequest.BodyPublisher body = call.body() == null || hop > 0
            ? HttpRequest.BodyPublishers.noBody() : call.body().get();
        b.method(method, body);
        HttpResponse<InputStream> resp;
        try {
          resp = http().send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted: " + method + " " + redact(uri));
        }
        r = new Response(resp.statusCode(), resp.headers(), resp.body(), uri);
      }
      int s = r.status();
      boolean redirect = s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
      if (!redirect || !(method.equals("GET") || method.equals("HEAD"))) {
        return r;
      }
      String location = r.header("Location").orElse(null);
      r.close();
      if (location == null) {
        throw new RegistryException(call.subject(), "redirect without Location from " + redact(uri),
            s, List.of(), null);
      }
      if (hop >= MAX_REDIRECTS) {
        throw new RegistryException(call.subject(), "more than " + MAX_REDIRECTS + " redirects from "
            + redact(call.uri()), s, List.of(), null);
      }
      URI next = uri.resolve(location);
      if ("https".equals(uri.getScheme()) && !"https".equals(next.getScheme())) {
        throw new RegistryException(call.subject(), "refusing redirect from https to "
            + redact(next), s, List.of(), null);
      }
      LOG.debug("{} {} redirected to {}", method, redact(uri), redact(next));
      uri = next;
    }
  }

  /**
   * One {@code GET} hop with {@link HttpURLConnection}: proxies as the JVM's default {@link
   * java.net.ProxySelector} says (as the HTTP client, built without a selector of its own), no
   * redirects followed (the caller follows them), TLS with this transport's context and the JDK's
   * host name check. Keep-alive connections are the JDK's to pool.
   */
  private Response sendBlocking(URI uri, Map<String, String> headers) throws IOException {
    HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
    if (c instanceof HttpsURLConnection https) {
      https.setSSLSocketFactory(socketFactory());
    }
    c.setInstanceFollowRedirects(false);
    c.setUseCaches(false);
    c.setConnectTimeout((int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
    c.setReadTimeout((int) Math.min(Integer.MAX_VALUE, requestTimeout.toMillis()));
    c.setRequestProperty("User-Agent", USER_AGENT);
    headers.forEach(c::setRequestProperty);
    try {
      c.connect();
    } catch (java.net.SocketTimeoutException e) {
      // As java.net.http reports it, so both paths map to RegistryUnreachableException.
      HttpConnectTimeoutException t = new HttpConnectTimeoutException("HTTP connect timed out: " + authority(uri));
      t.initCause(e);
      throw t;
    }
    int status = c.getResponseCode();
    Map<String, List<String>> fields = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    c.getHeaderFields().forEach((k, v) -> {
      if (k != null) {
        fields.put(k, v);
      }
    });
    InputStream body = status < 400 ? c.getInputStream() : c.getErrorStream();
    HttpHeaders h = HttpHeaders.of(fields, (k, v) -> true);
    long length = h.firstValueAsLong("Content-Length").orElse(-1);
    if (body == null) {
      body = InputStream.nullInputStream();
    } else if (length >= 0 && !"HEAD".equals(c.getRequestMethod())) {
      body = new LengthCheckedInputStream(body, length);
    }
    return new Response(status, h, body, uri);
  }

  /**
   * Fails with an {@link EOFException} when the stream ends before {@code Content-Length} bytes:
   * {@link HttpURLConnection} reports a connection closed early as a normal end of a
   * fixed-length body, which would turn a download that may be started again into a digest
   * mismatch.
   */
  static final class LengthCheckedInputStream extends java.io.FilterInputStream {
    private long left;

    LengthCheckedInputStream(InputStream in, long length) {
      super(in);
      this.left = length;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      count(b < 0 ? -1 : 1);
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      count(n);
      return n;
    }

    private void count(int n) throws IOException {
      if (n < 0) {
        if (left > 0) {
          throw new EOFException("connection closed " + left + " bytes before the end of the body");
        }
        return;
      }
      left -= n;
    }
  }

  private javax.net.ssl.SSLSocketFactory socketFactory() {
    javax.net.ssl.SSLSocketFactory f = socketFactory;
    if (f == null) {
      f = tls.getSocketFactory();
      socketFactory = f;
    }
    return f;
  }

  /** @return {@code host:port} with the scheme's default port made explicit */
  static String authority(URI uri) {
    int port = uri.getPort();
    if (port < 0) {
      port = "https".equals(uri.getScheme()) ? 443 : 80;
    }
    return uri.getHost() + ":" + port;
  }

  /** @return the URI without its query, which may carry signed storage credentials */
  static String redact(URI uri) {
    return uri.getScheme() + "://" + uri.getRawAuthority() + uri.getRawPath();
  }

  /** Parses a distribution-spec error body; an unparsable body gives an empty list. */
  static List<RegistryError> parseErrors(byte[] body) {
    List<RegistryError> out = new ArrayList<>();
    try {
      JsonNode errors = dev.boxkit.oci.json.OciJson.reader().readTree(body).path("errors");
      for (JsonNode e : errors) {
        JsonNode detail = e.get("detail");
        out.add(new RegistryError(e.path("code").asText(""), e.path("message").asText(""),
            detail == null || detail.isNull() ? null : detail.toString()));
      }
    } catch (IOException | RuntimeException e) {
      // not JSON: the status alone must do
    }
    return out;
  }

  /** @return the typed exception for a failed response (reads and closes its body) */
  static RegistryException error(Response r, String subject, String what) {
    byte[] body;
    try {
      body = r.status() == 0 ? new byte[0] : r.body().readNBytes(MAX_ERROR_BODY);
    } catch (IOException e) {
      body = new byte[0];
    } finally {
      r.close();
    }
    List<RegistryError> errors = parseErrors(body);
    int s = r.status();
    boolean notFound = errors.stream().anyMatch(e -> e.code().equals(RegistryError.MANIFEST_UNKNOWN)
        || e.code().equals(RegistryError.BLOB_UNKNOWN) || e.code().equals(RegistryError.NAME_UNKNOWN));
    if (s == 401 || s == 403) {
      return new RegistryAuthException(subject, what + (s == 401 ? ": authentication required"
          : ": access denied"), s, errors);
    }
    if (s == 404 || notFound) {
      return new RegistryNotFoundException(subject, what + ": not found", s, errors);
    }
    return new RegistryException(subject, what + " failed", s, errors, null);
  }
}
