package dev.boxkit.sandbox.linux.cgroup;

/** Which cgroup interface a controller drives. */
public enum CgroupVersion {
  /** One hierarchy per controller (memory, pids, cpu), {@code Documentation/admin-guide/cgroup-v1/}. */
  V1,
  /** The unified hierarchy, {@code Documentation/admin-guide/cgroup-v2.rst}. */
  V2
}
