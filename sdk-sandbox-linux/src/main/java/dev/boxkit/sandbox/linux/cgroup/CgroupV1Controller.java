package dev.boxkit.sandbox.linux.cgroup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates cgroups in the v1 memory, pids and (when mounted) cpu hierarchies, under the current
 * process's cgroup in each ({@code Documentation/admin-guide/cgroup-v1/memory.rst}, {@code pids.rst}).
 */
final class CgroupV1Controller implements CgroupController {
  private static final Logger LOG = LoggerFactory.getLogger(CgroupV1Controller.class);

  private final Path memoryParent;
  private final Path pidsParent;
  private final Optional<Path> cpuParent;

  CgroupV1Controller(Path memoryParent, Path pidsParent, Optional<Path> cpuParent) {
    this.memoryParent = memoryParent;
    this.pidsParent = pidsParent;
    this.cpuParent = cpuParent;
  }

  @Override
  public CgroupVersion version() {
    return CgroupVersion.V1;
  }

  @Override
  public List<Path> parents() {
    List<Path> p = new ArrayList<>(List.of(memoryParent, pidsParent));
    cpuParent.ifPresent(p::add);
    return List.copyOf(p);
  }

  @Override
  public Cgroup create(String name, CgroupLimits limits) {
    CgroupNames.check(name);
    if (limits == null) {
      throw new CgroupException(null, "limits must not be null; use CgroupLimits.UNLIMITED", null);
    }
    if (limits.cpuQuotaMicros() > 0 && cpuParent.isEmpty()) {
      throw new CgroupException(null, "cpu limit for cgroup " + name
          + ": no cgroup v1 cpu hierarchy is mounted", null);
    }
    List<Path> dirs = CgroupDirs.create(parents(), name, d -> apply(d, limits));
    LOG.debug("created cgroup {} in {} with {}", name, dirs, limits);
    return new CgroupV1(name, dirs);
  }

  private void apply(List<Path> dirs, CgroupLimits limits) {
    Path memory = dirs.get(0);
    Path pids = dirs.get(1);
    if (limits.memoryBytes() > 0) {
      String bytes = Long.toString(limits.memoryBytes());
      CgroupFiles.write(memory.resolve("memory.limit_in_bytes"), bytes);
      // memsw = memory + swap; set after memory, which it may not undercut.
      Path memsw = memory.resolve("memory.memsw.limit_in_bytes");
      if (Files.exists(memsw)) {
        CgroupFiles.write(memsw, bytes);
      } else {
        LOG.debug("{} absent (no swap accounting): swap use is not limited", memsw);
      }
    }
    if (limits.pidsMax() > 0) {
      CgroupFiles.write(pids.resolve("pids.max"), Long.toString(limits.pidsMax()));
    }
    if (limits.cpuQuotaMicros() > 0) {
      Path cpu = dirs.get(2);
      CgroupFiles.write(cpu.resolve("cpu.cfs_period_us"), Long.toString(limits.effectiveCpuPeriodMicros()));
      CgroupFiles.write(cpu.resolve("cpu.cfs_quota_us"), Long.toString(limits.cpuQuotaMicros()));
    }
  }

  @Override
  public String toString() {
    return "cgroup v1 " + parents();
  }
}
