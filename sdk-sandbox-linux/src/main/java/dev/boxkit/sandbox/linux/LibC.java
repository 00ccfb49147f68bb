package dev.boxkit.sandbox.linux;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/** The few libc calls the orchestrator needs (64-bit Linux: ssize_t and size_t are Java longs). */
interface LibC extends Library {
  LibC INSTANCE = Native.load("c", LibC.class);

  int O_RDONLY = 0;
  int O_WRONLY = 1;
  int O_RDWR = 2;
  int O_CLOEXEC = 02000000;
  int F_DUPFD_CLOEXEC = 1030;
  int F_ADD_SEALS = 1033;
  int F_SEAL_SEAL = 1;
  int F_SEAL_SHRINK = 2;
  int F_SEAL_GROW = 4;
  int F_SEAL_WRITE = 8;
  int MFD_CLOEXEC = 1;
  int MFD_ALLOW_SEALING = 2;
  int WNOHANG = 1;
  short POLLIN = 1;
  int SIGKILL = 9;
  int EINTR = 4;
  int EAGAIN = 11;
  int ENODATA = 61;
  int EOPNOTSUPP = 95;

  int waitpid(int pid, IntByReference status, int options);

  int kill(int pid, int signal);

  int memfd_create(String name, int flags);

  int geteuid();

  int getegid();

  /** @return 1 when fd is a terminal, 0 otherwise */
  int isatty(int fd);

  String strerror(int errno);

  /** Size of xattr {@code name} of {@code path} itself (not a link's target); -1 and errno else. */
  long lgetxattr(String path, String name, Pointer value, long size);

  /** Removes xattr {@code name} from {@code path} itself; -1 and errno on failure. */
  int lremovexattr(String path, String name);
}
