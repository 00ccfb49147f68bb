package dev.boxkit.sandbox.linux;

import java.util.Map;

/** Symbolic names of the errno values setup steps commonly fail with (asm-generic/errno-base.h). */
final class Errno {
  private Errno() {}

  private static final Map<Integer, String> NAMES = Map.ofEntries(
      Map.entry(1, "EPERM"), Map.entry(2, "ENOENT"), Map.entry(3, "ESRCH"), Map.entry(4, "EINTR"),
      Map.entry(5, "EIO"), Map.entry(7, "E2BIG"), Map.entry(8, "ENOEXEC"), Map.entry(9, "EBADF"),
      Map.entry(11, "EAGAIN"), Map.entry(12, "ENOMEM"), Map.entry(13, "EACCES"),
      Map.entry(16, "EBUSY"), Map.entry(17, "EEXIST"), Map.entry(18, "EXDEV"),
      Map.entry(19, "ENODEV"), Map.entry(20, "ENOTDIR"), Map.entry(21, "EISDIR"),
      Map.entry(22, "EINVAL"), Map.entry(24, "EMFILE"), Map.entry(26, "ETXTBSY"),
      Map.entry(28, "ENOSPC"), Map.entry(30, "EROFS"), Map.entry(32, "EPIPE"),
      Map.entry(36, "ENAMETOOLONG"), Map.entry(38, "ENOSYS"), Map.entry(40, "ELOOP"),
      Map.entry(71, "EPROTO"), Map.entry(75, "EOVERFLOW"), Map.entry(95, "EOPNOTSUPP"),
      Map.entry(98, "EADDRINUSE"), Map.entry(99, "EADDRNOTAVAIL"), Map.entry(111, "ECONNREFUSED"));

  /** @return e.g. {@code "ENOENT"}, or {@code "errno N"} when unknown */
  static String name(int errno) {
    return NAMES.getOrDefault(errno, "errno " + errno);
  }
}
