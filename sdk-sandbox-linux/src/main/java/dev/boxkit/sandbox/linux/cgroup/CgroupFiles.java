package dev.boxkit.sandbox.linux.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashSet;
import java.util.OptionalLong;
import java.util.Set;

/** Reads and writes cgroup interface files, turning I/O errors into {@link CgroupException}s naming the file. */
final class CgroupFiles {
  private CgroupFiles() {}

  /** Writes one value; the file must exist (a missing file means the controller is not enabled). */
  static void write(Path file, String value) {
    try {
      // One write(2) per value: cgroup files parse each write separately.
      Files.write(file, value.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
    } catch (NoSuchFileException e) {
      throw new CgroupException(file, "writing \"" + value + "\" to " + file
          + ": no such file (is the controller enabled for this cgroup?)", e);
    } catch (IOException e) {
      throw new CgroupException(file, "writing \"" + value + "\" to " + file + ": " + reason(e), e);
    }
  }

  static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new CgroupException(file, "reading " + file + ": " + reason(e), e);
    }
  }

  /** @return the words of a space-separated list file such as {@code cgroup.controllers} */
  static Set<String> words(Path file) {
    Set<String> out = new LinkedHashSet<>();
    for (String w : read(file).trim().split("\\s+")) {
      if (!w.isEmpty()) {
        out.add(w);
      }
    }
    return out;
  }

  /** @return the pids listed in a {@code cgroup.procs} file */
  static Set<Long> pids(Path procs) {
    Set<Long> out = new LinkedHashSet<>();
    for (String line : read(procs).split("\n")) {
      if (!line.isBlank()) {
        out.add(Long.parseLong(line.trim()));
      }
    }
    return out;
  }

  /** @return a single-number file's value, or empty when the file does not exist */
  static OptionalLong number(Path file) {
    if (!Files.exists(file)) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(Long.parseLong(read(file).trim()));
  }

  /** @return the value of {@code key} in a flat-keyed file ("key value" lines), or empty */
  static OptionalLong keyed(Path file, String key) {
    if (!Files.exists(file)) {
      return OptionalLong.empty();
    }
    for (String line : read(file).split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length == 2 && f[0].equals(key)) {
        return OptionalLong.of(Long.parseLong(f[1]));
      }
    }
    return OptionalLong.empty();
  }

  static String reason(IOException e) {
    if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
      return ((FileSystemException) e).getReason();
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }
}
