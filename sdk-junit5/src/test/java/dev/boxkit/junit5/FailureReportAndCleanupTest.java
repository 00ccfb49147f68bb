package dev.boxkit.junit5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.boxkit.sandbox.NetworkMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs {@link Fixture} (not run by itself: surefire skips nested classes) through the JUnit
 * Platform with concurrent execution, then checks the failure reports and that nothing is left:
 * no process of this JVM and no scratch directory.
 */
class FailureReportAndCleanupTest {

  @Test
  void failedTestsCarryTheirSandboxReportAndNothingIsLeftBehind(@TempDir Path scratchRoot) throws Exception {
    Map<String, TestExecutionResult> results = new ConcurrentHashMap<>();
    Map<String, List<ReportEntry>> entries = new ConcurrentHashMap<>();
    LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
        .selectors(selectClass(Fixture.class))
        .configurationParameter(BoxKitExtension.TEMP_DIR_PARAMETER, scratchRoot.toString())
        .configurationParameter(BoxKitExtension.CACHE_DIR_PARAMETER,
            Path.of("target", "boxkit-cache").toAbsolutePath().toString())
        .configurationParameter("junit.jupiter.execution.parallel.enabled", "true")
        .configurationParameter("junit.jupiter.execution.parallel.mode.default", "concurrent")
        .configurationParameter("junit.jupiter.execution.parallel.config.strategy", "fixed")
        .configurationParameter("junit.jupiter.execution.parallel.config.fixed.parallelism", "4")
        .build();
    Launcher launcher = LauncherFactory.create();
    launcher.execute(request, new TestExecutionListener() {
      @Override
      public void executionFinished(TestIdentifier id, TestExecutionResult result) {
        if (id.isTest()) {
          results.put(id.getDisplayName(), result);
        }
      }

      @Override
      public void reportingEntryPublished(TestIdentifier id, ReportEntry entry) {
        entries.computeIfAbsent(id.getDisplayName(), k -> new ArrayList<>()).add(entry);
      }
    });

    assertEquals(6, results.size(), results.toString());
    for (String passing : List.of("passes0(TestSandbox)", "passes1()", "passes2()", "passes3()")) {
      assertEquals(TestExecutionResult.Status.SUCCESSFUL, results.get(passing).getStatus(), results::toString);
    }
    TestExecutionResult failed = results.get("failsAfterRunningThings()");
    assertEquals(TestExecutionResult.Status.FAILED, failed.getStatus());
    Throwable assertion = failed.getThrowable().orElseThrow();
    assertTrue(assertion instanceof AssertionError, assertion.toString());
    assertEquals(1, assertion.getSuppressed().length);
    String report = assertion.getSuppressed()[0].getMessage();
    assertTrue(assertion.getSuppressed()[0] instanceof SandboxReport);
    assertTrue(report.contains("-> exit 7"), report);
    assertTrue(report.contains("out-marker"), report);
    assertTrue(report.contains("err-marker"), report);
    assertTrue(report.contains("SandboxSpec[root=HostReadOnly"), report);
    assertTrue(report.contains("service [sh, -c, echo service-marker; exec sleep 600] (running)"), report);
    assertTrue(report.contains("service-marker"), report);

    Throwable notReady = results.get("serviceNeverReady()").getThrowable().orElseThrow();
    assertTrue(notReady instanceof ServiceNotReadyException, notReady.toString());
    assertEquals(1, notReady.getSuppressed().length, "the @BeforeEach failure carries the report too");
    assertTrue(notReady.getSuppressed()[0].getMessage().contains("no-such-line"), notReady.getSuppressed()[0].getMessage());

    List<ReportEntry> published = entries.get("failsAfterRunningThings()");
    assertEquals(1, published.size());
    assertEquals(report, published.get(0).getKeyValuePairs().get(BoxKitExtension.REPORT_KEY));
    assertEquals(Set.of("failsAfterRunningThings()", "serviceNeverReady()"), entries.keySet());

    assertTrue(ProcessHandle.current().descendants().noneMatch(ProcessHandle::isAlive),
        "processes left: " + ProcessHandle.current().descendants().map(ProcessHandle::info).toList());
    assertEquals(List.of(), Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("boxkit-")).map(Thread::getName).toList(),
        "threads left");
    try (Stream<Path> left = Files.list(scratchRoot)) {
      assertEquals(List.of(), left.toList());
    }
  }

  @BoxKitTest
  static class Fixture {
    @Sandboxed
    TestSandbox box;

    @BeforeEach
    void start(TestInfo test) {
      if (test.getDisplayName().equals("serviceNeverReady()")) {
        box.startService(box.spec("sh", "-c", "echo waiting; exec sleep 600").build(),
            Readiness.logLine("no-such-line"), Duration.ofMillis(300));
      }
    }

    @Test
    void serviceNeverReady() {}

    @Test
    void failsAfterRunningThings() {
      box.startService(Readiness.logLine("service-marker"), "sh", "-c", "echo service-marker; exec sleep 600");
      box.exec("sh", "-c", "echo out-marker; echo err-marker >&2; mkdir /tmp/d; touch /tmp/d/f; chmod 0 /tmp/d; exit 7");
      assertEquals(0, 1, "the fixture fails on purpose");
    }

    @Test
    void passes0(@Sandboxed(network = NetworkMode.HOST) TestSandbox host) {
      host.startService(Readiness.logLine("up"), "sh", "-c", "echo up; exec sleep 600");
      assertEquals(0, host.exec("true").exitCode());
    }

    @Test
    void passes1() {
      box.startService(Readiness.command("test", "-e", "/tmp/x"), "sh", "-c", "touch /tmp/x; exec sleep 600");
    }

    @Test
    void passes2() throws Exception {
      assertEquals("hi\n", box.exec("echo", "hi").stdoutText());
      box.startService(Readiness.unixSocket("/tmp/s.sock"), "perl", "-e", SandboxServiceTest.PERL_UNIX_HTTPD, "/tmp/s.sock");
      UnixSocketForwarder f = box.forwardUnixSocket("/tmp/s.sock");
      // A connection left open when the test ends.
      java.net.Socket open = new java.net.Socket("127.0.0.1", f.port());
      open.getOutputStream().write("GET / HTTP/1.0\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    @Test
    void passes3() {
      box.startService(Readiness.logLine("up"), "sh", "-c", "sleep 600 & sleep 600 & echo up; wait");
    }
  }
}
