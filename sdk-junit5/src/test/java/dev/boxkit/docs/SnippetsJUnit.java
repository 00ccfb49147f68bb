package dev.boxkit.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.image.Image;
import dev.boxkit.image.ImageBuilder;
import dev.boxkit.image.Layer;
import dev.boxkit.junit5.BoxKitTest;
import dev.boxkit.junit5.Readiness;
import dev.boxkit.junit5.SandboxImage;
import dev.boxkit.junit5.SandboxService;
import dev.boxkit.junit5.Sandboxed;
import dev.boxkit.junit5.ServiceLogConsumer;
import dev.boxkit.junit5.TestSandbox;
import dev.boxkit.junit5.UnixSocketForwarder;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.NetworkMode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Snippets of junit.md; {@link DocsSnippetsTest} runs the test classes. */
final class SnippetsJUnit {
  private SnippetsJUnit() {}

  // tag::junit-basic[]
  @BoxKitTest
  static class ShellTest {
    @SandboxImage(executables = {"/bin/sh", "/bin/ls", "/bin/cat"})
    static Image tools;                                    // built once, cached by digest

    @Sandboxed
    TestSandbox sandbox;                                   // a fresh one for every test

    @Test
    void seesOnlyTheImage() {
      ExecResult r = sandbox.exec("ls", "/");
      assertEquals(0, r.exitCode(), r.stderrText());
      assertTrue(r.stdoutText().contains("proc"), r.stdoutText());
      assertFalse(r.stdoutText().contains("home"), r.stdoutText()); // nothing else of the host
    }

    @Test
    void sharesTmpWithTheTest() throws Exception {
      sandbox.exec("sh", "-c", "echo done > /tmp/result");
      assertEquals("done\n", Files.readString(sandbox.hostTmp().resolve("result")));
    }
  }
  // end::junit-basic[]

  // tag::junit-factory[]
  @BoxKitTest
  static class FactoryTest {
    @SandboxImage(factory = "app")
    static Image app;

    static ImageBuilder app() {                            // the extension adds the cache dir
      return Image.builder()
          .layer(Layer.fromExecutables(Path.of("/bin/sh")))
          .layer(Layer.of("config", b -> b.addFile("/etc/app.conf",
              "mode=test\n".getBytes(StandardCharsets.UTF_8))))
          .env("PATH", "/bin");
    }

    @Test
    void readsItsConfig(@Sandboxed TestSandbox sandbox) {
      ExecResult r = sandbox.exec("sh", "-c", "read line < /etc/app.conf; echo $line");
      assertEquals("mode=test\n", r.stdoutText());
      assertNotEquals(0, sandbox.exec("sh", "-c", "echo x > /etc/app.conf").exitCode()); // read-only
    }
  }
  // end::junit-factory[]

  // tag::junit-service[]
  @BoxKitTest
  static class WebTest {
    @SandboxImage(executables = "/bin/busybox")
    static Image busybox;

    @Sandboxed                                             // NetworkMode.NONE: no network but lo
    TestSandbox sandbox;

    @Test
    void servesFiles() throws Exception {
      Files.writeString(sandbox.hostTmp().resolve("index.html"), "hi\n");
      SandboxService web = sandbox.startService(
          sandbox.spec("busybox", "httpd", "-f", "-p", "8080", "-h", "/tmp").publish(8080).build(),
          Readiness.port(8080),                            // httpd answers through the published port
          Duration.ofSeconds(30));
      int port = web.mappedPort(8080);                     // a free port on the host's 127.0.0.1

      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/index.html")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals("hi\n", r.body(), web.stderrTail());
    }                                                      // the server is stopped after the test
  }
  // end::junit-service[]

  // tag::junit-unix-socket[]
  @BoxKitTest
  static class IsolatedServiceTest {
    @Sandboxed                                             // NetworkMode.NONE: no network at all
    TestSandbox sandbox;

    @Test
    void answersThroughItsSocket() throws Exception {
      sandbox.startService(Readiness.unixSocket("/tmp/app.sock"),
          "perl", "-e", SERVER_ON_A_UNIX_SOCKET, "/tmp/app.sock");
      UnixSocketForwarder forward = sandbox.forwardUnixSocket("/tmp/app.sock");

      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + forward.port() + "/")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
    }
  }
  // end::junit-unix-socket[]

  /** An HTTP server on the Unix socket named by its argument, in perl (always on Debian). */
  static final String SERVER_ON_A_UNIX_SOCKET = "use IO::Socket::UNIX; unlink $ARGV[0]; $SIG{PIPE} = 'IGNORE';"
      + "$s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $ARGV[0], Listen => 5) or die;"
      + "while ($c = $s->accept) { while (<$c>) { last if /^\\r?$/ }"
      + " print $c \"HTTP/1.0 200 OK\\r\\n\\r\\nhi\\n\"; close $c }";

  static void readiness(TestSandbox sandbox) {
    // tag::junit-readiness[]
    sandbox.startService(Readiness.logLine("ready to accept connections"), "my-db", "--port", "5432");
    sandbox.startService(Readiness.command("test", "-S", "/tmp/app.sock"), "my-app", "--socket", "/tmp/app.sock");
    SandboxService slow = sandbox.startService(
        sandbox.spec("my-server").env("MODE", "test").publish(8080).build(), // any spec
        Readiness.port(8080),
        Duration.ofMinutes(2));                                  // the default wait is 30 s
    // end::junit-readiness[]
    assertTrue(slow.isRunning());
  }

  // tag::junit-class-service[]
  @BoxKitTest
  static class ClassServiceTest {
    @SandboxImage(executables = "/bin/busybox")
    static Image busybox;

    @Sandboxed
    static TestSandbox sandbox;                            // one for the class, closed after it

    static SandboxService web;

    @BeforeAll
    static void startWeb() throws Exception {
      Files.writeString(sandbox.hostTmp().resolve("health"), "ok\n");
      web = sandbox.startService(
          sandbox.spec("busybox", "httpd", "-f", "-vv", "-p", "8080", "-h", "/tmp").publish(8080).build(),
          Readiness.http(8080, "/health", 200),            // GET /health answers 200
          Duration.ofSeconds(30),
          ServiceLogConsumer.toSlf4j("web"));              // each request line, as httpd logs it
    }

    @Test
    void servesHealth() throws Exception {
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.mappedPort(8080) + "/health")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals("ok\n", r.body());
    }
  }
  // end::junit-class-service[]
}
