package com.example;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.boxkit.image.Image;
import dev.boxkit.junit5.BoxKitTest;
import dev.boxkit.junit5.Readiness;
import dev.boxkit.junit5.SandboxImage;
import dev.boxkit.junit5.SandboxService;
import dev.boxkit.junit5.Sandboxed;
import dev.boxkit.junit5.ServiceLogConsumer;
import dev.boxkit.junit5.TestSandbox;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/** The JUnit page's class-scoped service, in a user's project (needs busybox-static's /bin/busybox). */
@BoxKitTest
@EnabledIf("hasBusybox")
class WebServiceTest {
  @SandboxImage(executables = "/bin/busybox")
  static Image busybox;

  @Sandboxed
  static TestSandbox sandbox;                            // one for the class, closed after it

  static SandboxService web;

  static boolean hasBusybox() {
    return Files.isExecutable(java.nio.file.Path.of("/bin/busybox"));
  }

  @BeforeAll
  static void startWeb() throws Exception {
    Files.writeString(sandbox.hostTmp().resolve("health"), "ok\n");
    web = sandbox.startService(
        sandbox.spec("busybox", "httpd", "-f", "-vv", "-p", "8080", "-h", "/tmp").publish(8080).build(),
        Readiness.http(8080, "/health", 200),
        Duration.ofSeconds(30),
        ServiceLogConsumer.toSlf4j("web"));
  }

  @Test
  void servesHealth() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.mappedPort(8080) + "/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals("ok\n", r.body());
  }

  @Test
  void answers404ForTheRest() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.mappedPort(8080) + "/missing")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(404, r.statusCode());
  }
}
