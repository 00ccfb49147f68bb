package dev.boxkit.sandbox.spi;

import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.SandboxPool;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import java.util.Objects;

/**
 * Checks shared by {@link dev.boxkit.sandbox.SandboxPool} implementations: a pool's size and a
 * run's spec against the pool's ({@link SandboxPool#PER_RUN_FIELDS}).
 */
public final class PoolRuns {
  private PoolRuns() {}

  /**
   * @param size the number of sandboxes a pool keeps ready
   * @return {@code size}
   * @throws InvalidSandboxSpecException naming {@code size} when it is below 1
   */
  public static int checkSize(int size) {
    if (size < 1) {
      throw new InvalidSandboxSpecException("size", size + " is not at least 1 (a pool keeps"
          + " at least one sandbox ready; use Sandbox.run for none)");
    }
    return size;
  }

  /**
   * Refuses a run whose spec changes a field the pool fixes.
   *
   * @param pool the pool's spec
   * @param run the run's spec
   * @return {@code run}
   * @throws InvalidSandboxSpecException naming the first field outside {@link
   *     SandboxPool#PER_RUN_FIELDS} that differs, or {@code stdin} when it is neither {@link
   *     Stdio#pipe()} nor {@link Stdio#discard()}
   * @throws NullPointerException when either is null
   */
  public static SandboxSpec check(SandboxSpec pool, SandboxSpec run) {
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(run, "run");
    fixed("root", pool.root(), run.root());
    fixed("workingDir", pool.workingDir(), run.workingDir());
    fixed("uid", pool.uid(), run.uid());
    fixed("gid", pool.gid(), run.gid());
    fixed("userName", pool.userName(), run.userName());
    fixed("hostname", pool.hostname(), run.hostname());
    fixed("mounts", pool.mounts(), run.mounts());
    fixed("network", pool.network(), run.network());
    ResourceLimits a = pool.limits();
    ResourceLimits b = run.limits();
    fixed("limits.memoryBytes", a.memoryBytes(), b.memoryBytes());
    fixed("limits.pidsMax", a.pidsMax(), b.pidsMax());
    fixed("limits.cpuQuotaMicros", a.cpuQuotaMicros(), b.cpuQuotaMicros());
    fixed("limits.cpuPeriodMicros", a.cpuPeriodMicros(), b.cpuPeriodMicros());
    fixed("limits.openFiles", a.openFiles(), b.openFiles());
    fixed("limits.writableLayerBytes", a.writableLayerBytes(), b.writableLayerBytes());
    fixed("stdout", pool.stdout(), run.stdout());
    fixed("stderr", pool.stderr(), run.stderr());
    fixed("captureLimitBytes", pool.captureLimitBytes(), run.captureLimitBytes());
    fixed("dieWithParent", pool.dieWithParent(), run.dieWithParent());
    fixed("hostIdentityMapping", pool.hostIdentityMapping(), run.hostIdentityMapping());
    fixed("isolation", pool.isolation(), run.isolation());
    fixed("ports", pool.ports(), run.ports());
    fixed("sharedNetwork", pool.sharedNetwork(), run.sharedNetwork());
    fixed("egress", pool.egress(), run.egress());
    fixed("egressListener", pool.egressListener(), run.egressListener());
    fixed("devices", pool.devices(), run.devices());
    if (!(run.stdin() instanceof Stdio.Pipe) && !(run.stdin() instanceof Stdio.Discard)) {
      throw new InvalidSandboxSpecException("stdin", "a pooled run takes stdin as Stdio.pipe() or"
          + " Stdio.discard(), not " + run.stdin());
    }
    return run;
  }

  private static void fixed(String field, Object pool, Object run) {
    if (!Objects.equals(pool, run)) {
      throw new InvalidSandboxSpecException(field, "is fixed by the pool (" + pool + "), the run"
          + " gave " + run + "; only " + SandboxPool.PER_RUN_FIELDS + " may differ per run");
    }
  }
}
