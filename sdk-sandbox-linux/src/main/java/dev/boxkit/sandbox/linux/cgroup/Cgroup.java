package dev.boxkit.sandbox.linux.cgroup;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * One cgroup created by a {@link CgroupController}, holding a sandbox's processes. Closing it
 * kills every process in it, waits until it is empty and removes it; closing again does nothing.
 * Implementations are safe to use from several threads.
 */
public interface Cgroup extends AutoCloseable {

  /** @return the name given to {@link CgroupController#create} */
  String name();

  /** @return the controller version that created it */
  CgroupVersion version();

  /**
   * @return the {@code cgroup.procs} file a process is moved in with by writing its pid: the
   *     unified one on v2, the memory hierarchy's on v1 (see {@link #procsFiles()})
   */
  Path procsFile();

  /**
   * @return every {@code cgroup.procs} file a process must be written to, one per hierarchy on
   *     v1 (memory, pids, then cpu when present), one on v2; immutable
   */
  List<Path> procsFiles();

  /**
   * Moves a process (all its threads) into this cgroup; its future children start inside.
   *
   * @param pid the process id, in the caller's pid namespace
   * @throws CgroupException when the kernel refuses (e.g. ESRCH: no such process) or it is closed
   */
  void addProcess(long pid);

  /**
   * @return the ids of the live processes now in this cgroup (in any hierarchy on v1)
   * @throws CgroupException when {@code cgroup.procs} cannot be read
   */
  Set<Long> pids();

  /**
   * @return the highest memory use seen, in bytes: {@code memory.peak} on v2 (kernel 5.19+),
   *     {@code memory.max_usage_in_bytes} on v1; empty when the kernel does not report it
   */
  OptionalLong peakMemoryBytes();

  /**
   * @return whether the kernel's OOM killer killed a process here: {@code oom_kill} in
   *     {@code memory.events} on v2 or {@code memory.oom_control} on v1 (kernel 4.13+; older v1
   *     kernels: {@code memory.failcnt > 0}, i.e. the limit was hit)
   */
  boolean oomKilled();

  /**
   * Kills every process in the cgroup with SIGKILL ({@code cgroup.kill} on v2 kernels 5.14+,
   * otherwise by signalling each pid until none is left) and waits until it is empty.
   *
   * @throws CgroupException when processes remain after 10 s, or the JVM itself is inside
   */
  void killAll();

  /**
   * Kills everything inside, waits until empty and removes the cgroup directories. Idempotent.
   *
   * @throws CgroupException when a directory cannot be removed; calling again retries
   */
  @Override
  void close();
}
