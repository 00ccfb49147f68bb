package dev.boxkit.sandbox;

import dev.boxkit.sandbox.spi.SandboxProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Entry point: runs programs in sandboxes through the first usable {@link SandboxProvider} found
 * on the class path.
 *
 * <pre>{@code
 * ExecResult r = Sandbox.builder().command("/bin/echo", "hi").run();
 * }</pre>
 */
public final class Sandbox {
  private Sandbox() {}

  /** Providers are loaded once per class loader; the list is immutable. */
  private static final class Loaded {
    static final List<SandboxProvider> ALL = load();

    private static List<SandboxProvider> load() {
      List<SandboxProvider> found = new ArrayList<>();
      ServiceLoader.load(SandboxProvider.class, Sandbox.class.getClassLoader()).forEach(found::add);
      return List.copyOf(found);
    }
  }

  /** @return a spec builder with defaults; end it with {@code run()} or {@code start()} */
  public static SandboxSpec.Builder builder() {
    return SandboxSpec.builder();
  }

  /** @return every provider registered on the class path, usable or not */
  public static List<SandboxProvider> providers() {
    return Loaded.ALL;
  }

  /**
   * @return the first usable provider
   * @throws SandboxUnavailableException naming each provider and why it cannot run here, or
   *     saying that none is on the class path
   */
  public static SandboxProvider provider() {
    if (Loaded.ALL.isEmpty()) {
      throw new SandboxUnavailableException("no sandbox provider on the class path: add a backend"
          + " such as dev.boxkit:sdk-sandbox-linux");
    }
    StringBuilder why = new StringBuilder("no sandbox provider can run on this host:");
    for (SandboxProvider p : Loaded.ALL) {
      Optional<String> reason = p.unavailableReason();
      if (reason.isEmpty()) {
        return p;
      }
      why.append("\n  ").append(p.name()).append(": ").append(reason.get());
    }
    throw new SandboxUnavailableException(why.toString());
  }

  /**
   * Runs a program in a sandbox and waits for its end.
   *
   * @param spec what to run
   * @return how it ended
   * @throws SandboxUnavailableException when no provider can run here
   * @throws SandboxSetupException when a setup step (or the exec of the program) fails
   */
  public static ExecResult run(SandboxSpec spec) {
    return provider().run(SandboxPaths.nonNull("spec", spec));
  }

  /**
   * Starts a program in a sandbox.
   *
   * @param spec what to run
   * @return the running sandbox; close it to release everything
   * @throws SandboxUnavailableException when no provider can run here
   * @throws SandboxSetupException when a setup step fails
   */
  public static SandboxProcess start(SandboxSpec spec) {
    return provider().start(SandboxPaths.nonNull("spec", spec));
  }
}
