package dev.boxkit.junit5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.boxkit.image.Image;
import dev.boxkit.testing.ExternalTools;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * A class-scoped sandbox (a static {@code @Sandboxed} field) whose service, checked by HTTP
 * readiness through a published port and streaming its log lines, serves every test of the class
 * and is stopped after the class.
 */
class ClassScopedServiceTest {
  static final List<ServiceLogLine> LINES = new CopyOnWriteArrayList<>();
  static volatile SandboxService started;
  static volatile TestSandbox fieldSandbox;
  static volatile TestSandbox firstTestSandbox;

  /** Run through the launcher below, so that what happens after the class can be checked. */
  @BoxKitTest
  static class WebSuite {
    @SandboxImage(executables = "/bin/busybox")
    static Image busybox;

    @Sandboxed
    static TestSandbox shared;                             // one for the class

    static SandboxService web;

    @BeforeAll
    static void startWeb(@Sandboxed TestSandbox sameSandbox) throws Exception {
      assertSame(shared, sameSandbox, "a @BeforeAll parameter gets the class's sandbox");
      Files.writeString(shared.hostTmp().resolve("index.html"), "class-scoped\n");
      web = shared.startService(
          shared.spec("busybox", "httpd", "-f", "-vv", "-p", "8080", "-h", "/tmp").publish(8080).build(),
          Readiness.http(8080, "/index.html", 200), Duration.ofSeconds(30), LINES::add);
      started = web;
      fieldSandbox = shared;
    }

    @Test
    void first() throws Exception {
      firstTestSandbox = shared;
      assertEquals("class-scoped\n", get(web.mappedPort(8080), "/index.html").body());
    }

    @Test
    void second() throws Exception {
      assertEquals(404, get(web.mappedPort(8080), "/missing").statusCode());
    }
  }

  static HttpResponse<String> get(int port, String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void oneServiceServesTheClassStreamsItsLogAndIsStoppedAfterIt() {
    if (ExternalTools.find("busybox").isEmpty() && !ExternalTools.required()) {
      org.junit.jupiter.api.Assumptions.abort("busybox (busybox-static) is not installed");
    }
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
        .selectors(selectClass(WebSuite.class))
        .configurationParameter(BoxKitExtension.CACHE_DIR_PARAMETER,
            Path.of("target", "boxkit-cache").toAbsolutePath().toString())
        .build(), listener);
    TestExecutionSummary s = listener.getSummary();
    StringBuilder failures = new StringBuilder();
    s.getFailures().forEach(f -> failures.append(f.getTestIdentifier().getDisplayName()).append(": ")
        .append(f.getException()).append('\n'));
    assertEquals(0, s.getTotalFailureCount(), failures.toString());
    assertEquals(2, s.getTestsSucceededCount());

    assertNotNull(started);
    assertSame(fieldSandbox, firstTestSandbox, "the static field kept one sandbox for the class");
    assertFalse(started.isRunning(), "the class's service was not stopped after the class");
    assertFalse(Files.exists(fieldSandbox.hostTmp()), "the class's scratch directory is left");
    // httpd -vv logs each request on stderr; both tests' requests were streamed, not only tailed.
    List<String> stderr = LINES.stream().filter(l -> l.stream() == ServiceLogLine.Stream.STDERR)
        .map(ServiceLogLine::text).toList();
    assertTrue(stderr.stream().anyMatch(l -> l.contains("url:/index.html")), stderr.toString());
    assertTrue(stderr.stream().anyMatch(l -> l.contains("url:/missing")), stderr.toString());
    assertTrue(stderr.stream().noneMatch(l -> l.endsWith("\n") || l.endsWith("\r")), stderr.toString());
  }
}
