package dev.boxkit.sandbox.linux.cgroup;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/** A cgroup spread over v1 hierarchies: memory first, then pids, then cpu when mounted. */
final class CgroupV1 extends BaseCgroup {
  CgroupV1(String name, List<Path> dirs) {
    super(name, dirs);
  }

  @Override
  public CgroupVersion version() {
    return CgroupVersion.V1;
  }

  private Path memory() {
    return dirs().get(0);
  }

  @Override
  void kernelKill() {
    // v1 has no cgroup.kill: BaseCgroup signals each pid.
  }

  @Override
  public OptionalLong peakMemoryBytes() {
    return CgroupFiles.number(memory().resolve("memory.max_usage_in_bytes"));
  }

  @Override
  public boolean oomKilled() {
    OptionalLong kills = CgroupFiles.keyed(memory().resolve("memory.oom_control"), "oom_kill");
    if (kills.isPresent()) {
      return kills.getAsLong() > 0;
    }
    return CgroupFiles.number(memory().resolve("memory.failcnt")).orElse(0) > 0;
  }
}
