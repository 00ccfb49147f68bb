package dev.boxkit.sandbox.linux.cgroup;

import java.util.Set;
import java.util.TreeSet;

/**
 * The cgroup v2 delegation decision for this JVM's own cgroup, from what its files say: sandbox
 * cgroups go under the JVM's own cgroup so that they count against the embedding service's
 * limits. Because of the "no internal processes" rule, controllers can be enabled in
 * {@code cgroup.subtree_control} only once the cgroup holds no processes, so the JVM first moves
 * itself into the leaf {@value #JVM_LEAF}. Other processes are never moved.
 */
final class V2Placement {
  /** The leaf child of the JVM's cgroup that the JVM moves itself into. */
  static final String JVM_LEAF = "boxkit-jvm";

  /** What to do before creating sandbox cgroups under the JVM's cgroup. */
  enum Action {
    /** memory and pids are already enabled for children: nothing to change */
    USE,
    /** the cgroup holds no processes (or is the hierarchy's root): enable the controllers */
    ENABLE,
    /** the cgroup holds only this JVM: move it into {@link #JVM_LEAF}, then enable */
    MOVE_SELF_THEN_ENABLE,
    /** the cgroup holds other processes too: refuse, see {@link Decision#othersPids()} */
    REFUSE
  }

  /**
   * @param action what to do
   * @param othersPids the processes that are not this JVM (non-empty only for REFUSE)
   */
  record Decision(Action action, Set<Long> othersPids) {
    Decision {
      othersPids = Set.copyOf(othersPids);
    }
  }

  private V2Placement() {}

  /**
   * @param controllersEnabled whether {@code cgroup.subtree_control} already enables memory and pids
   * @param isHierarchyRoot whether the cgroup is the mount's root (where the kernel waives the rule
   *     for the real root cgroup; a namespace root is not waived, which enabling will show)
   * @param procs the pids in its {@code cgroup.procs}
   * @param selfPid this JVM's pid
   * @return the decision
   */
  static Decision decide(boolean controllersEnabled, boolean isHierarchyRoot, Set<Long> procs, long selfPid) {
    if (controllersEnabled) {
      return new Decision(Action.USE, Set.of());
    }
    if (procs.isEmpty() || isHierarchyRoot) {
      return new Decision(Action.ENABLE, Set.of());
    }
    Set<Long> others = new TreeSet<>(procs);
    others.remove(selfPid);
    return others.isEmpty()
        ? new Decision(Action.MOVE_SELF_THEN_ENABLE, Set.of())
        : new Decision(Action.REFUSE, others);
  }
}
