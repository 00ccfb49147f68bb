package dev.boxkit.sandbox.linux.cgroup;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Creates a cgroup's directories and applies its limits, or leaves nothing behind. */
final class CgroupDirs {
  private CgroupDirs() {}

  /**
   * @param parents parent directories, one per hierarchy
   * @param name the checked name
   * @param configure writes the limits into the created directories (same order as parents)
   * @return the created directories
   */
  static List<Path> create(List<Path> parents, String name, Consumer<List<Path>> configure) {
    List<Path> created = new ArrayList<>();
    try {
      for (Path parent : parents) {
        Path dir = parent.resolve(name);
        try {
          Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
          throw new CgroupException(dir, "cgroup " + dir + " already exists", e);
        } catch (IOException e) {
          throw new CgroupException(dir, "creating cgroup " + dir + ": " + CgroupFiles.reason(e), e);
        }
        created.add(dir);
      }
      configure.accept(created);
      return created;
    } catch (RuntimeException e) {
      for (Path dir : created) {
        try {
          Files.deleteIfExists(dir);
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }
}
