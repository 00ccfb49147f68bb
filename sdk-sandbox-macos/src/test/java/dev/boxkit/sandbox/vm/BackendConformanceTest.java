package dev.boxkit.sandbox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.boxkit.image.Image;
import dev.boxkit.image.Layer;
import dev.boxkit.oci.unpack.RootfsCache;
import dev.boxkit.sandbox.EgressPolicy;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Isolation;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxNetwork;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSetupException;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One behaviour suite, every backend: each spec runs under {@link Isolation#NAMESPACES} and
 * {@link Isolation#VM} (a real QEMU guest, TCG here) through the public {@link Sandbox} entry
 * points, and each test asserts what both must do. Where a backend cannot honour a field it must
 * refuse it by name, and the test asserts that refusal instead.
 */
class BackendConformanceTest {
  private static final String BB = "/usr/bin/busybox";
  @TempDir static Path tmp;
  private static Path root;

  static Stream<Isolation> backends() {
    return Stream.of(Isolation.NAMESPACES, Isolation.VM);
  }

  @BeforeAll
  static void setUp() throws IOException {
    TestVms.qemuProvider(); // skips (or fails under BOXKIT_REQUIRE_TOOLS=1) without QEMU and a kernel
    ExternalTools.require("busybox", "busybox-static");
    ExternalTools.require("curl", "curl");
    root = TestVms.rootWith(Files.createDirectories(tmp.resolve("root")),
        List.of("/bin/sh", BB, "/usr/bin/curl", "/usr/bin/env"));
    Files.writeString(Files.createDirectories(root.resolve("etc")).resolve("nsswitch.conf"), "hosts: files\n");
    // A shared network binds its hosts file over this one (a read-only root cannot get a new file).
    Files.writeString(root.resolve("etc/hosts"), "127.0.0.1\tlocalhost\n");
  }

  private static SandboxSpec.Builder sh(Isolation backend, String script) {
    return Sandbox.builder().isolation(backend).root(Rootfs.directory(root))
        .env("PATH", "/usr/bin:/bin").command("/bin/sh", "-c", "B=" + BB + "; " + script);
  }

  @ParameterizedTest
  @MethodSource("backends")
  void argvStdoutStderrAndExitCode(Isolation backend) {
    ExecResult r = Sandbox.run(Sandbox.builder().isolation(backend).root(Rootfs.directory(root))
        .command("/bin/sh", "-c", "printf '%s|' \"$@\"; echo; echo err >&2; exit 7", "sh", "a", "b c", "")
        .build());
    assertEquals("a|b c||\n", r.stdoutText());
    assertEquals("err\n", r.stderrText());
    assertEquals(7, r.exitCode());
    assertTrue(r.signal().isEmpty());
  }

  @ParameterizedTest
  @MethodSource("backends")
  void theEnvironmentIsExactlyTheSpecs(Isolation backend) {
    ExecResult r = Sandbox.run(Sandbox.builder().isolation(backend).root(Rootfs.directory(root))
        .env("FOO", "bar baz").env("PATH", "/bin").command("/usr/bin/env").build());
    String[] lines = r.stdoutText().split("\n");
    Arrays.sort(lines);
    assertEquals(List.of("FOO=bar baz", "PATH=/bin"), List.of(lines), r.stderrText());
  }

  @ParameterizedTest
  @MethodSource("backends")
  void workingDirectoryUserAndAWritableTmpfs(Isolation backend) {
    ExecResult r = Sandbox.run(sh(backend, "pwd; $B id -u; $B id -g; echo x > /tmp/f && $B cat /tmp/f;"
        + " $B touch /rootfile 2>&1 || echo root-ro").workingDir("/tmp").user(1000, 1000)
        .mount(Mount.tmpfs("/tmp", 1 << 20)).build());
    String out = r.stdoutText();
    assertTrue(out.startsWith("/tmp\n1000\n1000\nx\n"), out + r.stderrText());
    assertTrue(out.contains("Read-only file system") && out.endsWith("root-ro\n"), out);
  }

  @ParameterizedTest
  @MethodSource("backends")
  void procIsTheSandboxsOwnAndDevHoldsOnlyTheMinimalNodes(Isolation backend) {
    ExecResult r = Sandbox.run(sh(backend, "$B head -1 /proc/cpuinfo >/dev/null && echo cpuinfo;"
        + " $B grep -c . /proc/self/status >/dev/null && echo status;"
        + " $B ps -o pid,comm | $B grep -vc PID;"
        + " for n in null zero full random urandom tty ptmx pts shm fd stdin stdout stderr; do"
        + "   [ -e /dev/$n ] || echo missing $n; done;"
        + " for n in mem kmem port sda vda kmsg console; do [ -e /dev/$n ] && echo host-node $n; done;"
        + " echo x > /dev/null && $B head -c 5 /dev/zero | $B wc -c").build());
    String[] lines = r.stdoutText().split("\n");
    assertEquals("cpuinfo", lines[0], r.stdoutText() + r.stderrText());
    assertEquals("status", lines[1]);
    int processes = Integer.parseInt(lines[2].trim());
    assertTrue(processes >= 2 && processes <= 6, "the sandbox's own processes only, not the host's: " + r.stdoutText());
    assertEquals("5", lines[3].trim(), "no missing node and no host node: " + r.stdoutText());
    assertEquals(4, lines.length, r.stdoutText());
  }

  @ParameterizedTest
  @MethodSource("backends")
  void aSignalEndsTheProgramAndIsReported(Isolation backend) {
    ExecResult r = Sandbox.run(sh(backend, "echo before; $B kill -TERM $$; echo after").build());
    assertEquals("before\n", r.stdoutText());
    assertEquals(OptionalInt.of(15), r.signal());
    assertEquals(128 + 15, r.exitCode());
  }

  @ParameterizedTest
  @MethodSource("backends")
  void stdinFromAHostFile(Isolation backend) throws IOException {
    Path input = Files.writeString(tmp.resolve("input-" + backend + ".txt"), "first\nsecond\n");
    ExecResult r = Sandbox.run(sh(backend, "read -r a; echo \"got $a\"; $B cat").stdin(Stdio.file(input)).build());
    assertEquals("got first\nsecond\n", r.stdoutText(), r.stderrText());
  }

  @ParameterizedTest
  @MethodSource("backends")
  void theTimeoutKillsEverything(Isolation backend) {
    ExecResult r = Sandbox.run(sh(backend, "$B sleep 600 & exec $B sleep 600")
        .limits(ResourceLimits.builder().timeout(Duration.ofSeconds(3)).build()).build());
    assertTrue(r.timedOut());
    assertEquals(OptionalInt.of(9), r.signal());
  }

  @ParameterizedTest
  @MethodSource("backends")
  void aMissingProgramFailsAtStepExecNamingIt(Isolation backend) {
    SandboxSetupException e = assertThrows(SandboxSetupException.class, () -> Sandbox.run(
        Sandbox.builder().isolation(backend).root(Rootfs.directory(root)).command("/bin/no-such-program").build()));
    assertEquals("exec", e.step());
    assertEquals("/bin/no-such-program", e.path().orElseThrow());
    assertEquals(2, e.errno());
  }

  @ParameterizedTest
  @MethodSource("backends")
  void withoutANetworkOnlyLoopbackExists(Isolation backend) {
    ExecResult r = Sandbox.run(sh(backend, "$B cat /proc/net/dev | $B grep : | $B cut -d: -f1 | $B tr -d ' ';"
        + " $B wget -q -T 2 -O - http://10.0.2.2/ 2>/dev/null || echo no-route").build());
    assertEquals("lo\nno-route\n", r.stdoutText(), r.stderrText());
  }

  @ParameterizedTest
  @MethodSource("backends")
  void aPublishedPortReachesTheService(Isolation backend) throws Exception {
    Path site = Files.createDirectories(tmp.resolve("site-" + backend));
    Files.writeString(site.resolve("index.html"), "hello " + backend + "\n");
    try (SandboxProcess web = Sandbox.start(sh(backend, "$B mkdir -p /tmp/www;"
        + " echo 'hello " + backend + "' > /tmp/www/index.html; exec $B httpd -f -p 8080 -h /tmp/www")
        .mount(Mount.tmpfs("/tmp", 1 << 20)).publish(8080).build())) {
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.mappedPort(8080) + "/index.html")).build();
      String body = null;
      for (int i = 0; i < 600 && body == null; i++) {
        try {
          body = http.send(get, HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException notYet) {
          Thread.sleep(50);
        }
      }
      assertEquals("hello " + backend + "\n", body);
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void anAllowListLetsOnlyItsDestinationsThroughAndReportsTheRest(Isolation backend) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
    server.createContext("/", ex -> {
      byte[] b = "allowed page\n".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, b.length);
      try (OutputStream o = ex.getResponseBody()) {
        o.write(b);
      }
    });
    server.start();
    try {
      int port = server.getAddress().getPort();
      List<InetAddress> lo = List.of(InetAddress.getLoopbackAddress());
      ExecResult r = Sandbox.run(sh(backend, "/usr/bin/curl -fsS http://allowed.test:" + port + "/;"
          + " /usr/bin/curl -fsS http://denied.test:" + port + "/ || echo refused;"
          + " /usr/bin/curl -fsS -m 3 --noproxy '*' http://127.0.0.1:" + port + "/ || echo no-route")
          .egress(EgressPolicy.allow("allowed.test:" + port, "127.0.0.1/32:" + port)
              .withPinnedHosts(Map.of("allowed.test", lo, "denied.test", lo)))
          .build());
      assertEquals("allowed page\nrefused\nno-route\n", r.stdoutText(), r.stderrText());
      assertEquals(1, r.egressDenied().size(), r.egressDenied().toString());
      assertEquals("denied.test", r.egressDenied().get(0).host());
    } finally {
      server.stop(0);
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void anImageRootAppliesItsConfigAndKeepsNoWrite(Isolation backend) {
    // No /proc, /dev, /tmp or /work in the image: the backend makes its mount points and the
    // missing WorkingDir; the image's root is writable and what is written there is discarded.
    Image image = Image.builder().cacheDir(tmp.resolve("store"))
        .layer(Layer.fromExecutables(Path.of("/bin/sh"), Path.of(BB)))
        .layer(Layer.of("etc", l -> l
            .addFile("/etc/passwd", "root:x:0:0::/:/bin/sh\napp:x:1234:2345::/:/bin/sh\n".getBytes(StandardCharsets.UTF_8))
            .addFile("/etc/group", "root:x:0:\napp:x:2345:\n".getBytes(StandardCharsets.UTF_8))))
        .entrypoint("/bin/sh", "-c")
        .cmd("echo \"$GREETING $(" + BB + " id -u):$(" + BB + " id -g) $(pwd) $PATH\"; echo x > /written && echo wrote")
        .env("GREETING", "hello").workingDir("/work").user("app").build();
    Rootfs.FromImage root = Rootfs.image(image).withCache(RootfsCache.open(tmp.resolve("rootfs")));
    for (int run = 0; run < 2; run++) {
      ExecResult r = Sandbox.run(Sandbox.builder().isolation(backend).image(image).root(root).user("0:0")
          .command("echo \"$GREETING $(pwd)\"; [ -e /written ] && echo left-over; echo x > /written && echo wrote")
          .build());
      assertEquals("hello /work\nwrote\n", r.stdoutText(), "run " + run + ": " + r.stderrText());
    }
    ExecResult byName = Sandbox.run(Sandbox.builder().isolation(backend).image(image).root(root)
        .command("echo \"$(" + BB + " id -u):$(" + BB + " id -g) $PATH\"").build());
    assertEquals("1234:2345 " + SandboxSpec.DEFAULT_PATH + "\n", byName.stdoutText(), byName.stderrText());
  }

  @ParameterizedTest
  @MethodSource("backends")
  void membersOfASharedNetworkReachEachOtherByName(Isolation backend) {
    try (SandboxNetwork net = SandboxNetwork.create("conformance");
         SandboxProcess web = Sandbox.start(sh(backend, "$B mkdir -p /tmp/www; echo hello from web >"
             + " /tmp/www/index.html; exec $B httpd -f -p 8080 -h /tmp/www").mount(Mount.tmpfs("/tmp", 1 << 20))
             .network(net).hostname("web").build())) {
      ExecResult client = Sandbox.run(sh(backend, "for i in $($B seq 1 300); do"
          + " /usr/bin/curl -fsS http://web:8080/index.html 2>/dev/null && exit 0; $B usleep 100000; done; exit 1")
          .network(net).hostname("client").build());
      assertEquals("hello from web\n", client.stdoutText(), client.stderrText());
      ExecResult outsider = Sandbox.run(sh(backend, "/usr/bin/curl -fsS -m 3 http://web:8080/ 2>/dev/null"
          + " || echo no-name; /usr/bin/curl -fsS -m 3 http://127.0.0.1:8080/ 2>/dev/null || echo no-route").build());
      assertEquals("no-name\nno-route\n", outsider.stdoutText());
      assertFalse(web.waitFor(Duration.ZERO).isPresent(), "web still serves");
    }
  }
}
