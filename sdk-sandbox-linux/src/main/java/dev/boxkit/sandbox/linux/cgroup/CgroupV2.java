package dev.boxkit.sandbox.linux.cgroup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/** A cgroup in the unified (v2) hierarchy. */
final class CgroupV2 extends BaseCgroup {
  CgroupV2(String name, Path dir) {
    super(name, List.of(dir));
  }

  @Override
  public CgroupVersion version() {
    return CgroupVersion.V2;
  }

  private Path dir() {
    return dirs().get(0);
  }

  @Override
  void kernelKill() {
    Path kill = dir().resolve("cgroup.kill"); // kernel 5.14+: kills the whole subtree atomically
    if (Files.exists(kill)) {
      CgroupFiles.write(kill, "1");
    }
  }

  @Override
  public OptionalLong peakMemoryBytes() {
    return CgroupFiles.number(dir().resolve("memory.peak"));
  }

  @Override
  public boolean oomKilled() {
    return CgroupFiles.keyed(dir().resolve("memory.events"), "oom_kill").orElse(0) > 0;
  }
}
