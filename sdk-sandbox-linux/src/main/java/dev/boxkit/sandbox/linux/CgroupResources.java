package dev.boxkit.sandbox.linux;

import dev.boxkit.sandbox.linux.cgroup.Cgroup;
import dev.boxkit.sandbox.linux.cgroup.CgroupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A sandbox's own cgroup: the helper joins it before it creates namespaces or children. */
final class CgroupResources implements SandboxResources {
  private static final Logger LOG = LoggerFactory.getLogger(CgroupResources.class);

  private final Cgroup cgroup;

  CgroupResources(Cgroup cgroup) {
    this.cgroup = cgroup;
  }

  @Override
  public void adopt(int pid) {
    cgroup.addProcess(pid);
  }

  @Override
  public void killAll() {
    try {
      cgroup.killAll();
    } catch (CgroupException e) {
      LOG.warn("killing every process of cgroup {}: {}", cgroup.name(), e.getMessage());
    }
  }

  @Override
  public Usage finish() {
    Usage usage = new Usage(cgroup.peakMemoryBytes(), cgroup.oomKilled());
    cgroup.close();
    return usage;
  }
}
