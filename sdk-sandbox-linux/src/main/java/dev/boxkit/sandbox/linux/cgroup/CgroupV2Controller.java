package dev.boxkit.sandbox.linux.cgroup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates cgroups in the unified hierarchy under a parent whose {@code cgroup.subtree_control}
 * enables memory and pids ({@code Documentation/admin-guide/cgroup-v2.rst}).
 */
final class CgroupV2Controller implements CgroupController {
  private static final Logger LOG = LoggerFactory.getLogger(CgroupV2Controller.class);

  private final Path parent;

  CgroupV2Controller(Path parent) {
    this.parent = parent;
  }

  @Override
  public CgroupVersion version() {
    return CgroupVersion.V2;
  }

  @Override
  public List<Path> parents() {
    return List.of(parent);
  }

  @Override
  public Cgroup create(String name, CgroupLimits limits) {
    CgroupNames.check(name);
    if (limits == null) {
      throw new CgroupException(null, "limits must not be null; use CgroupLimits.UNLIMITED", null);
    }
    List<Path> dirs = CgroupDirs.create(parents(), name, d -> apply(d.get(0), limits));
    LOG.debug("created cgroup {} in {} with {}", name, dirs, limits);
    return new CgroupV2(name, dirs.get(0));
  }

  private static void apply(Path dir, CgroupLimits limits) {
    if (limits.memoryBytes() > 0) {
      CgroupFiles.write(dir.resolve("memory.max"), Long.toString(limits.memoryBytes()));
      Path swap = dir.resolve("memory.swap.max");
      if (Files.exists(swap)) {
        CgroupFiles.write(swap, "0"); // so the limit ends in the OOM killer, not in swapping
      } else {
        LOG.debug("{} absent (no swap accounting): swap use is not limited", swap);
      }
    }
    if (limits.pidsMax() > 0) {
      CgroupFiles.write(dir.resolve("pids.max"), Long.toString(limits.pidsMax()));
    }
    if (limits.cpuQuotaMicros() > 0) {
      CgroupFiles.write(dir.resolve("cpu.max"),
          limits.cpuQuotaMicros() + " " + limits.effectiveCpuPeriodMicros());
    }
  }

  @Override
  public String toString() {
    return "cgroup v2 " + parent;
  }
}
