package dev.boxkit.sandbox.linux;

import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxSpec;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Says why {@code exec} found no program (ENOENT): which {@code PATH} was searched, and when the
 * program exists on the host but in a directory {@link Rootfs#hostReadOnly()} hides (its
 * {@code /tmp}, {@code /run}, ...), that it is hidden and how to give it.
 */
final class ExecFailureHint {
  private ExecFailureHint() {}

  /** The helper's search path when the spec sets no {@code PATH} (execvp's default). */
  static final String DEFAULT_PATH = "/bin:/usr/bin";

  /**
   * @param spec what was run
   * @return a sentence to append to the failure, never empty
   */
  static String forMissingProgram(SandboxSpec spec) {
    String program = spec.argv().get(0);
    List<String> candidates = new ArrayList<>();
    StringBuilder hint = new StringBuilder();
    if (program.contains("/")) {
      candidates.add(program.startsWith("/") ? program : spec.workingDir() + "/" + program);
      hint.append(program).append(" does not exist in the sandbox");
    } else {
      String path = spec.env().getOrDefault("PATH", DEFAULT_PATH);
      hint.append("no ").append(program).append(" on the sandbox's PATH=").append(path)
          .append(spec.env().containsKey("PATH") ? "" : " (the default: the spec sets no PATH; the"
              + " JVM's is not inherited)");
      for (String dir : path.split(":")) {
        if (dir.startsWith("/")) {
          candidates.add(dir + "/" + program);
        }
      }
    }
    if (spec.root() instanceof Rootfs.HostReadOnly) {
      List<String> covered = PlanCompiler.hostCovers(spec.mounts());
      for (String c : candidates) {
        for (String dir : covered) {
          if ((c.startsWith(dir + "/")) && Files.exists(Path.of(c), LinkOption.NOFOLLOW_LINKS)) {
            hint.append("; ").append(c).append(" exists on the host, but the host's ").append(dir)
                .append(" is hidden under Rootfs.hostReadOnly(): bind what the program needs,"
                    + " e.g. Mount.bind(Path.of(\"").append(Path.of(c).getParent())
                .append("\"), \"").append(Path.of(c).getParent()).append("\")");
            return hint.toString();
          }
        }
      }
    }
    return hint.toString();
  }
}
