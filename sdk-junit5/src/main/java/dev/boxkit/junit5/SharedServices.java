package dev.boxkit.junit5;

import dev.boxkit.sandbox.SandboxSpec;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Services started once for a whole test run and shared by every class that asks for an equal
 * spec and readiness ({@link TestSandbox#sharedService}); kept in JUnit's root store, which
 * closes them when the run ends.
 */
final class SharedServices implements ExtensionContext.Store.CloseableResource {
  /** Readiness by its text: a log-line readiness holds a Pattern, which has no equality. */
  private record Key(SandboxSpec spec, String readiness) {}

  private final Map<Key, SandboxService> services = new LinkedHashMap<>();

  /**
   * @return the running service for {@code spec} and {@code readiness}, started now if none is
   *     (or the earlier one has stopped)
   */
  synchronized SandboxService get(SandboxSpec spec, Readiness readiness, Duration timeout) {
    Key key = new Key(spec, readiness.toString());
    SandboxService s = services.get(key);
    if (s == null || !s.isRunning()) {
      s = SandboxService.start(spec, readiness, timeout);
      services.put(key, s);
    }
    return s;
  }

  @Override
  public synchronized void close() {
    services.values().forEach(SandboxService::close);
    services.clear();
  }
}
