package dev.boxkit.sandbox.seccomp;

import dev.boxkit.oci.InvalidInputException;

/**
 * What a seccomp filter does with a system call: let it run, fail it with an errno, or kill the
 * process. Encoded as the filter's 32-bit return value ({@code SECCOMP_RET_*} in
 * {@code include/uapi/linux/seccomp.h}, {@code man 2 seccomp}).
 *
 * @param kind the action
 * @param errno for {@link Kind#ERRNO}, the error number the call returns (1..4095); 0 otherwise
 */
public record SeccompAction(Kind kind, int errno) {
  /** {@code EPERM}: operation not permitted (same value on x86_64 and aarch64). */
  public static final int EPERM = 1;
  /** {@code EINVAL}: invalid argument. */
  public static final int EINVAL = 22;
  /** {@code ENOSYS}: function not implemented; libc falls back to an older call. */
  public static final int ENOSYS = 38;
  /** {@code EAFNOSUPPORT}: address family not supported. */
  public static final int EAFNOSUPPORT = 97;

  /** {@code SECCOMP_RET_KILL_PROCESS}. */
  static final int RET_KILL_PROCESS = 0x80000000;
  /** {@code SECCOMP_RET_ERRNO}; the low 16 bits carry the errno. */
  static final int RET_ERRNO = 0x00050000;
  /** {@code SECCOMP_RET_ALLOW}. */
  static final int RET_ALLOW = 0x7fff0000;
  /** {@code SECCOMP_RET_DATA}: the errno part of a return value. */
  static final int RET_DATA = 0x0000ffff;

  /** The three actions BoxKit filters use. */
  public enum Kind {
    /** Run the call. */
    ALLOW,
    /** Do not run the call; it returns -1 with {@code errno} set. */
    ERRNO,
    /** Kill the whole process (not only the thread) as by an uncatchable SIGSYS. */
    KILL_PROCESS
  }

  /** Checks that an errno is given exactly for {@link Kind#ERRNO}. */
  public SeccompAction {
    if (kind == null) {
      throw new InvalidInputException("kind", null, "must not be null");
    }
    if (kind == Kind.ERRNO ? errno < 1 || errno > 4095 : errno != 0) {
      throw new InvalidInputException("errno", Integer.toString(errno),
          kind == Kind.ERRNO ? "must be in 1..4095" : "must be 0 for " + kind);
    }
  }

  /** @return the action that runs the call */
  public static SeccompAction allow() {
    return new SeccompAction(Kind.ALLOW, 0);
  }

  /**
   * @param errno the error number the call fails with, 1..4095, e.g. {@link #EPERM}
   * @return the action that fails the call with {@code errno}
   */
  public static SeccompAction errno(int errno) {
    return new SeccompAction(Kind.ERRNO, errno);
  }

  /** @return the action that kills the calling process */
  public static SeccompAction killProcess() {
    return new SeccompAction(Kind.KILL_PROCESS, 0);
  }

  /** @return the filter return value ({@code SECCOMP_RET_*}) for this action */
  public int toReturnValue() {
    switch (kind) {
      case ALLOW:
        return RET_ALLOW;
      case ERRNO:
        return RET_ERRNO | errno;
      default:
        return RET_KILL_PROCESS;
    }
  }

  /**
   * @param ret a filter return value
   * @return the action it encodes
   * @throws InvalidInputException for return values BoxKit never emits (trap, trace, log, ...)
   */
  public static SeccompAction fromReturnValue(int ret) {
    if (ret == RET_ALLOW) {
      return allow();
    }
    if (ret == RET_KILL_PROCESS) {
      return killProcess();
    }
    if ((ret & ~RET_DATA) == RET_ERRNO) {
      return errno(ret & RET_DATA);
    }
    throw new InvalidInputException("ret", Integer.toHexString(ret), "not an action BoxKit emits");
  }

  @Override
  public String toString() {
    return kind == Kind.ERRNO ? "ERRNO(" + errno + ")" : kind.name();
  }
}
