package dev.boxkit.sandbox.internal.egress;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.boxkit.sandbox.EgressEvent;
import dev.boxkit.sandbox.EgressPolicy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EgressProxyTest {

  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  private HttpServer allowed;
  private HttpServer denied;
  private ServerSocket echo;
  private ExecutorService echoThreads;
  private final AtomicInteger deniedHits = new AtomicInteger();
  private final AtomicReference<Map<String, List<String>>> seenHeaders = new AtomicReference<>();
  private final List<EgressEvent> events = new CopyOnWriteArrayList<>();
  private EgressProxy proxy;

  private int allowedPort() {
    return allowed.getAddress().getPort();
  }

  private int deniedPort() {
    return denied.getAddress().getPort();
  }

  private final Resolver resolver = host -> {
    switch (host) {
      case "allowed.test", "denied.test", "echo.test" -> {
        return List.of(LOOPBACK);
      }
      case "private.test" -> {
        return List.of(InetAddress.getByAddress(host, new byte[] {10, 0, 0, 1}));
      }
      default -> throw new UnknownHostException(host);
    }
  };

  @BeforeEach
  void servers() throws IOException {
    allowed = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
    allowed.createContext("/", ex -> {
      seenHeaders.set(Map.copyOf(ex.getRequestHeaders()));
      byte[] body = ("hello from allowed " + ex.getRequestURI()).getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    allowed.start();
    denied = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
    denied.createContext("/", ex -> {
      deniedHits.incrementAndGet();
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    denied.start();
    echo = new ServerSocket(0, 512, LOOPBACK);
    echoThreads = Executors.newCachedThreadPool();
    echoThreads.execute(() -> {
      while (!echo.isClosed()) {
        try {
          Socket s = echo.accept();
          echoThreads.execute(() -> echoOne(s));
        } catch (IOException e) {
          return;
        }
      }
    });
    proxy = start(events::add);
  }

  private EgressProxy start(Consumer<EgressEvent> listener) {
    return EgressProxy.start(policy(), resolver, listener);
  }

  private EgressPolicy policy() {
    return EgressPolicy.allow("allowed.test:" + allowedPort(), "127.0.0.1/32:" + allowedPort(),
        "echo.test:" + echo.getLocalPort(), "127.0.0.1/32:" + echo.getLocalPort(),
        "private.test", "nowhere.test");
  }

  private static void echoOne(Socket s) {
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      in.transferTo(out);
    } catch (IOException e) {
      // the client went away; nothing to echo
    }
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    allowed.stop(0);
    denied.stop(0);
    echo.close();
    echoThreads.shutdownNow();
  }

  private HttpClient client() {
    return HttpClient.newBuilder()
        .proxy(ProxySelector.of(new InetSocketAddress(LOOPBACK, proxy.port())))
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  private Socket connect() throws IOException {
    Socket s = new Socket(LOOPBACK, proxy.port());
    s.setSoTimeout(20_000);
    return s;
  }

  /** Reads up to and including the blank line that ends a response head. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      b.write(c);
      String s = b.toString(ISO_8859_1);
      if (s.endsWith("\r\n\r\n")) {
        return s;
      }
    }
    return b.toString(ISO_8859_1);
  }

  /** Sends raw bytes as a client and returns the whole answer (the proxy closes after). */
  private String exchange(String request) throws IOException {
    return exchange(request, false);
  }

  private String exchange(String request, boolean halfClose) throws IOException {
    try (Socket s = connect()) {
      s.getOutputStream().write(request.getBytes(ISO_8859_1));
      if (halfClose) {
        s.shutdownOutput();
      }
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void plainHttpReachesTheAllowedServer() throws Exception {
    HttpResponse<String> r = client().send(HttpRequest.newBuilder(
        URI.create("http://allowed.test:" + allowedPort() + "/hello?x=1")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals("hello from allowed /hello?x=1", r.body());
    assertEquals(List.of(), events);
  }

  @Test
  void forwardedRequestsCarryTheUriAuthorityAndNoProxyHeaders() throws Exception {
    String answer = exchange("GET http://allowed.test:" + allowedPort() + "/p HTTP/1.1\r\n"
        + "Host: evil.example\r\nProxy-Authorization: Basic c2VjcmV0\r\n"
        + "Proxy-Connection: keep-alive\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n"
        + "X-Kept: yes\r\n\r\n");
    assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
    assertTrue(answer.endsWith("hello from allowed /p"), answer);
    Map<String, List<String>> h = seenHeaders.get();
    assertEquals(List.of("allowed.test:" + allowedPort()), h.get("Host"));
    assertEquals(List.of("yes"), h.get("X-kept"));
    assertNull(h.get("Proxy-authorization"));
    assertNull(h.get("Proxy-connection"));
    assertNull(h.get("X-hop"));
    assertEquals(List.of("close"), h.get("Connection"));
  }

  @Test
  void connectTunnelsToTheAllowedServer() throws Exception {
    try (Socket s = connect()) {
      OutputStream out = s.getOutputStream();
      out.write(("CONNECT allowed.test:" + allowedPort() + " HTTP/1.1\r\nHost: allowed.test:"
          + allowedPort() + "\r\n\r\n").getBytes(ISO_8859_1));
      String head = readHead(s.getInputStream());
      assertTrue(head.startsWith("HTTP/1.1 200 "), head);
      out.write("GET /tunnel HTTP/1.1\r\nHost: allowed.test\r\nConnection: close\r\n\r\n"
          .getBytes(ISO_8859_1));
      String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
      assertTrue(answer.endsWith("hello from allowed /tunnel"), answer);
    }
    assertEquals(List.of(), events);
  }

  private EgressEvent onlyEvent() {
    assertEquals(1, events.size(), events::toString);
    EgressEvent e = events.get(0);
    events.clear();
    return e;
  }

  @Test
  void deniedNameGets403AndOneEvent() throws Exception {
    String answer = exchange("CONNECT denied.test:" + deniedPort() + " HTTP/1.1\r\n\r\n");
    assertTrue(answer.startsWith("HTTP/1.1 403 Forbidden\r\n"), answer);
    assertTrue(answer.endsWith("\r\n\r\nnot on the allow-list\n"), answer);
    EgressEvent e = onlyEvent();
    assertEquals("denied.test", e.host());
    assertEquals(deniedPort(), e.port());
    assertNull(e.address());
    assertEquals("not on the allow-list", e.reason());

    HttpResponse<String> r = client().send(HttpRequest.newBuilder(
        URI.create("http://denied.test:" + deniedPort() + "/")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(403, r.statusCode());
    assertEquals("not on the allow-list\n", r.body());
    assertEquals("not on the allow-list", onlyEvent().reason());
    assertEquals(0, deniedHits.get());
  }

  @Test
  void allowedNameOnAnotherPortIsDenied() throws Exception {
    String answer = exchange("CONNECT allowed.test:" + deniedPort() + " HTTP/1.1\r\n\r\n");
    assertTrue(answer.startsWith("HTTP/1.1 403"), answer);
    assertEquals("port " + deniedPort() + " not on the allow-list", onlyEvent().reason());
    assertEquals(0, deniedHits.get());
  }

  @Test
  void unlistedIpLiteralIsDenied() throws Exception {
    String answer = exchange("CONNECT 127.0.0.1:" + deniedPort() + " HTTP/1.1\r\n\r\n");
    assertTrue(answer.startsWith("HTTP/1.1 403"), answer);
    EgressEvent e = onlyEvent();
    assertEquals("IP literal not on the allow-list", e.reason());
    assertEquals("127.0.0.1", e.host());
    assertEquals("127.0.0.1", e.address());
    answer = exchange("GET http://[::1]:" + deniedPort() + "/ HTTP/1.1\r\n\r\n");
    assertTrue(answer.startsWith("HTTP/1.1 403"), answer);
    e = onlyEvent();
    assertEquals("IP literal not on the allow-list", e.reason());
    assertEquals("[::1]", e.host());
    assertEquals(0, deniedHits.get());
  }

  @Test
  void listedIpLiteralIsAllowedOnItsPort() throws Exception {
    String answer = exchange("GET http://127.0.0.1:" + allowedPort() + "/lit HTTP/1.1\r\n\r\n");
    assertTrue(answer.endsWith("hello from allowed /lit"), answer);
    assertEquals(List.of(), events);
  }

  @Test
  void nameResolvingToAPrivateAddressIsDenied() throws Exception {
    String answer = exchange("CONNECT private.test:443 HTTP/1.1\r\n\r\n");
    assertTrue(answer.startsWith("HTTP/1.1 403"), answer);
    assertTrue(answer.endsWith("resolves to a private address 10.0.0.1\n"), answer);
    EgressEvent e = onlyEvent();
    assertEquals("resolves to a private address 10.0.0.1", e.reason());
    assertEquals("10.0.0.1", e.address());
    assertEquals("private.test", e.host());
    assertEquals(443, e.port());
  }

  @Test
  void garbageGets400AndOneEvent() throws Exception {
    for (String garbage : List.of("GARBAGE\r\n\r\n", "\u0016\u0003\u0001 not http\r\n\r\n",
        "GET /origin-form HTTP/1.1\r\nHost: allowed.test\r\n\r\n",
        "GET https://allowed.test/ HTTP/1.1\r\n\r\n",
        "CONNECT allowed.test HTTP/1.1\r\n\r\n",
        "CONNECT allowed.test:99999 HTTP/1.1\r\n\r\n",
        "GET http://user@allowed.test/ HTTP/1.1\r\n\r\n",
        "GET http://127.1:80/ HTTP/1.1\r\n\r\n",
        "GET http://a b/ HTTP/1.1\r\n\r\n",
        "GET http://allowed.test/x\nX-Injected:\u0001 HTTP/1.1\r\n\r\n",
        "GET http://allowed.test/ HTTP/1.1\r\n folded: header\r\n\r\n",
        "CONNECT allowed.test:1 HTTP/1.1\r\nX: " + "x".repeat(EgressProxy.MAX_HEAD_BYTES)
            + "\r\n\r\n",
        "partial head then EOF")) {
      String answer = exchange(garbage, true);
      assertTrue(answer.startsWith("HTTP/1.1 400 Bad Request\r\n"), garbage + " -> " + answer);
      EgressEvent e = onlyEvent();
      assertTrue(e.reason().startsWith("bad request: "), e.reason());
      assertTrue(answer.endsWith(e.reason() + "\n"), answer);
    }
    assertEquals(0, deniedHits.get());
  }

  @Test
  void unresolvableNameGets502AndNoEvent() throws Exception {
    String answer = exchange("CONNECT nowhere.test:443 HTTP/1.1\r\n\r\n");
    assertTrue(answer.startsWith("HTTP/1.1 502"), answer);
    assertEquals(List.of(), events);
  }

  @Test
  void theProxyItselfIsNeverADestination() throws Exception {
    try (EgressProxy open = EgressProxy.start(EgressPolicy.allow("127.0.0.1/32"), resolver,
        events::add)) {
      try (Socket s = new Socket(LOOPBACK, open.port())) {
        s.setSoTimeout(20_000);
        s.getOutputStream().write(("CONNECT 127.0.0.1:" + open.port() + " HTTP/1.1\r\n\r\n")
            .getBytes(ISO_8859_1));
        String answer = new String(s.getInputStream().readAllBytes(), ISO_8859_1);
        assertTrue(answer.startsWith("HTTP/1.1 403"), answer);
      }
      assertEquals("the proxy itself", onlyEvent().reason());
    }
  }

  @Test
  void aThrowingListenerDoesNotBreakTheProxy() throws Exception {
    proxy.close();
    AtomicInteger calls = new AtomicInteger();
    proxy = start(e -> {
      calls.incrementAndGet();
      throw new IllegalStateException("listener bug");
    });
    assertTrue(exchange("CONNECT denied.test:1 HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 403"));
    assertTrue(exchange("CONNECT denied.test:2 HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 403"));
    assertEquals(2, calls.get());
    String answer = exchange("GET http://allowed.test:" + allowedPort() + "/ok HTTP/1.1\r\n\r\n");
    assertTrue(answer.endsWith("hello from allowed /ok"), answer);
  }

  @Test
  void twoHundredConcurrentTunnelsEcho() throws Exception {
    int n = 200;
    List<Socket> sockets = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(2 * n); // a writer and a reader each
    try {
      // All tunnels are open at once before any data flows.
      for (int i = 0; i < n; i++) {
        Socket s = connect();
        sockets.add(s);
        s.getOutputStream().write(("CONNECT echo.test:" + echo.getLocalPort()
            + " HTTP/1.1\r\n\r\n").getBytes(ISO_8859_1));
      }
      for (Socket s : sockets) {
        String head = readHead(s.getInputStream());
        assertTrue(head.startsWith("HTTP/1.1 200 "), head);
      }
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Socket s = sockets.get(i);
        byte[] payload = new byte[48 * 1024 + i];
        new Random(i).nextBytes(payload);
        done.add(pool.submit(() -> {
          // Writes while the echo answers: the reader runs alongside so no buffer fills up.
          Future<byte[]> back = pool.submit(() -> s.getInputStream().readAllBytes());
          s.getOutputStream().write(payload);
          s.shutdownOutput(); // half-close: the echo sees EOF, finishes, and closes
          assertArrayEquals(payload, back.get());
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
      for (Socket s : sockets) {
        s.close();
      }
    }
    assertEquals(List.of(), events);
  }

  private List<String> proxyThreads(int port) {
    return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
        .filter(name -> name.startsWith("boxkit-egress-proxy-" + port)
            || name.startsWith("boxkit-egress-resolver-" + port + "-"))
        .toList();
  }

  @Test
  void closeEndsEveryThreadAndConnection() throws Exception {
    int port = proxy.port();
    Socket tunnel = connect();
    tunnel.getOutputStream().write(("CONNECT echo.test:" + echo.getLocalPort()
        + " HTTP/1.1\r\n\r\n").getBytes(ISO_8859_1));
    assertTrue(readHead(tunnel.getInputStream()).startsWith("HTTP/1.1 200 "));
    Socket idle = connect();
    assertTrue(proxyThreads(port).contains("boxkit-egress-proxy-" + port));

    proxy.close();
    proxy.close(); // idempotent
    assertEquals(List.of(), proxyThreads(port));
    assertClosed(tunnel, "the tunnel was closed");
    assertClosed(idle, "the idle client was closed");
    tunnel.close();
    idle.close();
    assertThrows(ConnectException.class, () -> new Socket(LOOPBACK, port).close());
  }

  /** End of file or a reset: which one a closed peer gives depends on timing, both mean closed. */
  private static void assertClosed(Socket s, String what) throws IOException {
    s.setSoTimeout(10_000);
    try {
      assertEquals(-1, s.getInputStream().read(), what);
    } catch (java.net.SocketException reset) {
      assertTrue(reset.getMessage().contains("reset"), what + ": " + reset);
    }
  }

  @Test
  void clientsThatSendNoHeadAreDroppedAfterTheHeadTimeout() throws Exception {
    proxy.close();
    Duration shortTime = Duration.ofMillis(300);
    proxy = EgressProxy.start(policy(), resolver, events::add,
        new EgressProxy.Timeouts(shortTime, shortTime, shortTime, shortTime));
    long t0 = System.nanoTime();
    try (Socket s = connect()) {
      assertEquals(-1, s.getInputStream().read());
    }
    assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(5).toNanos());
    // An idle tunnel is closed after the idle timeout too.
    try (Socket s = connect()) {
      s.getOutputStream().write(("CONNECT echo.test:" + echo.getLocalPort()
          + " HTTP/1.1\r\n\r\n").getBytes(ISO_8859_1));
      assertTrue(readHead(s.getInputStream()).startsWith("HTTP/1.1 200 "));
      assertEquals(-1, s.getInputStream().read());
    }
    assertEquals(List.of(), events);
  }
}
