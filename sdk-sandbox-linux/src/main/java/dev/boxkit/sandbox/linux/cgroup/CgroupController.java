package dev.boxkit.sandbox.linux.cgroup;

import dev.boxkit.oci.InvalidInputException;
import java.nio.file.Path;
import java.util.List;

/**
 * Creates cgroups under a parent the current process may write to, with one implementation per
 * cgroup version (as crun does). Obtain one from {@link Cgroups#detect()}.
 */
public interface CgroupController {

  /** @return which cgroup interface this controller drives */
  CgroupVersion version();

  /**
   * @return the directories new cgroups are created in: one on v2; on v1 one per hierarchy
   *     (memory, pids, then cpu when mounted)
   */
  List<Path> parents();

  /**
   * Creates a new cgroup named {@code name} under {@link #parents()} and applies {@code limits}.
   * On failure nothing is left behind.
   *
   * @param name 1..128 characters from {@code [A-Za-z0-9_.-]}, not starting with '.', without
   *     "..": one path component, unique among the caller's live cgroups
   * @param limits the limits; {@link CgroupLimits#UNLIMITED} for none
   * @return the new cgroup, empty of processes
   * @throws InvalidInputException when the name is malformed
   * @throws CgroupException when it exists already, or the kernel refuses a directory or a limit
   *     (e.g. a cpu limit where the cpu controller is unavailable)
   */
  Cgroup create(String name, CgroupLimits limits);
}
