package dev.boxkit.sandbox;

import java.time.Duration;

/**
 * Limits on what a sandbox may consume. Zero means "no limit" for every field but {@code
 * writableLayerBytes}, which is always finite unless set to {@link #UNLIMITED}.
 *
 * <p>Memory, pids and cpu need a cgroup the JVM may write (root, or a delegated cgroup v2
 * subtree); when one of them is set and no usable cgroup exists, starting the sandbox fails
 * with a {@link SandboxSetupException} rather than running unlimited. {@code openFiles} is an
 * rlimit ({@code RLIMIT_NOFILE}) and always applies; core dumps are always disabled.
 *
 * @param memoryBytes memory limit in bytes (cgroup {@code memory.max}), 0 = none
 * @param pidsMax most of the program's tasks alive at once (processes and threads; cgroup {@code
 *     pids.max}, to which the Linux backend adds its own two helper processes), 0 = none
 * @param cpuQuotaMicros cpu time allowed per period in microseconds, 0 = none
 * @param cpuPeriodMicros the period for {@code cpuQuotaMicros} in microseconds (default
 *     100,000); ignored when the quota is 0
 * @param openFiles {@code RLIMIT_NOFILE} soft and hard limit, 0 = keep the JVM's
 * @param timeout wall-clock limit after which the whole sandbox is killed, {@link Duration#ZERO}
 *     = none
 * @param writableLayerBytes most bytes an image root's writable layer may hold (files the program
 *     creates or changes in the image), default {@link #DEFAULT_WRITABLE_LAYER_BYTES}; past it
 *     writes fail with ENOSPC. On Linux the layer is then a tmpfs of that size (its pages count
 *     against {@code memoryBytes}; overlayfs needs user xattrs on tmpfs, Linux 6.6+); {@link
 *     #UNLIMITED} puts it on disk under {@code java.io.tmpdir} with no bound, as does {@link
 *     Rootfs.FromImage#keepUpper}, whose layer must be on disk to be kept
 */
public record ResourceLimits(
    long memoryBytes, long pidsMax, long cpuQuotaMicros, long cpuPeriodMicros, long openFiles,
    Duration timeout, long writableLayerBytes) {

  /** No limits at all. */
  public static final ResourceLimits NONE =
      new ResourceLimits(0, 0, 0, 100_000, 0, Duration.ZERO, ResourceLimits.DEFAULT_WRITABLE_LAYER_BYTES);

  /** Default of {@link #writableLayerBytes()}: 1 GiB. */
  public static final long DEFAULT_WRITABLE_LAYER_BYTES = 1L << 30;

  /** {@link #writableLayerBytes()} without a bound: the layer goes on disk. */
  public static final long UNLIMITED = Long.MAX_VALUE;

  /** @throws InvalidSandboxSpecException when a value is negative or the timeout null */
  public ResourceLimits {
    check("limits.memoryBytes", memoryBytes);
    check("limits.pidsMax", pidsMax);
    check("limits.cpuQuotaMicros", cpuQuotaMicros);
    check("limits.openFiles", openFiles);
    if (cpuPeriodMicros < 1000 || cpuPeriodMicros > 1_000_000) {
      throw new InvalidSandboxSpecException("limits.cpuPeriodMicros",
          cpuPeriodMicros + " is outside [1000, 1000000]");
    }
    if (writableLayerBytes <= 0) {
      throw new InvalidSandboxSpecException("limits.writableLayerBytes",
          writableLayerBytes + " is not > 0 (UNLIMITED for no bound)");
    }
    SandboxPaths.nonNull("limits.timeout", timeout);
    if (timeout.isNegative()) {
      throw new InvalidSandboxSpecException("limits.timeout", timeout + " is negative");
    }
  }

  private static void check(String field, long value) {
    if (value < 0) {
      throw new InvalidSandboxSpecException(field, value + " is negative");
    }
  }

  /** @return a builder starting from {@link #NONE} */
  public static Builder builder() {
    return new Builder();
  }

  /** @return whether a cgroup is needed to enforce these limits */
  public boolean needsCgroup() {
    return memoryBytes > 0 || pidsMax > 0 || cpuQuotaMicros > 0;
  }

  /** Builds {@link ResourceLimits}; every setter checks its argument at once. */
  public static final class Builder {
    private long memoryBytes;
    private long pidsMax;
    private long cpuQuotaMicros;
    private long cpuPeriodMicros = 100_000;
    private long openFiles;
    private Duration timeout = Duration.ZERO;
    private long writableLayerBytes = DEFAULT_WRITABLE_LAYER_BYTES;

    private Builder() {}

    /** @param bytes memory limit in bytes, 0 = none */
    public Builder memoryBytes(long bytes) {
      check("limits.memoryBytes", bytes);
      this.memoryBytes = bytes;
      return this;
    }

    /** @param pids most tasks alive at once, 0 = none */
    public Builder pidsMax(long pids) {
      check("limits.pidsMax", pids);
      this.pidsMax = pids;
      return this;
    }

    /**
     * @param quotaMicros cpu time per period in microseconds, 0 = none
     * @param periodMicros the period in microseconds, 1,000 to 1,000,000
     */
    public Builder cpuQuota(long quotaMicros, long periodMicros) {
      check("limits.cpuQuotaMicros", quotaMicros);
      this.cpuQuotaMicros = quotaMicros;
      this.cpuPeriodMicros = periodMicros;
      return this;
    }

    /** @param count {@code RLIMIT_NOFILE}, 0 = the JVM's */
    public Builder openFiles(long count) {
      check("limits.openFiles", count);
      this.openFiles = count;
      return this;
    }

    /** @param timeout wall-clock limit, {@link Duration#ZERO} = none */
    public Builder timeout(Duration timeout) {
      this.timeout = SandboxPaths.nonNull("limits.timeout", timeout);
      return this;
    }

    /**
     * @param bytes most bytes an image root's writable layer may hold, &gt; 0, or {@link
     *     #UNLIMITED}
     */
    public Builder writableLayerBytes(long bytes) {
      if (bytes <= 0) {
        throw new InvalidSandboxSpecException("limits.writableLayerBytes", bytes + " is not > 0");
      }
      this.writableLayerBytes = bytes;
      return this;
    }

    /** @return the limits */
    public ResourceLimits build() {
      return new ResourceLimits(memoryBytes, pidsMax, cpuQuotaMicros, cpuPeriodMicros, openFiles,
          timeout, writableLayerBytes);
    }
  }
}
