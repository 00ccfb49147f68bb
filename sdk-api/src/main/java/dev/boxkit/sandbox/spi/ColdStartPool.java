package dev.boxkit.sandbox.spi;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.SandboxPool;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSpec;

/**
 * The {@link SandboxPool} of a provider that sets nothing up ahead: each run is a cold start
 * through {@link SandboxProvider#run}/{@link SandboxProvider#start}, with the same checks and
 * the same one-run-per-sandbox guarantee as a real pool. Holds no thread.
 */
public final class ColdStartPool implements SandboxPool {
  private final SandboxProvider provider;
  private final SandboxSpec spec;
  private final int size;
  private volatile boolean closed;

  /**
   * @param provider what runs each sandbox
   * @param spec the pool's spec
   * @param size the pool's nominal size
   * @throws dev.boxkit.sandbox.InvalidSandboxSpecException naming {@code size} below 1
   * @throws NullPointerException when provider or spec is null
   */
  public ColdStartPool(SandboxProvider provider, SandboxSpec spec, int size) {
    this.provider = java.util.Objects.requireNonNull(provider, "provider");
    this.spec = PoolRuns.check(spec, spec);
    this.size = PoolRuns.checkSize(size);
  }

  @Override
  public SandboxSpec spec() {
    return spec;
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public ExecResult run(SandboxSpec run) {
    PoolRuns.check(spec, run);
    open();
    return provider.run(run);
  }

  @Override
  public SandboxProcess start(SandboxSpec run) {
    PoolRuns.check(spec, run);
    open();
    return provider.start(run);
  }

  private void open() {
    if (closed) {
      throw new SandboxException("the sandbox pool is closed");
    }
  }

  @Override
  public void close() {
    closed = true;
  }
}
