package dev.boxkit.sandbox.linux;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.StringArray;
import dev.boxkit.sandbox.SandboxSetupException;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts the helper with {@code posix_spawn} and explicit file actions: fd 3 is the read end of
 * the plan pipe, fd 4 the write end of the status pipe, 0-2 the program's stdio. Every fd the JVM
 * creates here is close-on-exec, so no other child inherits them.
 */
final class Spawner {
  private Spawner() {}

  static final int PLAN_FD = 3;
  static final int STATUS_FD = 4;
  /** Child-side fds are moved at or above this so a dup2 onto 0..4 never clobbers another. */
  private static final int FIRST_FREE = 5;

  /** The helper's pid and the JVM's ends of its pipes (null where a stream is not a pipe). */
  record Spawned(int pid, Fd planWrite, Fd status, Fd stdin, Fd stdout, Fd stderr) {}

  static Spawned spawn(HelperBinary helper, SandboxSpec spec) {
    List<Integer> childEnds = new ArrayList<>();
    List<Fd> ours = new ArrayList<>();
    Memory actions = new Memory(512);
    boolean actionsReady = false;
    try {
      int[] plan = pipe();
      int[] status = pipe();
      childEnds.add(plan[0]);
      childEnds.add(status[1]);
      Fd planWrite = track(ours, plan[1]);
      Fd statusRead = track(ours, status[0]);
      check(DirectLibC.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
      actionsReady = true;
      check(DirectLibC.posix_spawn_file_actions_adddup2(actions, plan[0], PLAN_FD), "dup2 plan fd");
      check(DirectLibC.posix_spawn_file_actions_adddup2(actions, status[1], STATUS_FD), "dup2 status fd");
      Fd in = stdio(actions, spec.stdin(), 0, childEnds, ours);
      Fd out = stdio(actions, spec.stdout(), 1, childEnds, ours);
      Fd err = stdio(actions, spec.stderr(), 2, childEnds, ours);
      int[] pid = new int[1];
      String path = helper.execPath();
      int rc = DirectLibC.posix_spawn(pid, path, actions, null, new StringArray(new String[] {"boxkit-init"}),
          new StringArray(new String[0]));
      if (rc != 0) {
        throw new SandboxSetupException("spawn", path, rc, Errno.name(rc),
            "posix_spawn of the sandbox helper (stdio: " + spec.stdin() + ", " + spec.stdout()
            + ", " + spec.stderr() + ")");
      }
      ours.clear();
      return new Spawned(pid[0], planWrite, statusRead, in, out, err);
    } finally {
      if (actionsReady) {
        DirectLibC.posix_spawn_file_actions_destroy(actions);
      }
      childEnds.forEach(DirectLibC::close);
      ours.forEach(Fd::close);
    }
  }

  private static Fd stdio(Memory actions, Stdio stdio, int target, List<Integer> childEnds, List<Fd> ours) {
    String name = new String[] {"stdin", "stdout", "stderr"}[target];
    if (stdio instanceof Stdio.Pipe) {
      int[] p = pipe();
      int childEnd = target == 0 ? p[0] : p[1];
      childEnds.add(childEnd);
      check(DirectLibC.posix_spawn_file_actions_adddup2(actions, childEnd, target), "dup2 " + name);
      return track(ours, target == 0 ? p[1] : p[0]);
    }
    // A Stdio.File is opened by the helper itself, without following links, and copied through
    // a pipe (PlanCompiler#addStdio): the program never holds the host file's fd.
    if (stdio instanceof Stdio.Discard) {
      check(DirectLibC.posix_spawn_file_actions_addopen(actions, target, "/dev/null",
          target == 0 ? LibC.O_RDONLY : LibC.O_WRONLY, 0), "open " + name);
    }
    return null;
  }

  private static Fd track(List<Fd> ours, int fd) {
    Fd f = new Fd(fd);
    ours.add(f);
    return f;
  }

  private static int[] pipe() {
    int[] fds = new int[2];
    if (DirectLibC.pipe2(fds, LibC.O_CLOEXEC) < 0) {
      int errno = Native.getLastError();
      throw new SandboxSetupException("spawn", null, errno, Errno.name(errno), "pipe2");
    }
    for (int i = 0; i < 2; i++) {
      if (fds[i] < FIRST_FREE) {
        int moved = DirectLibC.fcntl(fds[i], LibC.F_DUPFD_CLOEXEC, FIRST_FREE);
        int errno = Native.getLastError();
        DirectLibC.close(fds[i]);
        if (moved < 0) {
          DirectLibC.close(fds[1 - i]);
          throw new SandboxSetupException("spawn", null, errno, Errno.name(errno), "F_DUPFD_CLOEXEC");
        }
        fds[i] = moved;
      }
    }
    return fds;
  }

  private static void check(int rc, String what) {
    if (rc != 0) {
      throw new SandboxSetupException("spawn", null, rc, Errno.name(rc), what);
    }
  }
}
