package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.NetworkMode;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSetupException;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Published ports: the host reaches a service in a sandbox with its own network namespace
 * through 127.0.0.1:mappedPort, and the sandbox still reaches nothing of the host.
 */
class PublishedPortsTest {
  @TempDir Path tmp;

  private static Path busybox() {
    return ExternalTools.require("busybox", "busybox-static");
  }

  /** A BusyBox httpd serving {@code www} on {@code port} inside, in the foreground. */
  private SandboxSpec.Builder httpd(int port) throws IOException {
    Path www = Files.createDirectories(tmp.resolve("www"));
    Files.writeString(www.resolve("index.html"), "hello from the sandbox\n");
    return Sandboxes.sh("exec " + busybox() + " httpd -f -p 127.0.0.1:" + port + " -h /srv")
        .mount(Mount.bind(www, "/srv"));
  }

  private static String get(int port, String path) throws Exception {
    HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  private static String getRetrying(int port) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      try {
        return get(port, "/index.html");
      } catch (IOException e) {
        // The listener is up before the program starts; the service inside may not be yet.
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(50);
      }
    }
  }

  @Test
  void aServiceInsideIsReachedThroughItsMappedPort() throws Exception {
    SandboxProcess p = httpd(8080).publish(8080).start();
    int port;
    try {
      port = p.mappedPort(8080);
      assertTrue(port > 0 && port < 65536, "port " + port);
      assertEquals("hello from the sandbox\n", getRetrying(port));
    } finally {
      p.close();
    }
    // Closing the sandbox closes the listener.
    assertThrows(ConnectException.class, () -> new Socket(InetAddress.getLoopbackAddress(), port).close());
    assertThrows(InvalidSandboxSpecException.class, () -> p.mappedPort(9999));
  }

  @Test
  void lowPortsNeedNoCapabilityInside() throws Exception {
    try (SandboxProcess p = httpd(80).publish(80).start()) {
      assertEquals("hello from the sandbox\n", getRetrying(p.mappedPort(80)));
    }
  }

  @Test
  void aFixedHostPortInUseIsAClearErrorAndNothingIsLeftListening() throws Exception {
    Sandboxes.require();
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      SandboxSetupException e = assertThrows(SandboxSetupException.class,
          () -> Sandboxes.sh("true").publish(taken.getLocalPort(), 8080).run());
      assertEquals("publish", e.step());
      assertTrue(e.getMessage().contains("127.0.0.1:" + taken.getLocalPort()), e.getMessage());
      assertTrue(e.getMessage().contains("EADDRINUSE"), e.getMessage());
    }
  }

  @Test
  void aFixedHostPortIsUsed() throws Exception {
    int free;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      free = s.getLocalPort();
    }
    try (SandboxProcess p = httpd(8080).publish(free, 8080).start()) {
      assertEquals(free, p.mappedPort(8080));
      assertEquals("hello from the sandbox\n", getRetrying(free));
    }
  }

  @Test
  void theSandboxStillCannotReachTheHostLoopback() throws Exception {
    busybox();
    try (ServerSocket host = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      ExecResult r = Sandboxes.sh(busybox() + " nc -w 2 127.0.0.1 " + host.getLocalPort()
          + " </dev/null && echo REACHED || echo REFUSED").publish(8080).run();
      assertEquals("REFUSED\n", r.stdoutText(), r.stderrText());
    }
  }

  @Test
  void manyConcurrentConnectionsThroughOnePort() throws Exception {
    try (SandboxProcess p = httpd(8080).publish(8080).start()) {
      int port = p.mappedPort(8080);
      getRetrying(port);
      HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        all.add(c.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/index.html"))
            .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString()));
      }
      for (CompletableFuture<HttpResponse<String>> f : all) {
        assertEquals("hello from the sandbox\n", f.join().body());
      }
    }
  }

  @Test
  void bytesFlowBothWaysWithHalfClose() throws Exception {
    // nc inside echoes what it reads after the client's end of input, through cat.
    try (SandboxProcess p = Sandboxes.sh(busybox() + " nc -l -p 7000 -e /bin/cat").publish(7000).start()) {
      int port = p.mappedPort(7000);
      byte[] data = new byte[3 << 20];
      new java.util.Random(1).nextBytes(data);
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      byte[] back = null;
      while (back == null) {
        // Until nc listens inside, the relay is refused there and closes: a write may then
        // fail with a broken pipe, or the read end with nothing. Either means "try again".
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
          OutputStream out = s.getOutputStream();
          InputStream in = s.getInputStream();
          CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
            try {
              return in.readAllBytes();
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          });
          out.write(data);
          s.shutdownOutput();
          byte[] got = reader.join();
          if (got.length > 0 || System.nanoTime() > deadline) {
            back = got;
          }
        } catch (IOException | java.util.concurrent.CompletionException e) {
          if (System.nanoTime() > deadline) {
            throw e;
          }
        }
        Thread.sleep(50);
      }
      assertEquals(data.length, back.length);
      assertTrue(java.util.Arrays.equals(data, back), "the same bytes came back");
    }
  }

  @Test
  void badPublishingIsRefusedNamingPorts() {
    assertEquals("ports", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandboxes.sh("true").publish(0).build()).field());
    assertEquals("ports", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandboxes.sh("true").publish(70000, 80).build()).field());
    assertEquals("ports", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandboxes.sh("true").publish(80).publish(80).build()).field());
    assertEquals("ports", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandboxes.sh("true").publish(5000, 80).publish(5000, 81).build()).field());
    assertEquals("ports", assertThrows(InvalidSandboxSpecException.class,
        () -> Sandboxes.sh("true").network(NetworkMode.HOST).publish(80).build()).field());
    assertNotEquals(null, Sandboxes.sh("true").publish(0, 80).publish(0, 81).build());
  }
}
