package dev.boxkit.sandbox.linux;

/**
 * The plan's operations. Codes and step names must match {@code enum op_code} and {@code
 * op_names} in {@code src/main/c/boxkit-init.c}.
 */
enum Op {
  WATCH_PARENT(1, "watch-parent"),
  CLONE(2, "clone"),
  UID_MAP(3, "uid-map"),
  GID_MAP(4, "gid-map"),
  SETGROUPS_DENY(5, "setgroups-deny"),
  SYNC(6, "sync"),
  NOT_DUMPABLE(7, "not-dumpable"),
  ROOT(8, "root"),
  BIND(9, "mount-bind"),
  TMPFS(10, "mount-tmpfs"),
  PROC(11, "mount-proc"),
  DEVPTS(12, "mount-devpts"),
  MKDIR(13, "mkdir"),
  SYMLINK(14, "symlink"),
  REMOUNT_RO(15, "remount-ro"),
  HOSTNAME(16, "hostname"),
  LOOPBACK_UP(17, "loopback-up"),
  PIVOT_ROOT(18, "pivot-root"),
  FORK_INIT(19, "fork-init"),
  SETSID(20, "setsid"),
  RLIMIT(21, "rlimit"),
  CHDIR(22, "chdir"),
  CAPS_BOUNDING(23, "caps-bounding"),
  SETIDS(24, "setids"),
  CAPS_CLEAR(25, "caps-clear"),
  NO_NEW_PRIVS(26, "no-new-privs"),
  SECCOMP(27, "seccomp"),
  EXEC(28, "exec"),
  OPEN_SOURCE(29, "open-source"),
  OVERLAY(30, "mount-overlay"),
  IDMAP(31, "idmap"),
  MASK(32, "mask"),
  STDIO(33, "stdio"),
  PUBLISH(34, "publish"),
  FORWARD_OUT(35, "forward-out"),
  JOIN_NET(36, "join-network"),
  REPORT_CHILD(37, "report-child"),
  HOLD(38, "hold"),
  JOIN_SANDBOX(39, "join-sandbox"),
  READY(40, "ready"),
  AWAIT(41, "await"),
  NEW_NET(42, "new-network"),
  ENTER_NET(43, "enter-network");

  /** JOIN_NET flag: enter the holder's user namespace first (a JVM without root). */
  static final int JOIN_USERNS = 0x1;

  /** Op flag: run by the monitor on the child (in the parent user namespace). */
  static final int PARENT = 0x1;
  /** OPEN_SOURCE flag: the source is the next idmapped tree the monitor sent (IDMAP). */
  static final int RECEIVED = 0x2;
  /** REMOUNT_RO flag: only the mount at the path, not the mounts below it. */
  static final int SHALLOW = 0x4;
  /** BIND flag: remount read-only, nosuid, nodev. */
  static final int BIND_RO = 0x1;
  /** BIND flag: remount nosuid, nodev. */
  static final int BIND_NOSUID_NODEV = 0x2;
  /** BIND flag: the source is a path inside the new root. */
  static final int BIND_SRC_IN_ROOT = 0x4;
  /** BIND flag: a missing source (inside the new root) skips the op. */
  static final int BIND_IF_EXISTS = 0x8;
  /** BIND flag: a device node: remount read-only and nosuid, not nodev. */
  static final int BIND_DEVICE = 0x10;
  /** STDIO kind: copy the helper's own fd (the caller's stream) through a pipe. */
  static final int STDIO_PROXY = 0;
  /** STDIO kind: open the host path for reading and copy it into the program's stdin pipe. */
  static final int STDIO_READ_FILE = 1;
  /** STDIO kind: create or truncate the host path and copy the program's output pipe into it. */
  static final int STDIO_WRITE_FILE = 2;
  /** CHDIR flag: create the directory when it is missing, as {@code docker run} does. */
  static final int CHDIR_CREATE = 0x8;
  /** CLONE flag: the child keeps the plan fd, where op AWAIT reads the program of a pooled run. */
  static final int KEEP_PLAN = 0x10;
  /** TMPFS flag: mount it read-only (a cover nothing is mounted under). */
  static final int TMPFS_RO = 0x20;
  /** SETIDS flag: clear supplementary groups. */
  static final int SETIDS_CLEAR_GROUPS = 0x1;

  final int code;
  final String step;

  Op(int code, String step) {
    this.code = code;
    this.step = step;
  }
}
