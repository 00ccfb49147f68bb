package dev.boxkit.samples.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.image.Image;
import dev.boxkit.image.ImageBuilder;
import dev.boxkit.junit5.BoxKitTest;
import dev.boxkit.junit5.Readiness;
import dev.boxkit.junit5.SandboxImage;
import dev.boxkit.junit5.SandboxService;
import dev.boxkit.junit5.Sandboxed;
import dev.boxkit.junit5.TestSandbox;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.NetworkMode;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * BusyBox httpd serving {@link WebSite} from an image, in a sandbox sharing the host's network so
 * that the test can reach it; each test gets its own server on its own port.
 */
@BoxKitTest
class WebSiteTest {
  @SandboxImage(factory = "site")
  static Image site;

  @Sandboxed(network = NetworkMode.HOST)
  TestSandbox sandbox;

  private final HttpClient http = HttpClient.newHttpClient();
  private int port;
  private SandboxService server;

  static ImageBuilder site() {
    return WebSite.image(ExternalTools.require("busybox", "busybox-static"));
  }

  @BeforeEach
  void startServer() {
    port = sandbox.freePort();
    server = sandbox.startService(Readiness.port(port), WebSite.serverCommand(port).toArray(String[]::new));
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesTheIndexPage() throws Exception {
    HttpResponse<String> r = get("/");
    assertEquals(200, r.statusCode());
    assertEquals(WebSite.indexPage(), r.body());
  }

  @Test
  void answers404ForMissingPages() throws Exception {
    assertEquals(404, get("/nope.html").statusCode());
  }

  @Test
  void runsCgiScripts() throws Exception {
    HttpResponse<String> r = get("/cgi-bin/greet?boxkit");
    assertEquals(200, r.statusCode());
    assertEquals("hello, boxkit\n", r.body());
  }

  @Test
  void theServerCannotChangeItsSite() {
    ExecResult r = sandbox.exec("touch", WebSite.DOCROOT + "/index.html");
    assertNotEquals(0, r.exitCode());
    assertTrue(r.stderrText().contains("Read-only file system"), r.stderrText());
  }

  @Test
  void programsInTheSandboxReachTheServerToo() {
    ExecResult r = sandbox.exec("wget", "-q", "-O", "-", "http://127.0.0.1:" + port + "/");
    assertEquals(0, r.exitCode(), r.stderrText());
    assertEquals(WebSite.indexPage(), r.stdoutText());
  }

  @Test
  void theServerLogsEachRequest() throws Exception {
    get("/cgi-bin/greet?log");
    // The log reaches the service's stderr tail a moment after the response.
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!server.stderrTail().contains("url:/cgi-bin/greet") && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(server.stderrTail().contains("url:/cgi-bin/greet"), server.stderrTail());
  }
}
