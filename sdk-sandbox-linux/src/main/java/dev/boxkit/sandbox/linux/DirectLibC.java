package dev.boxkit.sandbox.linux;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The libc calls on a run's path (read, write, poll, close of its pipes), bound through JNA's
 * direct mapping rather than {@link LibC}'s interface proxy: on the machine of
 * {@code docs/performance.md}, a {@code poll} costs 0.28 µs this way against 1.1 µs through the
 * proxy, and far less code runs, which is what counts when a pooled run starts with cold caches.
 * Errors as in C: -1 and {@link Native#getLastError()}.
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
}
