/**
 * Resource limits with Linux control groups: one {@link dev.boxkit.sandbox.linux.cgroup.CgroupController}
 * interface with a v2 (unified hierarchy) and a v1 (memory, pids and cpu hierarchies)
 * implementation, found by {@link dev.boxkit.sandbox.linux.cgroup.Cgroups#detect()}; see the kernel's
 * <a href="https://docs.kernel.org/admin-guide/cgroup-v2.html">cgroup-v2</a> and
 * <a href="https://docs.kernel.org/admin-guide/cgroup-v1/index.html">cgroup-v1</a> documentation.
 *
 * <p>A memory limit also caps swap (v2 {@code memory.swap.max = 0}, v1
 * {@code memory.memsw.limit_in_bytes}) where the kernel accounts swap, so exceeding it ends in the
 * OOM killer, inside the cgroup only. The sandbox sees its cgroup through its own cgroup namespace
 * with cgroupfs mounted read-only (v1 {@code release_agent}: CVE-2022-0492); that is set up by the
 * native helper, not here.
 *
 * <p>Arguments and results are non-null unless documented otherwise.
 */
package dev.boxkit.sandbox.linux.cgroup;
