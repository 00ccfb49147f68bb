package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSetupException;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.testing.ExternalTools;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What only the VM's relay has, booted for real (TCG): large streams both ways under its flow
 * control, many at once, and clean-up. Published ports, allow-lists and shared networks as both
 * backends must show them are in {@link BackendConformanceTest}.
 */
class QemuVmNetworkTest {
  private static final String BB = "/usr/bin/busybox";
  @TempDir static Path tmp;
  private static VmSandboxProvider provider;
  private static Path root;

  @BeforeAll
  static void setUp() throws Exception {
    provider = TestVms.qemuProvider();
    ExternalTools.require("busybox", "busybox-static");
    ExternalTools.require("curl", "curl");
    root = TestVms.rootWith(Files.createDirectories(tmp.resolve("root")), List.of("/bin/sh", BB, "/usr/bin/curl"));
    Files.writeString(Files.createDirectories(root.resolve("etc")).resolve("nsswitch.conf"), "hosts: files\n");
  }

  private static SandboxSpec.Builder sh(String script) {
    return SandboxSpec.builder().root(Rootfs.directory(root)).mount(Mount.tmpfs("/tmp", 32L << 20))
        .command(BB, "sh", "-c", script);
  }

  @Test
  void publishedPortsCarryLargeStreamsBothWaysAndCloseWithTheSandbox() throws Exception {
    String script = String.join("; ",
        "B=" + BB, "$B mkdir -p /tmp/www", "$B head -c 3000000 /dev/urandom > /tmp/www/big",
        "$B sha256sum /tmp/www/big", "$B httpd -p 127.0.0.1:8080 -h /tmp/www",
        "$B nc -l -p 9000 | $B sha256sum", "echo uploaded", "exec $B sleep 600");
    try (SandboxProcess p = provider.start(sh(script).publish(8080).publish(9000).build())) {
      int web = p.mappedPort(8080);
      int upload = p.mappedPort(9000);
      assertTrue(web > 0 && upload > 0 && web != upload);
      BufferedReader out = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.UTF_8));
      String bigSha = out.readLine().split(" ")[0];

      // Download (guest to host): 3 MB through a 128 KiB window, byte for byte.
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<byte[]> got = null;
      for (int i = 0; i < 100 && got == null; i++) {
        try {
          got = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web + "/big")).build(),
              HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
          Thread.sleep(100); // httpd not listening yet: the relay closes the connection at once
        }
      }
      assertEquals(200, got.statusCode());
      assertEquals(3_000_000, got.body().length);
      assertEquals(bigSha, sha256(got.body()));

      // Many connections at once through one published port, each its own stream.
      List<java.util.concurrent.CompletableFuture<HttpResponse<byte[]>>> many = new java.util.ArrayList<>();
      for (int i = 0; i < 64; i++) {
        many.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web + "/big")).build(),
            HttpResponse.BodyHandlers.ofByteArray()));
      }
      for (var f : many) {
        assertEquals(bigSha, sha256(f.get().body()));
      }

      // Upload (host to guest), then end of file: nc sees it, exits, and the stream ends.
      byte[] data = new byte[2_000_000];
      new Random(7).nextBytes(data);
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), upload)) {
        s.getOutputStream().write(data);
        s.shutdownOutput();
        s.setSoTimeout(60_000);
        assertEquals(-1, s.getInputStream().read(), "the guest closed its side after nc ended");
      }
      assertEquals(sha256(data), out.readLine().split(" ")[0]);
      assertEquals("uploaded", out.readLine());
      p.close();
      assertThrows(ConnectException.class, () -> new Socket(InetAddress.getLoopbackAddress(), web).close(),
          "the listener closed with the sandbox");
    }
    Thread.sleep(200);
    assertTrue(Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.getName().startsWith("boxkit-vm-stream") || t.getName().startsWith("boxkit-vm-publish")),
        "no relay thread outlives the sandbox");
  }

  @Test
  void aHostPortInUseFailsTheStartNamingItAndLeavesNothingListening() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      SandboxSetupException e = assertThrows(SandboxSetupException.class,
          () -> provider.start(sh("true").publish(18_081, 8080).publish(port, 8081).build()));
      assertEquals("publish", e.step());
      assertEquals("127.0.0.1:" + port, e.path().orElseThrow());
      // The first listener, bound before the failure, was closed again.
      new ServerSocket(18_081, 5, InetAddress.getLoopbackAddress()).close();
    }
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }
}
