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
 * <p>Placement: on v2, sandbox cgroups are children of the JVM's own cgroup (never an ancestor, so
 * they count against the embedding service's limits). To satisfy the "no internal processes"
 * rule the JVM moves itself into the leaf {@code boxkit-jvm} when it is alone in its cgroup, then
 * enables the controllers in {@code cgroup.subtree_control}; a cgroup shared with other processes
 * is refused with a message naming them (see {@code V2Placement}). On v1, children of the JVM's
 * own cgroup in each hierarchy.
 *
 * <p>Arguments and results are non-null unless documented otherwise.
 */
package dev.boxkit.sandbox.linux.cgroup;
