package dev.boxkit.sandbox.linux.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What both versions share: one directory per hierarchy, joining, listing, killing, removing. */
abstract class BaseCgroup implements Cgroup {
  private static final Logger LOG = LoggerFactory.getLogger(BaseCgroup.class);
  /** How long killAll and close wait for processes to die and directories to become removable. */
  static final long WAIT_MILLIS = 10_000;

  private final String name;
  private final List<Path> dirs;
  private final List<Path> procsFiles;
  private boolean closed;

  BaseCgroup(String name, List<Path> dirs) {
    this.name = name;
    this.dirs = List.copyOf(dirs);
    List<Path> procs = new ArrayList<>();
    for (Path d : dirs) {
      procs.add(d.resolve("cgroup.procs"));
    }
    this.procsFiles = List.copyOf(procs);
  }

  /** Asks the kernel to kill everything at once where it can; the caller then waits. */
  abstract void kernelKill();

  @Override
  public String name() {
    return name;
  }

  @Override
  public Path procsFile() {
    return procsFiles.get(0);
  }

  @Override
  public List<Path> procsFiles() {
    return procsFiles;
  }

  /** @return the cgroup directories, primary first */
  List<Path> dirs() {
    return dirs;
  }

  @Override
  public synchronized void addProcess(long pid) {
    if (closed) {
      throw new CgroupException(dirs.get(0), "cgroup " + name + " is closed", null);
    }
    if (pid <= 0) {
      throw new CgroupException(procsFile(), "invalid pid " + pid + " for cgroup " + name, null);
    }
    for (Path procs : procsFiles) {
      CgroupFiles.write(procs, Long.toString(pid));
    }
  }

  @Override
  public Set<Long> pids() {
    Set<Long> all = new LinkedHashSet<>();
    for (Path procs : procsFiles) {
      if (Files.exists(procs.getParent())) {
        all.addAll(CgroupFiles.pids(procs));
      }
    }
    return Collections.unmodifiableSet(all);
  }

  @Override
  public synchronized void killAll() {
    if (closed) {
      return;
    }
    long self = ProcessHandle.current().pid();
    long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000;
    kernelKill();
    for (int round = 0; ; round++) {
      Set<Long> left = pids();
      if (left.isEmpty()) {
        return;
      }
      if (left.contains(self)) {
        throw new CgroupException(procsFile(), "refusing to kill cgroup " + name
            + ": this JVM (pid " + self + ") is inside it", null);
      }
      if (System.nanoTime() > deadline) {
        throw new CgroupException(procsFile(), "processes " + left + " still in cgroup " + name
            + " after " + WAIT_MILLIS + " ms of SIGKILL", null);
      }
      // Repeated: a process may fork between our reading the list and the kill reaching it.
      for (long pid : left) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
      pause(round);
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    killAll();
    long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000;
    for (Path dir : dirs) {
      for (int round = 0; ; round++) {
        try {
          Files.delete(dir); // rmdir(2); cgroupfs removes the interface files with it
          break;
        } catch (NoSuchFileException e) {
          break;
        } catch (IOException e) {
          // EBUSY while the last exiting tasks are still accounted to it.
          if (System.nanoTime() > deadline) {
            throw new CgroupException(dir, "removing cgroup " + dir + ": " + CgroupFiles.reason(e), e);
          }
          pause(round);
        }
      }
    }
    closed = true;
    LOG.debug("removed cgroup {} ({})", name, dirs);
  }

  private static void pause(int round) {
    try {
      Thread.sleep(Math.min(50, 1L << Math.min(round, 6)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CgroupException(null, "interrupted while waiting for a cgroup to empty", e);
    }
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + name + " " + dirs + "]";
  }
}
