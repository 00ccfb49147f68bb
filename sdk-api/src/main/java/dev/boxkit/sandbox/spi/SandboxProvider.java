package dev.boxkit.sandbox.spi;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Isolation;
import dev.boxkit.sandbox.SandboxPool;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSpec;
import java.util.Optional;

/**
 * A sandbox backend (Linux namespaces, a macOS micro-VM, ...). Implementations are registered in
 * {@code META-INF/services/dev.boxkit.sandbox.spi.SandboxProvider}, need a public no-argument
 * constructor, and must be thread-safe.
 */
public interface SandboxProvider {

  /** @return a short stable name, e.g. {@code "linux-namespaces"} */
  String name();

  /**
   * Checks whether this backend can run on this host. Cheap enough to call per sandbox.
   *
   * @return empty when usable; otherwise what the host lacks and how to enable it
   */
  Optional<String> unavailableReason();

  /**
   * Runs a sandbox to its end, capturing piped output up to the spec's capture limit.
   *
   * @param spec what to run
   * @return how it ended
   * @throws dev.boxkit.sandbox.SandboxSetupException when a setup step fails
   * @throws dev.boxkit.sandbox.InvalidSandboxSpecException when this backend cannot honour a field
   */
  ExecResult run(SandboxSpec spec);

  /**
   * Starts a sandbox and returns at once.
   *
   * @param spec what to run
   * @return the running sandbox; the caller must close it
   * @throws dev.boxkit.sandbox.SandboxSetupException when a setup step fails
   * @throws dev.boxkit.sandbox.InvalidSandboxSpecException when this backend cannot honour a field
   */
  SandboxProcess start(SandboxSpec spec);

  /**
   * A pool of sandboxes set up ahead for {@code spec}, each used for one run. The default sets
   * nothing up ahead: each run is a cold {@link #run}/{@link #start} ({@link ColdStartPool}).
   *
   * @param spec what every sandbox of the pool is set up with
   * @param size how many sandboxes to keep ready, at least 1
   * @return the pool; the caller must close it
   * @throws dev.boxkit.sandbox.InvalidSandboxSpecException naming {@code size} below 1, or a
   *     field this backend cannot pool
   */
  default SandboxPool pool(SandboxSpec spec, int size) {
    return new ColdStartPool(this, spec, size);
  }

  /**
   * @return the kind of boundary this provider gives; used by {@link
   *     dev.boxkit.sandbox.Sandbox#provider(SandboxSpec)} to match {@link SandboxSpec#isolation()}.
   *     Default {@link Isolation#NAMESPACES}.
   */
  default Isolation isolation() {
    return Isolation.NAMESPACES;
  }
}
