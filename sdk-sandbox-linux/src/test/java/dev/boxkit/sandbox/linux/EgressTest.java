package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.boxkit.sandbox.EgressEvent;
import dev.boxkit.sandbox.EgressPolicy;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.NetworkMode;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Egress allow-lists, end to end: two HTTP servers on the host's loopback stand for an allowed
 * and a denied destination (their names pinned to 127.0.0.1); programs inside reach the allowed
 * one through BoxKit's proxy and nothing else, and every refusal the proxy saw is reported.
 */
class EgressTest {
  @TempDir Path tmp;
  private HttpServer allowed;
  private HttpServer denied;
  private final AtomicInteger deniedHits = new AtomicInteger();

  private static HttpServer server(String body, AtomicInteger hits) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    s.createContext("/", ex -> {
      hits.incrementAndGet();
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, b.length);
      try (OutputStream o = ex.getResponseBody()) {
        o.write(b);
      }
    });
    s.start();
    return s;
  }

  @BeforeEach
  void servers() throws IOException {
    allowed = server("allowed page\n", new AtomicInteger());
    denied = server("denied page\n", deniedHits);
  }

  @AfterEach
  void stop() {
    allowed.stop(0);
    denied.stop(0);
  }

  private EgressPolicy policy() {
    int a = allowed.getAddress().getPort();
    List<InetAddress> lo = List.of(InetAddress.getLoopbackAddress());
    // The loopback range is allowed for the allowed server's port only: names resolving there
    // are otherwise refused as DNS rebinding.
    return EgressPolicy.allow("allowed.test:" + a, "127.0.0.1/32:" + a)
        .withPinnedHosts(Map.of("allowed.test", lo, "denied.test", lo));
  }

  @Test
  void onlyTheAllowedDestinationIsReachedAndEveryRefusalIsReported() {
    ExternalTools.require("curl", "curl");
    int a = allowed.getAddress().getPort();
    int d = denied.getAddress().getPort();
    List<EgressEvent> heard = new CopyOnWriteArrayList<>();
    ExecResult r = Sandboxes.sh(String.join("; ",
        "echo plain: $(curl -fsS http://allowed.test:" + a + "/)",
        "echo tunnel: $(curl -fsS --proxytunnel http://allowed.test:" + a + "/)",
        "curl -fsS http://denied.test:" + d + "/ || echo denied-name: refused",
        // NO_PROXY sends loopback direct (it is the sandbox's own); --noproxy '' asks the proxy.
        "curl -fsS --noproxy '' http://127.0.0.1:" + d + "/ || echo literal: refused",
        "curl -fsS -m 3 --noproxy '*' http://127.0.0.1:" + a + "/ || echo direct: no route",
        "getent hosts example.org || echo dns: none",
        "true"))
        .egress(policy()).onEgressDenied(heard::add).run();
    String out = r.stdoutText();
    assertTrue(out.contains("plain: allowed page"), out + r.stderrText());
    assertTrue(out.contains("tunnel: allowed page"), out + r.stderrText());
    for (String refused : List.of("denied-name: refused", "literal: refused", "direct: no route", "dns: none")) {
      assertTrue(out.contains(refused), refused + " in " + out + r.stderrText());
    }
    assertEquals(0, deniedHits.get(), "the denied server was never reached");
    assertEquals(2, r.egressDenied().size(), r.egressDenied().toString());
    assertEquals("denied.test", r.egressDenied().get(0).host());
    assertEquals("not on the allow-list", r.egressDenied().get(0).reason());
    assertEquals(d, r.egressDenied().get(1).port());
    assertTrue(r.egressDenied().get(1).reason().contains("IP literal"), r.egressDenied().get(1).reason());
    assertEquals(r.egressDenied(), List.copyOf(heard), "the listener heard the same refusals");
  }

  @Test
  void aJavaProgramInsideUsesTheProxyThroughJavaToolOptions() throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Path src = Files.writeString(Files.createDirectories(tmp.resolve("src")).resolve("Fetch.java"),
        "public class Fetch { public static void main(String[] a) throws Exception {"
        + " var c = java.net.http.HttpClient.newBuilder().proxy(java.net.ProxySelector.getDefault()).build();"
        + " var r = c.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(a[0])).build(),"
        + " java.net.http.HttpResponse.BodyHandlers.ofString());"
        + " System.out.print(r.statusCode() + \" \" + r.body()); } }");
    ExecResult r = Sandboxes.sh(java + " -Xshare:off /mnt/Fetch.java http://allowed.test:"
        + allowed.getAddress().getPort() + "/; " + java + " -Xshare:off /mnt/Fetch.java http://denied.test:"
        + denied.getAddress().getPort() + "/")
        .mount(Mount.bind(src.getParent(), "/mnt")).mount(Mount.tmpfs("/tmp", 64L << 20))
        .egress(policy()).run();
    String[] lines = r.stdoutText().split("\n");
    assertEquals("200 allowed page", lines[0], r.stdoutText() + r.stderrText());
    assertTrue(lines[1].startsWith("403"), r.stdoutText());
  }

  @Test
  void anAllowListNeedsItsOwnNetwork() {
    assertEquals("egress", org.junit.jupiter.api.Assertions.assertThrows(InvalidSandboxSpecException.class,
        () -> Sandboxes.sh("true").network(NetworkMode.HOST).egress(EgressPolicy.allow("example.org")).build()).field());
  }
}
