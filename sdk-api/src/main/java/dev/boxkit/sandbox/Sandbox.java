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
   * The first usable provider, as for a spec with {@link Isolation#AUTO}.
   *
   * @throws SandboxUnavailableException when none is on the class path or none can run here,
   *     with each provider's reason
   */
  public static SandboxProvider provider() {
    return choose(Isolation.AUTO);
  }

  /**
   * The provider that runs {@code spec}: the first usable one giving {@link
   * SandboxSpec#isolation()}; for {@link Isolation#AUTO}, namespaces on Linux and a micro-VM on
   * other hosts, else whichever is usable.
   *
   * @throws SandboxUnavailableException when no provider gives that isolation on this host, with
   *     each provider's reason
   */
  public static SandboxProvider provider(SandboxSpec spec) {
    return choose(SandboxPaths.nonNull("spec", spec).isolation());
  }

  private static SandboxProvider choose(Isolation wanted) {
    if (Loaded.ALL.isEmpty()) {
      throw new SandboxUnavailableException("no sandbox provider on the class path: add a backend"
          + " such as dev.boxkit:sdk-sandbox-linux");
    }
    Isolation preferred = wanted != Isolation.AUTO ? wanted
        : System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")
            ? Isolation.NAMESPACES : Isolation.VM;
    StringBuilder why = new StringBuilder("no sandbox provider with " + wanted
        + " isolation can run on this host:");
    SandboxProvider fallback = null;
    for (SandboxProvider p : Loaded.ALL) {
      Optional<String> reason = p.unavailableReason();
      if (reason.isPresent()) {
        why.append("\n  ").append(p.name()).append(": ").append(reason.get());
      } else if (p.isolation() == preferred) {
        return p;
      } else if (fallback == null) {
        fallback = p;
      }
      if (reason.isEmpty() && p.isolation() != preferred) {
        why.append("\n  ").append(p.name()).append(": gives ").append(p.isolation()).append(" isolation");
      }
    }
    if (wanted == Isolation.AUTO && fallback != null) {
      return fallback;
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
    return provider(spec).run(spec);
  }

  /**
   * A pool of {@code size} sandboxes set up ahead for {@code spec}, each used for one run and
   * then discarded, refilled in the background (see {@link SandboxPool}).
   *
   * @param spec what every sandbox of the pool is set up with; runs change only {@link
   *     SandboxPool#PER_RUN_FIELDS}
   * @param size how many sandboxes to keep ready, at least 1
   * @return the pool; close it to stop refilling and kill the waiting sandboxes
   * @throws InvalidSandboxSpecException naming {@code size} when it is below 1, or a field the
   *     provider cannot pool
   * @throws SandboxUnavailableException when no provider can run here
   */
  public static SandboxPool pool(SandboxSpec spec, int size) {
    dev.boxkit.sandbox.spi.PoolRuns.checkSize(size);
    return provider(spec).pool(spec, size);
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
    return provider(spec).start(spec);
  }
}
