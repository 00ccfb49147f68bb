package dev.boxkit.junit5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

/** One expensive service for a whole run: two classes ask for an equal spec and get the same one. */
class SharedServiceAcrossClassesTest {
  static final List<SandboxService> SEEN = new CopyOnWriteArrayList<>();

  static SandboxSpec database() {
    return Sandbox.builder().command("sh", "-c", "echo ready; exec sleep 120")
        .env("PATH", "/usr/bin:/bin").build();
  }

  @BoxKitTest
  static class FirstClass {
    @Test
    void usesTheDatabase(@Sandboxed TestSandbox box) {
      SEEN.add(box.sharedService(database(), Readiness.logLine("^ready$"), Duration.ofSeconds(30)));
    }
  }

  @BoxKitTest
  static class SecondClass {
    @Test
    void usesItToo(@Sandboxed TestSandbox box) {
      SEEN.add(box.sharedService(database(), Readiness.logLine("^ready$"), Duration.ofSeconds(30)));
    }
  }

  @Test
  void equalSpecsShareOneServiceUntilTheRunEnds() {
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
        .selectors(selectClass(FirstClass.class), selectClass(SecondClass.class)).build(), listener);
    assertEquals(2, listener.getSummary().getTestsSucceededCount(),
        () -> listener.getSummary().getFailures().toString());
    assertEquals(2, SEEN.size());
    assertSame(SEEN.get(0), SEEN.get(1), "the second class got the first class's service");
    assertFalse(SEEN.get(0).isRunning(), "stopped when the run ended");
  }
}
