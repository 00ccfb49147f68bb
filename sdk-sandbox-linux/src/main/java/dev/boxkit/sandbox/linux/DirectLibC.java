package dev.boxkit.sandbox.linux;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The libc calls on every sandbox's path (spawning the helper, its pipes' read, write, poll and
 * close), bound through JNA's direct mapping rather than {@link LibC}'s interface proxy: on the
 * machine of {@code docs/performance.md}, a {@code poll} costs 0.28 µs this way against 1.1 µs
 * through the proxy, and far less code runs, which is what counts when a run starts with cold
 * caches. Errors as in C: -1 and {@link Native#getLastError()}, or the error number returned by
 * the {@code posix_spawn} family.
 */
final class DirectLibC {
  static {
    Native.register("c");
  }

  private DirectLibC() {}

  static native long read(int fd, Pointer buf, long count);

  static native long write(int fd, Pointer buf, long count);

  /** Writes from a Java array (copied by JNA for the call): no native buffer to allocate. */
  static native long write(int fd, byte[] buf, long count);

  static native int poll(Pointer fds, long nfds, int timeoutMillis);

  static native int close(int fd);

  /** @param fds two ints, filled with the read and the write end */
  static native int pipe2(int[] fds, int flags);

  static native int fcntl(int fd, int cmd, int arg);

  static native int posix_spawn_file_actions_init(Pointer fileActions);

  static native int posix_spawn_file_actions_destroy(Pointer fileActions);

  static native int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newFd);

  static native int posix_spawn_file_actions_addopen(Pointer fileActions, int fd, String path, int flags, int mode);

  /**
   * @param pid one int, filled with the child's pid
   * @param argv a NULL-terminated array of C strings ({@link com.sun.jna.StringArray})
   * @param envp the same for the environment
   */
  static native int posix_spawn(int[] pid, String path, Pointer fileActions, Pointer attr, Pointer argv, Pointer envp);
}
