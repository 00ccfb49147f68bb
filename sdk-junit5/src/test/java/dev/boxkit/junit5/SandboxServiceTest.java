package dev.boxkit.junit5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.NetworkMode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Services in sandboxes on the host's read-only {@code /}: readiness checks, reachability, stop. */
@BoxKitTest
class SandboxServiceTest {
  /** A one-line HTTP server in perl (Debian's perl-base is essential, so always there). */
  static final String PERL_HTTPD = "use IO::Socket::INET; $SIG{PIPE} = 'IGNORE';"
      + "$s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $ARGV[0], Listen => 5,"
      + " ReuseAddr => 1) or die \"listen: $!\\n\";"
      + "while ($c = $s->accept) { while (<$c>) { last if /^\\r?$/ }"
      + " print $c \"HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nhello from the sandbox\\n\"; close $c }";

  @Test
  void aHostNetworkServiceIsReachableOnceItsPortIsOpen(@Sandboxed(network = NetworkMode.HOST) TestSandbox box)
      throws Exception {
    int port = box.freePort();
    SandboxService web = box.startService(Readiness.port(port), "perl", "-e", PERL_HTTPD, Integer.toString(port));
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals("hello from the sandbox\n", r.body());
    assertTrue(web.isRunning());
    web.close();
    assertFalse(web.isRunning());
  }

  /** The same server on a Unix socket, for a sandbox with no network. */
  static final String PERL_UNIX_HTTPD = "use IO::Socket::UNIX; unlink $ARGV[0]; $SIG{PIPE} = 'IGNORE';"
      + "$s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $ARGV[0], Listen => 5)"
      + " or die \"listen: $!\\n\";"
      + "while ($c = $s->accept) { while (<$c>) { last if /^\\r?$/ }"
      + " print $c \"HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nhello over a socket\\n\"; close $c }";

  @Test
  void aServiceWithNoNetworkIsReachedThroughAUnixSocket(@Sandboxed TestSandbox box) throws Exception {
    box.startService(Readiness.unixSocket("/tmp/web.sock"), "perl", "-e", PERL_UNIX_HTTPD, "/tmp/web.sock");
    UnixSocketForwarder forward = box.forwardUnixSocket("/tmp/web.sock");
    HttpClient http = HttpClient.newHttpClient();
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + forward.port() + "/"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      assertEquals("hello over a socket\n", r.body());
    }
    // The sandbox itself still has no way to the host's loopback.
    ExecResult r = box.exec("perl", "-MIO::Socket::INET", "-e",
        "IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => " + forward.port() + ") or die \"connect: $!\\n\"");
    assertNotEquals(0, r.exitCode());
    assertTrue(r.stderrText().contains("connect: Connection refused"), r.stderrText());
  }

  @Test
  void aSocketOutsideEveryBindMountIsRefusedAtOnce(@Sandboxed TestSandbox box) {
    InvalidSandboxSpecException e = assertThrows(InvalidSandboxSpecException.class,
        () -> box.startService(Readiness.unixSocket("/run/app.sock"), "sleep", "60"));
    assertTrue(e.getMessage().contains("/run/app.sock is in no bind mount"), e.getMessage());
    assertEquals(box.hostTmp().resolve("a/b.sock"),
        SandboxService.hostPath(box.spec("true").build(), "/tmp/a/b.sock"));
  }

  @Test
  void aPortCheckIsRefusedForAnUnpublishedPortWithoutHostNetwork(@Sandboxed TestSandbox box) {
    InvalidSandboxSpecException e = assertThrows(InvalidSandboxSpecException.class,
        () -> box.startService(Readiness.port(8080), "sleep", "60"));
    assertEquals("readiness", e.field());
    assertTrue(e.getMessage().contains("publish(8080)") && e.getMessage().contains("NetworkMode.HOST"),
        e.getMessage());
    assertThrows(InvalidSandboxSpecException.class, () -> box.startService(
        box.spec("sleep", "60").publish(9090).build(), Readiness.port(8080), Duration.ofSeconds(5)));
  }

  private static String busybox() {
    return dev.boxkit.testing.ExternalTools.require("busybox", "busybox-static").toString();
  }

  @Test
  void aPublishedPortIsReadyOnlyOnceTheServiceInsideListens(@Sandboxed TestSandbox box) throws Exception {
    java.nio.file.Files.writeString(box.hostTmp().resolve("index.html"), "published\n");
    // httpd listens a second late: the host side of the port listens from the start, so a bare
    // connect would count as ready too soon.
    SandboxService web = box.startService(box.spec("sh", "-c", "sleep 1; exec " + busybox()
            + " httpd -f -p 127.0.0.1:8080 -h /tmp").publish(8080).build(),
        Readiness.port(8080), Duration.ofSeconds(30));
    int port = web.mappedPort(8080);
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/index.html")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), "the first request, with no retry, is served");
    assertEquals("published\n", r.body());
    assertEquals("ports", assertThrows(InvalidSandboxSpecException.class, () -> web.mappedPort(9090)).field());
  }

  @Test
  void aPublishedPortNobodyListensOnIsNeverReady(@Sandboxed TestSandbox box) {
    ServiceNotReadyException e = assertThrows(ServiceNotReadyException.class, () -> box.startService(
        box.spec("sleep", "60").publish(8080).build(), Readiness.port(8080), Duration.ofSeconds(2)));
    assertTrue(e.getMessage().contains("within 2000 ms"), e.getMessage());
  }

  @Test
  void readyOnALogLine(@Sandboxed TestSandbox box) {
    SandboxService s = box.startService(Readiness.logLine("^server up on \\d+$"),
        "sh", "-c", "echo starting; sleep 0.2; echo server up on 42 >&2; exec sleep 60");
    assertTrue(s.isRunning());
    assertTrue(s.stderrTail().contains("server up on 42"), s.stderrTail());
    assertTrue(s.stdoutTail().contains("starting"), s.stdoutTail());
  }

  @Test
  void execRunsInsideTheRunningService(@Sandboxed TestSandbox box) {
    // The service's own tmpfs: only a program inside that very sandbox sees the file.
    SandboxService s = box.startService(box.spec("sh", "-c", "echo secret > /run/token; exec sleep 60")
        .mount(dev.boxkit.sandbox.Mount.tmpfs("/run", 1 << 20)).build(),
        Readiness.immediately(), java.time.Duration.ofSeconds(10));
    ExecResult r = null;
    for (int i = 0; i < 100 && (r == null || r.exitCode() != 0); i++) {
      r = s.exec("cat", "/run/token");
    }
    assertEquals("secret\n", r.stdoutText(), r.stderrText());
    assertNotEquals(0, box.exec("cat", "/run/token").exitCode(), "TestSandbox.exec is a new sandbox");
  }

  @Test
  void readyWhenACommandSucceeds(@Sandboxed TestSandbox box) {
    SandboxService s = box.startService(Readiness.command("test", "-e", "/tmp/ready"),
        "sh", "-c", "sleep 0.3; touch /tmp/ready; exec sleep 60");
    assertTrue(s.isRunning());
  }

  @Test
  void aServiceThatExitsFirstFailsWithItsOutput(@Sandboxed TestSandbox box) {
    ServiceNotReadyException e = assertThrows(ServiceNotReadyException.class,
        () -> box.startService(Readiness.logLine("never"), "sh", "-c", "echo config missing >&2; exit 3"));
    assertTrue(e.getMessage().contains("exited before it was ready"), e.getMessage());
    assertTrue(e.getMessage().contains("exit 3"), e.getMessage());
    assertTrue(e.getMessage().contains("config missing"), e.getMessage());
    assertTrue(box.report().contains("config missing"), box.report());
  }

  @Test
  void aServiceNotReadyInTimeIsStopped(@Sandboxed TestSandbox box) {
    ServiceNotReadyException e = assertThrows(ServiceNotReadyException.class,
        () -> box.startService(box.spec("sleep", "60").build(), Readiness.logLine("never"), Duration.ofMillis(300)));
    assertTrue(e.getMessage().contains("not ready"), e.getMessage());
    assertTrue(e.getMessage().contains("within 300 ms"), e.getMessage());
    assertTrue(ProcessHandle.current().descendants().noneMatch(ProcessHandle::isAlive),
        "the service was not stopped");
  }

  @Test
  void httpReadinessWaitsForTheExpectedStatusThroughAPublishedPort(@Sandboxed TestSandbox box) throws Exception {
    // The file appears a second after httpd starts: until then GET answers 404, so a port check
    // would count as ready too soon.
    SandboxService web = box.startService(box.spec("sh", "-c", "(sleep 1; echo up > /tmp/health) & exec "
            + busybox() + " httpd -f -p 8080 -h /tmp").publish(8080).build(),
        Readiness.http(8080, "/health"), Duration.ofSeconds(30));
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + web.mappedPort(8080) + "/health")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals("up\n", r.body());
  }

  @Test
  void httpReadinessOfAnotherStatusAndItsRefusals(@Sandboxed TestSandbox box) {
    SandboxService web = box.startService(
        box.spec(busybox(), "httpd", "-f", "-p", "8080", "-h", "/tmp").publish(8080).build(),
        Readiness.http(8080, "/nothing-here", 404), Duration.ofSeconds(30));
    assertTrue(web.isRunning());
    ServiceNotReadyException e = assertThrows(ServiceNotReadyException.class, () -> box.startService(
        box.spec(busybox(), "httpd", "-f", "-p", "8080", "-h", "/tmp").publish(8080).build(),
        Readiness.http(8080, "/nothing-here"), Duration.ofSeconds(1)));
    assertTrue(e.getMessage().contains("within 1000 ms"), e.getMessage());
    assertEquals("readiness", assertThrows(InvalidSandboxSpecException.class,
        () -> box.startService(Readiness.http(8080, "/"), "sleep", "60")).field());
    assertThrows(IllegalArgumentException.class, () -> Readiness.http(8080, "health"));
    assertThrows(IllegalArgumentException.class, () -> Readiness.http(0, "/"));
    assertThrows(IllegalArgumentException.class, () -> Readiness.http(80, "/", 42));
  }

  @Test
  void httpReadinessWithHostNetwork(@Sandboxed(network = NetworkMode.HOST) TestSandbox box) {
    int port = box.freePort();
    SandboxService web = box.startService(Readiness.http(port, "/"), "perl", "-e", PERL_HTTPD, Integer.toString(port));
    assertTrue(web.isRunning());
  }

  @Test
  void logLinesAreStreamedToAConsumerAsWritten(@Sandboxed TestSandbox box) throws Exception {
    java.util.concurrent.BlockingQueue<ServiceLogLine> lines = new java.util.concurrent.LinkedBlockingQueue<>();
    SandboxService s = box.startService(box.spec("sh", "-c",
            "echo one; echo two >&2; printf 'crlf\\r\\n'; sleep 0.5; echo three; printf last").build(),
        Readiness.logLine("^one$"), Duration.ofSeconds(30), lines::add);
    // stdout and stderr are read apart, so "two" may come before or after "one".
    java.util.List<ServiceLogLine> first = new java.util.ArrayList<>();
    while (first.stream().noneMatch(l -> l.stream() == ServiceLogLine.Stream.STDOUT)) {
      ServiceLogLine l = lines.poll(10, java.util.concurrent.TimeUnit.SECONDS);
      org.junit.jupiter.api.Assertions.assertNotNull(l, "a line within 10 s: " + first);
      first.add(l);
    }
    assertEquals(new ServiceLogLine(ServiceLogLine.Stream.STDOUT, "one"), first.get(first.size() - 1));
    for (long end = System.nanoTime() + 10_000_000_000L; s.isRunning() && System.nanoTime() < end; ) {
      Thread.sleep(20);
    }
    s.close(); // waits for the readers, so every line was given
    java.util.List<ServiceLogLine> rest = new java.util.ArrayList<>(first);
    rest.addAll(lines);
    assertTrue(rest.contains(new ServiceLogLine(ServiceLogLine.Stream.STDERR, "two")), rest.toString());
    java.util.List<String> out = rest.stream().filter(l -> l.stream() == ServiceLogLine.Stream.STDOUT)
        .map(ServiceLogLine::text).toList();
    assertEquals(java.util.List.of("one", "crlf", "three", "last"), out);
  }

  @Test
  void aThrowingConsumerIsDroppedAndTheServiceRunsOn(@Sandboxed TestSandbox box) {
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    SandboxService s = box.startService(box.spec("sh", "-c", "echo a; echo b; echo ready; exec sleep 60").build(),
        Readiness.logLine("ready"), Duration.ofSeconds(30), line -> {
          calls.incrementAndGet();
          throw new IllegalStateException("consumer bug");
        });
    assertTrue(s.isRunning());
    assertTrue(s.stdoutTail().contains("ready"), s.stdoutTail());
    assertEquals(1, calls.get());
  }

  @Test
  void immediatelySurfacesAFailedExec(@Sandboxed TestSandbox box) {
    dev.boxkit.sandbox.SandboxSetupException e = assertThrows(dev.boxkit.sandbox.SandboxSetupException.class,
        () -> box.startService(Readiness.immediately(), "no-such-program-here", "--serve"));
    assertTrue(e.getMessage().contains("no-such-program-here"), e.getMessage());
    assertTrue(ProcessHandle.current().descendants().noneMatch(ProcessHandle::isAlive), "not stopped");
    assertTrue(box.report().contains("no-such-program-here"), box.report());
    SandboxService ok = box.startService(Readiness.immediately(), "sleep", "60");
    assertTrue(ok.isRunning());
  }

  @Test
  void aNotReadyServiceIsReportedOnce(@Sandboxed TestSandbox box) {
    ServiceNotReadyException e = assertThrows(ServiceNotReadyException.class,
        () -> box.startService(Readiness.logLine("never"), "sh", "-c", "x=once; echo only-$x >&2; exit $((1 + 2))"));
    String m = e.getMessage();
    assertEquals(1, m.split("only-once", -1).length - 1, m);
    assertEquals(1, m.split("spec: ", -1).length - 1, m);
    assertEquals(1, m.split("exit 3", -1).length - 1, m);
    // The failure's report refers to the exception instead of printing it again.
    String report = box.report(e);
    assertFalse(report.contains("only-once"), report);
    assertTrue(report.contains("as in the failure above"), report);
    assertTrue(box.report().contains("only-once"), "the plain report keeps it");
  }
}
