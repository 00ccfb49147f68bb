package dev.boxkit.sandbox.linux.cgroup;

import dev.boxkit.oci.InvalidInputException;

/**
 * Resource limits for one cgroup. Zero means "no limit" for every field.
 *
 * @param memoryBytes most memory the processes may use together, in bytes; swap is limited to
 *     the same total, so going over it triggers the OOM killer instead of swapping; 0 = unlimited
 * @param pidsMax most processes and threads at once (pids controller); 0 = unlimited
 * @param cpuQuotaMicros CPU time the cgroup may use per period, in microseconds (at least 1000,
 *     e.g. 50000 with a 100000 period = half a CPU); 0 = unlimited
 * @param cpuPeriodMicros the period for {@code cpuQuotaMicros}, 1000..1000000 microseconds;
 *     0 = the kernel's default 100000. Must be 0 without a quota
 */
public record CgroupLimits(long memoryBytes, long pidsMax, long cpuQuotaMicros, long cpuPeriodMicros) {
  /** No limits: processes are only grouped, to be measured and killed together. */
  public static final CgroupLimits UNLIMITED = new CgroupLimits(0, 0, 0, 0);
  /** The kernel's default CFS period, in microseconds. */
  public static final long DEFAULT_CPU_PERIOD_MICROS = 100_000;

  /** Checks every field's range. */
  public CgroupLimits {
    nonNegative("memoryBytes", memoryBytes);
    nonNegative("pidsMax", pidsMax);
    nonNegative("cpuQuotaMicros", cpuQuotaMicros);
    nonNegative("cpuPeriodMicros", cpuPeriodMicros);
    if (cpuQuotaMicros != 0 && cpuQuotaMicros < 1000) {
      throw new InvalidInputException("cpuQuotaMicros", Long.toString(cpuQuotaMicros),
          "must be 0 (unlimited) or at least 1000 microseconds");
    }
    if (cpuPeriodMicros != 0 && (cpuPeriodMicros < 1000 || cpuPeriodMicros > 1_000_000)) {
      throw new InvalidInputException("cpuPeriodMicros", Long.toString(cpuPeriodMicros),
          "must be 0 (default) or in 1000..1000000 microseconds");
    }
    if (cpuQuotaMicros == 0 && cpuPeriodMicros != 0) {
      throw new InvalidInputException("cpuPeriodMicros", Long.toString(cpuPeriodMicros),
          "a period needs a cpuQuotaMicros");
    }
  }

  /** @return a builder starting from {@link #UNLIMITED} */
  public static Builder builder() {
    return new Builder();
  }

  /** @return the period to write: {@code cpuPeriodMicros}, or the default when 0 */
  public long effectiveCpuPeriodMicros() {
    return cpuPeriodMicros == 0 ? DEFAULT_CPU_PERIOD_MICROS : cpuPeriodMicros;
  }

  private static void nonNegative(String field, long v) {
    if (v < 0) {
      throw new InvalidInputException(field, Long.toString(v), "must not be negative (0 = unlimited)");
    }
  }

  /** Builds {@link CgroupLimits}; ranges are checked by {@link #build()}. */
  public static final class Builder {
    private long memoryBytes;
    private long pidsMax;
    private long cpuQuotaMicros;
    private long cpuPeriodMicros;

    private Builder() {}

    /**
     * @param bytes memory and memory+swap limit in bytes; 0 = unlimited
     * @return this builder
     */
    public Builder memoryBytes(long bytes) {
      this.memoryBytes = bytes;
      return this;
    }

    /**
     * @param max most processes and threads; 0 = unlimited
     * @return this builder
     */
    public Builder pidsMax(long max) {
      this.pidsMax = max;
      return this;
    }

    /**
     * @param quotaMicros CPU microseconds per period, at least 1000; 0 = unlimited
     * @param periodMicros period in microseconds, 1000..1000000; 0 = default 100000
     * @return this builder
     */
    public Builder cpu(long quotaMicros, long periodMicros) {
      this.cpuQuotaMicros = quotaMicros;
      this.cpuPeriodMicros = periodMicros;
      return this;
    }

    /**
     * @return the limits
     * @throws InvalidInputException naming the first field out of range
     */
    public CgroupLimits build() {
      return new CgroupLimits(memoryBytes, pidsMax, cpuQuotaMicros, cpuPeriodMicros);
    }
  }
}
