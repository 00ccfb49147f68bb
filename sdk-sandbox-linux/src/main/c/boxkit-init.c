/*
 * boxkit-init: executes a sandbox plan compiled by dev.boxkit.sandbox.linux.PlanCompiler.
 *
 * The helper holds no policy. It reads a flat list of operations from fd 3 and runs them in
 * order with one switch; the first failure is reported on fd 4 as a status record naming the
 * operation, the path and errno, and the process exits. The plan format and the status record
 * format are documented in dev/boxkit/sandbox/linux/package-info.java.
 *
 * Three processes run this code:
 *   monitor  spawned by the JVM, stays in the host namespaces. Writes uid/gid maps when the plan
 *            asks it to (only a process in the parent user namespace can write full ranges),
 *            makes idmapped copies of the trees the plan names and sends them to the child
 *            (only the initial namespace's root may idmap host filesystems), forwards signals, and kills the sandbox when the JVM dies (EOF on the plan pipe,
 *            fd 3, whose write end the JVM holds). PR_SET_PDEATHSIG is not used for this: it
 *            fires when the spawning *thread* exits, and JVM threads come and go.
 *   init     PID 1 of the new pid namespace, created by OP_CLONE. Builds the mount tree, pivots
 *            into it, forks the payload, reaps every zombie, forwards signals to the payload and
 *            reports its exit status. When init exits the kernel kills the whole namespace.
 *   payload  the child of init: drops privileges and execs the program.
 *
 * Build: gcc -static -O2 -Wall -Wextra -Werror -o boxkit-init boxkit-init.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PLAN_FD 3
#define STATUS_FD 4
#define PLAN_MAGIC 0x31505842u /* "BXP1" little-endian */
#define PLAN_MAX (16u << 20)

enum op_code {
  OP_WATCH_PARENT = 1, OP_CLONE, OP_UID_MAP, OP_GID_MAP, OP_SETGROUPS_DENY, OP_SYNC,
  OP_NOT_DUMPABLE, OP_ROOT, OP_BIND, OP_TMPFS, OP_PROC, OP_DEVPTS, OP_MKDIR, OP_SYMLINK,
  OP_REMOUNT_RO, OP_HOSTNAME, OP_LOOPBACK_UP, OP_PIVOT_ROOT, OP_FORK_INIT, OP_SETSID,
  OP_RLIMIT, OP_CHDIR, OP_CAPS_BOUNDING, OP_SETIDS, OP_CAPS_CLEAR, OP_NO_NEW_PRIVS, OP_SECCOMP,
  OP_EXEC, OP_OPEN_SOURCE, OP_OVERLAY, OP_IDMAP, OP_MASK, OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
  "none", "watch-parent", "clone", "uid-map", "gid-map", "setgroups-deny", "sync",
  "not-dumpable", "root", "mount-bind", "mount-tmpfs", "mount-proc", "mount-devpts", "mkdir",
  "symlink", "remount-ro", "hostname", "loopback-up", "pivot-root", "fork-init", "setsid",
  "rlimit", "chdir", "caps-bounding", "setids", "caps-clear", "no-new-privs", "seccomp", "exec",
  "open-source", "mount-overlay", "idmap", "mask",
};

#define OPF_PARENT 0x1u       /* run by the monitor, on the child, instead of by the child */
#define OPF_RECEIVED 0x2u     /* OPEN_SOURCE: take the next tree the monitor sent (OP_IDMAP) */
#define OPF_SHALLOW 0x4u      /* REMOUNT_RO: this mount only, not the mounts below it */
#define OPF_NOFOLLOW 0x4u     /* OPEN_SOURCE, IDMAP: the path must be exactly the opened object */
#define BIND_RO 0x1u          /* remount read-only, nosuid, nodev */
#define BIND_NOSUID_NODEV 0x2u
#define BIND_SRC_IN_ROOT 0x4u /* source is resolved inside the new root like a destination */
#define BIND_IF_EXISTS 0x8u   /* a missing source skips the op */
#define SETIDS_CLEAR_GROUPS 0x1u

#define STATUS_ERROR 1u
#define STATUS_EXIT 2u

/* Userspace copies of newer uapi definitions, so older kernel headers still build. */
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#define BK_OPEN_TREE_CLONE 1u
#define BK_MOVE_MOUNT_F_EMPTY_PATH 0x4u
#define BK_MOVE_MOUNT_T_EMPTY_PATH 0x40u
#define BK_MOUNT_ATTR_IDMAP 0x100000ull
#define BK_MOUNT_ATTR_RDONLY 0x1ull
#define BK_MOUNT_ATTR_NOSUID 0x2ull
#define BK_MOUNT_ATTR_NODEV 0x4ull
#define BK_AT_RECURSIVE 0x8000
#define BK_CLOSE_RANGE_CLOEXEC (1u << 2)
struct bk_mount_attr { uint64_t attr_set, attr_clr, propagation, userns_fd; };

/*
 * The state die_errno() and fd_path() need; everything else is passed explicitly. proc is where
 * the host's /proc is: "/proc", then "/old/proc" once the scratch tmpfs became the root.
 */
static struct { int op_index; int op_code; const char *proc; } current = { -1, 0, "/proc" };

struct cursor { const unsigned char *p, *end; };

static void put_u32(unsigned char **p, uint32_t v) { memcpy(*p, &v, 4); *p += 4; }

static void put_str(unsigned char **p, const unsigned char *end, const char *s) {
  uint32_t n = (uint32_t)strnlen(s, 1024);
  if (*p + 4 + n > end) n = 0;
  put_u32(p, n);
  memcpy(*p, s, n);
  *p += n;
}

/*
 * Reports {op index, op name, errno, path, message} on the status fd and exits. Records are
 * length-prefixed and under PIPE_BUF, so concurrent writers never interleave.
 */
__attribute__((noreturn, format(printf, 3, 4)))
static void die_errno(int err, const char *path, const char *fmt, ...) {
  char msg[1024];
  unsigned char rec[3072], *p = rec + 4;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  put_u32(&p, STATUS_ERROR);
  put_u32(&p, (uint32_t)current.op_index);
  put_u32(&p, (uint32_t)err);
  put_str(&p, rec + sizeof rec, op_names[current.op_code]);
  put_str(&p, rec + sizeof rec, path ? path : "");
  put_str(&p, rec + sizeof rec, msg);
  uint32_t len = (uint32_t)(p - rec - 4);
  memcpy(rec, &len, 4);
  if (write(STATUS_FD, rec, (size_t)(p - rec)) < 0) { /* the JVM is gone: nobody to tell */ }
  _exit(current.op_code == OP_EXEC ? 127 : 1);
}

static void report_exit(int code, int sig) {
  unsigned char rec[16], *p = rec;
  put_u32(&p, 12);
  put_u32(&p, STATUS_EXIT);
  put_u32(&p, (uint32_t)code);
  put_u32(&p, (uint32_t)sig);
  if (write(STATUS_FD, rec, sizeof rec) < 0) { /* the JVM is gone */ }
}

static uint32_t get_u32(struct cursor *c) {
  uint32_t v;
  if (c->end - c->p < 4) die_errno(EINVAL, NULL, "plan truncated");
  memcpy(&v, c->p, 4);
  c->p += 4;
  return v;
}

static uint64_t get_u64(struct cursor *c) {
  uint64_t v;
  if (c->end - c->p < 8) die_errno(EINVAL, NULL, "plan truncated");
  memcpy(&v, c->p, 8);
  c->p += 8;
  return v;
}

/* A byte string; strings carry their NUL, which is checked. */
static const unsigned char *get_bytes(struct cursor *c, uint32_t *len) {
  *len = get_u32(c);
  if ((uint64_t)(c->end - c->p) < *len) die_errno(EINVAL, NULL, "plan truncated");
  const unsigned char *b = c->p;
  c->p += *len;
  return b;
}

static const char *get_str(struct cursor *c) {
  uint32_t len;
  const unsigned char *s = get_bytes(c, &len);
  if (len == 0 || s[len - 1] != 0 || memchr(s, 0, len) != s + len - 1)
    die_errno(EINVAL, NULL, "plan string malformed");
  return (const char *)s;
}

static const char *fd_path(char buf[32], int fd) {
  snprintf(buf, 32, "%s/self/fd/%d", current.proc, fd);
  return buf;
}

static void write_file(const char *path, const char *data) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die_errno(errno, path, "open %s", path);
  size_t n = strlen(data);
  if (write(fd, data, n) != (ssize_t)n) die_errno(errno, path, "write %s", path);
  close(fd);
}

enum create { MUST_EXIST, CREATE_DIR, CREATE_FILE };

/*
 * Opens `path` (absolute) beneath root_fd as an O_PATH fd without following any symbolic link,
 * so a link planted in the rootfs cannot redirect a mount out of it (CVE-2021-30465,
 * CVE-2023-27561). Missing components are created as directories (the last one as a file with
 * CREATE_FILE). Equivalent to openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) but works on any
 * kernel and can create what is missing.
 */
static int open_beneath(int root_fd, const char *path, enum create create) {
  char buf[4096];
  if (path[0] != '/' || strlen(path) >= sizeof buf) die_errno(EINVAL, path, "bad path %s", path);
  strcpy(buf, path + 1);
  int fd = openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die_errno(errno, path, "open new root");
  char *save = NULL;
  for (char *comp = strtok_r(buf, "/", &save); comp; ) {
    char *next = strtok_r(NULL, "/", &save);
    if (!strcmp(comp, ".") || !strcmp(comp, "..")) die_errno(EINVAL, path, "'.' or '..' in %s", path);
    int flags = O_PATH | O_NOFOLLOW | O_CLOEXEC | (next ? O_DIRECTORY : 0);
    int nfd = openat(fd, comp, flags);
    if (nfd < 0 && errno == ENOENT && create != MUST_EXIST) {
      if (!next && create == CREATE_FILE) {
        int f = openat(fd, comp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (f < 0) die_errno(errno, path, "create mount point %s", path);
        close(f);
      } else if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
        die_errno(errno, path, "mkdir %s (component %s)", path, comp);
      }
      nfd = openat(fd, comp, flags);
    }
    if (nfd < 0) die_errno(errno, path, "open %s (component %s, symlinks not followed)", path, comp);
    close(fd);
    fd = nfd;
    comp = next;
  }
  struct stat st;
  if (fstat(fd, &st) < 0) die_errno(errno, path, "stat %s", path);
  if (S_ISLNK(st.st_mode)) die_errno(ELOOP, path, "%s is a symbolic link", path);
  return fd;
}

static void set_mount_attr(int fd, const char *path, uint64_t attr, int recursive) {
  struct bk_mount_attr a = { .attr_set = attr };
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (recursive ? BK_AT_RECURSIVE : 0), &a, sizeof a) < 0)
    die_errno(errno, path, "set mount attributes on %s", path);
}

static void mount_fs(int root_fd, const char *dst, const char *type, unsigned long flags,
                     const char *data) {
  char fdp[32];
  int fd = open_beneath(root_fd, dst, CREATE_DIR);
  if (mount(type, fd_path(fdp, fd), type, flags, data) < 0)
    die_errno(errno, dst, "mount %s on %s", type, dst);
  close(fd);
}

#define MAX_SOURCES 1024

/*
 * Host paths opened before anything is mounted over them (OP_OPEN_SOURCE), by index. A detached
 * source is an idmapped tree the monitor made (OP_IDMAP): it is attached by move_mount the
 * first time it is used and bound like any other source after that.
 */
struct sources {
  int fd[MAX_SOURCES];
  unsigned char detached[MAX_SOURCES];
  uint32_t count;
  int received[MAX_SOURCES]; /* trees sent by the monitor, not yet claimed, in order */
  uint32_t received_count, received_next;
};

static int source_fd(const struct sources *srcs, uint32_t index, const char *src) {
  if (index >= srcs->count) die_errno(EINVAL, src, "no source #%u for %s", index, src);
  return srcs->fd[index];
}

/*
 * Opens host path `src` without following a symbolic link as its last component, and checks
 * that the object opened is at exactly `src` (the JVM resolved it), so a link swapped into the
 * path after that cannot redirect the bind. Returns the O_PATH fd, or -1 with errno set.
 */
static int open_source(const char *src, int nofollow) {
  char fp[32], got[4096];
  struct stat st;
  int fd = open(src, O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
  if (fd < 0 || !nofollow) return fd;
  ssize_t n = readlink(fd_path(fp, fd), got, sizeof got - 1);
  if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode) || n < 0 || (got[n] = 0, strcmp(got, src))) {
    close(fd);
    errno = ELOOP;
    return -1;
  }
  return fd;
}

/* Mounts source `index` on the directory or file open as target_fd. */
static void attach_source(struct sources *srcs, uint32_t index, const char *src, int target_fd,
                          const char *dst) {
  char sp[32], dp[32];
  int fd = source_fd(srcs, index, src);
  if (srcs->detached[index]) {
    if (syscall(SYS_move_mount, fd, "", target_fd, "",
                BK_MOVE_MOUNT_F_EMPTY_PATH | BK_MOVE_MOUNT_T_EMPTY_PATH) < 0)
      die_errno(errno, dst, "attach idmapped %s -> %s", src, dst);
    srcs->detached[index] = 0;
  } else if (mount(fd_path(sp, fd), fd_path(dp, target_fd), NULL, MS_BIND | MS_REC, NULL) < 0) {
    die_errno(errno, dst, "mount %s -> %s (bind)", src, dst);
  }
}

static void op_bind(int root_fd, struct sources *srcs, struct cursor *c) {
  const char *src = get_str(c), *dst = get_str(c);
  uint32_t flags = get_u32(c), index = get_u32(c);
  char sp[32], dp[32];
  if ((flags & BIND_IF_EXISTS) && faccessat(root_fd, src + 1, F_OK, AT_SYMLINK_NOFOLLOW) < 0
      && errno == ENOENT)
    return;
  int sfd = (flags & BIND_SRC_IN_ROOT) ? open_beneath(root_fd, src, MUST_EXIST)
                                       : dup(source_fd(srcs, index, src));
  struct stat st;
  if (sfd < 0 || fstat(sfd, &st) < 0) die_errno(errno, src, "bind source %s", src);
  int dfd = open_beneath(root_fd, dst, S_ISDIR(st.st_mode) ? CREATE_DIR : CREATE_FILE);
  if (flags & BIND_SRC_IN_ROOT) {
    if (mount(fd_path(sp, sfd), fd_path(dp, dfd), NULL, MS_BIND | MS_REC, NULL) < 0)
      die_errno(errno, dst, "mount %s -> %s (bind%s)", src, dst, (flags & BIND_RO) ? ", ro" : "");
  } else {
    attach_source(srcs, index, src, dfd, dst);
  }
  close(sfd);
  close(dfd);
  uint64_t attr = ((flags & BIND_RO) ? BK_MOUNT_ATTR_RDONLY : 0)
      | ((flags & (BIND_RO | BIND_NOSUID_NODEV)) ? BK_MOUNT_ATTR_NOSUID | BK_MOUNT_ATTR_NODEV : 0);
  if (attr) {
    /* Reopen: the fd above is the directory under the new mount, not its root. */
    int mfd = open_beneath(root_fd, dst, MUST_EXIST);
    set_mount_attr(mfd, dst, attr, 1);
    close(mfd);
  }
}

/*
 * Hides `path` beneath the root, if it exists: a directory under an empty read-only tmpfs,
 * anything else under a read-only bind of /dev/null (source `index`), as runc's maskedPaths.
 */
static void op_mask(int root_fd, struct sources *srcs, struct cursor *c) {
  const char *path = get_str(c);
  uint32_t index = get_u32(c);
  char fp[32];
  struct stat st;
  if (faccessat(root_fd, path + 1, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) return;
  int fd = open_beneath(root_fd, path, MUST_EXIST);
  if (fstat(fd, &st) < 0) die_errno(errno, path, "stat %s", path);
  if (!S_ISDIR(st.st_mode)) {
    attach_source(srcs, index, "/dev/null", fd, path);
  } else if (mount("tmpfs", fd_path(fp, fd), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   "size=4k,mode=0555") < 0) {
    die_errno(errno, path, "mount tmpfs on %s", path);
  }
  close(fd);
  fd = open_beneath(root_fd, path, MUST_EXIST);
  /* Not nodev: /dev/null must still open. */
  set_mount_attr(fd, path, BK_MOUNT_ATTR_RDONLY | BK_MOUNT_ATTR_NOSUID, 1);
  close(fd);
}

/*
 * Makes a scratch tmpfs the root, with the host's root below it at /old, then binds the rootfs
 * source at /root. Pivoting first (as bubblewrap does) means the scratch tmpfs hides nothing:
 * a source under the scratch directory still shows the host's files.
 */
static void enter_scratch(const char *base) {
  char path[4096];
  /* Nothing done below may propagate back to the host's mount namespace. */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die_errno(errno, "/", "make / private");
  if (mount("tmpfs", base, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755") < 0)
    die_errno(errno, base, "mount tmpfs on %s", base);
  snprintf(path, sizeof path, "%s/root", base);
  if (mkdir(path, 0755) < 0) die_errno(errno, path, "mkdir %s", path);
  snprintf(path, sizeof path, "%s/old", base);
  if (mkdir(path, 0755) < 0) die_errno(errno, path, "mkdir %s", path);
  if (syscall(SYS_pivot_root, base, path) < 0) die_errno(errno, base, "pivot_root to %s", base);
  if (chdir("/") < 0) die_errno(errno, "/", "chdir /");
  current.proc = "/old/proc";
}

static int open_scratch_dir(const char *path) {
  if (mkdir(path, 0700) < 0 && errno != EEXIST) die_errno(errno, path, "mkdir %s", path);
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die_errno(errno, path, "open %s", path);
  return fd;
}

static int op_root(struct sources *srcs, struct cursor *c) {
  const char *base = get_str(c), *src = get_str(c);
  uint32_t flags = get_u32(c), index = get_u32(c);
  enter_scratch(base);
  int target = open_scratch_dir("/root");
  attach_source(srcs, index, src, target, "/");
  close(target);
  int fd = open("/root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die_errno(errno, "/", "open new root");
  if (flags & (BIND_RO | BIND_NOSUID_NODEV))
    set_mount_attr(fd, "/", ((flags & BIND_RO) ? BK_MOUNT_ATTR_RDONLY : 0)
                   | BK_MOUNT_ATTR_NOSUID | BK_MOUNT_ATTR_NODEV, 1);
  return fd;
}

/*
 * As op_root, but / is an overlay: the shared image tree as the read-only lower layer, the
 * sandbox's own directory (holding upper/ and work/, on one mount as overlayfs requires) on top.
 * Both are first attached in the scratch tmpfs at /lower and /rw, so host paths need no escaping
 * and idmapped trees work alike. Mounted here, in the sandbox's user namespace (Linux 5.11+);
 * userxattr keeps overlay metadata in user.* xattrs, the only ones it may set.
 */
static int op_overlay(struct sources *srcs, struct cursor *c) {
  const char *base = get_str(c);
  uint32_t lower = get_u32(c), rw = get_u32(c);
  const char *data = "lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work,userxattr";
  enter_scratch(base);
  int t = open_scratch_dir("/lower");
  attach_source(srcs, lower, "image tree", t, "/lower");
  close(t);
  t = open_scratch_dir("/rw");
  attach_source(srcs, rw, "writable layer", t, "/rw");
  close(t);
  if (mount("overlay", "/root", "overlay", MS_NOSUID | MS_NODEV, data) < 0)
    die_errno(errno, "/", "mount overlay (%s) -> / (in a user namespace: Linux 5.11+, layers on filesystems overlayfs accepts)", data);
  int fd = open("/root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die_errno(errno, "/", "open new root");
  return fd;
}

static void op_symlink(int root_fd, struct cursor *c) {
  const char *target = get_str(c), *path = get_str(c);
  char parent[4096];
  const char *slash = strrchr(path, '/');
  if (!slash || slash == path + strlen(path) - 1 || (size_t)(slash - path) >= sizeof parent)
    die_errno(EINVAL, path, "bad link path %s", path);
  memcpy(parent, path, (size_t)(slash - path));
  parent[slash - path] = 0;
  int pfd = open_beneath(root_fd, parent[0] ? parent : "/", MUST_EXIST);
  if (symlinkat(target, pfd, slash + 1) < 0) die_errno(errno, path, "symlink %s -> %s", path, target);
  close(pfd);
}

static void op_loopback_up(void) {
  struct ifreq r;
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) die_errno(errno, NULL, "socket");
  memset(&r, 0, sizeof r);
  strcpy(r.ifr_name, "lo");
  if (ioctl(s, SIOCGIFFLAGS, &r) < 0) die_errno(errno, NULL, "get flags of lo");
  r.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &r) < 0) die_errno(errno, NULL, "bring lo up");
  close(s);
}

static void op_pivot_root(int root_fd) {
  /* pivot_root(".", ".") stacks the old root on the new one; detaching it leaves no way back. */
  if (umount2("/old", MNT_DETACH) < 0) die_errno(errno, "/", "detach the host root");
  current.proc = "/proc";
  if (fchdir(root_fd) < 0) die_errno(errno, "/", "chdir to new root");
  if (syscall(SYS_pivot_root, ".", ".") < 0) die_errno(errno, "/", "pivot_root");
  if (umount2(".", MNT_DETACH) < 0) die_errno(errno, "/", "detach old root");
  if (chdir("/") < 0) die_errno(errno, "/", "chdir /");
}

static void op_exec(struct cursor *c) {
  uint32_t argc = get_u32(c);
  if (argc == 0 || argc > 65536) die_errno(EINVAL, NULL, "bad argc");
  char **argv = calloc(argc + 1, sizeof *argv);
  for (uint32_t i = 0; i < argc; i++) argv[i] = (char *)get_str(c);
  uint32_t envc = get_u32(c);
  if (envc > 65536) die_errno(EINVAL, NULL, "bad envc");
  char **envp = calloc(envc + 1, sizeof *envp);
  for (uint32_t i = 0; i < envc; i++) envp[i] = (char *)get_str(c);
  if (!argv || !envp) die_errno(ENOMEM, NULL, "allocating argv");
  environ = envp; /* execvp searches this PATH, or /bin:/usr/bin when it has none */
  execvp(argv[0], argv);
  die_errno(errno, argv[0], "exec %s", argv[0]);
}

static void caps_bounding_drop(void) {
  for (int cap = 0; cap <= 63; cap++) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
      if (errno == EINVAL) break; /* past CAP_LAST_CAP */
      die_errno(errno, NULL, "drop capability %d from the bounding set", cap);
    }
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    die_errno(errno, NULL, "clear ambient capabilities");
}

static void caps_clear(void) {
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  if (syscall(SYS_capset, &h, d) < 0) die_errno(errno, NULL, "clear capabilities");
}

static void load_seccomp(struct cursor *c) {
  uint32_t len;
  const unsigned char *prog = get_bytes(c, &len);
  if (len == 0 || len % sizeof(struct sock_filter) || len / sizeof(struct sock_filter) > 4096)
    die_errno(EINVAL, NULL, "seccomp program of %u bytes", len);
  struct sock_filter *f = malloc(len);
  if (!f) die_errno(ENOMEM, NULL, "seccomp");
  memcpy(f, prog, len);
  struct sock_fprog fp = { (unsigned short)(len / sizeof *f), f };
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0)
    die_errno(errno, NULL, "load seccomp filter");
}

static void forwarded_signals(sigset_t *set) {
  sigemptyset(set);
  int sigs[] = { SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT,
                 SIGALRM };
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaddset(set, sigs[i]);
}

/* The monitor's life after setup: forward signals to init, kill it when the JVM dies. */
__attribute__((noreturn))
static void monitor_loop(pid_t child, int watch_fd) {
  sigset_t set;
  struct signalfd_siginfo si;
  forwarded_signals(&set);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (sfd < 0) { kill(child, SIGKILL); die_errno(errno, NULL, "signalfd"); }
  struct pollfd p[2] = { { sfd, POLLIN, 0 }, { watch_fd, 0, 0 } };
  nfds_t n = watch_fd >= 0 ? 2 : 1;
  for (;;) {
    if (poll(p, n, -1) < 0 && errno != EINTR) { kill(child, SIGKILL); die_errno(errno, NULL, "poll"); }
    if (n == 2 && (p[1].revents & (POLLHUP | POLLERR))) { kill(child, SIGKILL); n = 1; }
    if (!(p[0].revents & POLLIN) || read(sfd, &si, sizeof si) != sizeof si) continue;
    if (si.ssi_signo != SIGCHLD) { kill(child, (int)si.ssi_signo); continue; }
    int st;
    if (waitpid(child, &st, WNOHANG) == child) _exit(0);
  }
}

/* PID 1: reap everything, forward signals to the payload, report its end. */
__attribute__((noreturn))
static void init_loop(pid_t payload) {
  sigset_t set;
  struct signalfd_siginfo si;
  forwarded_signals(&set);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (sfd < 0) { kill(payload, SIGKILL); die_errno(errno, NULL, "signalfd"); }
  for (;;) {
    if (read(sfd, &si, sizeof si) != sizeof si) continue;
    if (si.ssi_signo != SIGCHLD) { kill(payload, (int)si.ssi_signo); continue; }
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
      if (p != payload) continue;
      if (WIFEXITED(st)) report_exit(WEXITSTATUS(st), 0);
      else report_exit(128 + WTERMSIG(st), WTERMSIG(st));
      _exit(0); /* the kernel kills what is left in the pid namespace */
    }
  }
}

struct run_state { int root_fd, watch_fd, sync_fd; pid_t child; int is_child; struct sources srcs; };

/*
 * Monitor, in the host's user namespace: clones the tree at `src` as a detached mount whose
 * owners are shifted through the child's user namespace (mount_setattr MOUNT_ATTR_IDMAP, Linux
 * 5.12+; only the initial namespace's root may do this for host filesystems), and sends it to
 * the child. Files owned by host uid N then appear as inside uid N and writes land as uid N.
 */
static void send_idmapped(struct run_state *s, const char *src, int nofollow) {
  char ns[64], cbuf[CMSG_SPACE(sizeof(int))];
  int pfd = open_source(src, nofollow);
  if (pfd < 0) { kill(s->child, SIGKILL); die_errno(errno, src, "open %s (no symbolic links)", src); }
  int tree = (int)syscall(SYS_open_tree, pfd, "",
                          BK_OPEN_TREE_CLONE | O_CLOEXEC | BK_AT_RECURSIVE | AT_EMPTY_PATH);
  if (tree < 0) { kill(s->child, SIGKILL); die_errno(errno, src, "open_tree %s", src); }
  close(pfd);
  snprintf(ns, sizeof ns, "/proc/%d/ns/user", (int)s->child);
  int nsfd = open(ns, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) { kill(s->child, SIGKILL); die_errno(errno, ns, "open %s", ns); }
  struct bk_mount_attr a = { .attr_set = BK_MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)nsfd };
  if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | BK_AT_RECURSIVE, &a, sizeof a) < 0) {
    kill(s->child, SIGKILL);
    die_errno(errno, src, "idmapped mount of %s (its filesystem must support idmapped mounts)", src);
  }
  char b = 'f';
  struct iovec iov = { &b, 1 };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &tree, sizeof tree);
  if (sendmsg(s->sync_fd, &m, 0) != 1) { kill(s->child, SIGKILL); die_errno(errno, src, "send tree"); }
  close(tree);
  close(nsfd);
}

/* Child: collects the trees the monitor sent, up to its go-ahead byte 'g'. */
static void sync_receive(struct run_state *s) {
  for (;;) {
    char b = 0, cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { &b, 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
    if (recvmsg(s->sync_fd, &m, MSG_CMSG_CLOEXEC) != 1) die_errno(errno, NULL, "sync (monitor gone)");
    if (b == 'g') break;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    if (b != 'f' || !cm || cm->cmsg_type != SCM_RIGHTS || s->srcs.received_count >= MAX_SOURCES)
      die_errno(EPROTO, NULL, "sync: unexpected message");
    memcpy(&s->srcs.received[s->srcs.received_count++], CMSG_DATA(cm), sizeof(int));
  }
  /* Kept open: it hangs up when the monitor dies (see OP_SETIDS). */
}

static void run_op(struct run_state *s, uint16_t code, uint16_t flags, struct cursor *c) {
  char path[64];
  if (s->child > 0 && !s->is_child && !(flags & OPF_PARENT) && code != OP_SYNC) return;
  if (s->is_child && (flags & OPF_PARENT)) return;
  switch (code) {
  case OP_WATCH_PARENT:
    s->watch_fd = PLAN_FD;
    break;
  case OP_CLONE: {
    int sp[2];
    /* Packets, so that trees sent by OP_IDMAP and the final sync byte arrive one by one. */
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) die_errno(errno, NULL, "socketpair");
    pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)get_u64(c) | SIGCHLD, 0, 0, 0, 0);
    if (pid < 0) die_errno(errno, NULL, "clone (namespaces)");
    if (pid == 0) {
      /* The monitor is single-threaded, so PDEATHSIG is safe here. It only fires for a death
       * after this call; a monitor killed before it is seen as the hang-up of the sync socket,
       * which the monitor holds open until it dies (checked again at OP_SETIDS). */
      if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die_errno(errno, NULL, "PR_SET_PDEATHSIG");
      close(sp[1]);
      struct pollfd alive = { sp[0], POLLIN, 0 };
      if (poll(&alive, 1, 0) > 0 && (alive.revents & (POLLHUP | POLLERR))) _exit(1);
      close(PLAN_FD);
      s->is_child = 1;
      s->sync_fd = sp[0];
    } else {
      close(sp[0]);
      s->child = pid;
      s->sync_fd = sp[1];
    }
    break;
  }
  case OP_UID_MAP:
  case OP_GID_MAP:
  case OP_SETGROUPS_DENY: {
    const char *data = code == OP_SETGROUPS_DENY ? "deny" : get_str(c);
    const char *file = code == OP_UID_MAP ? "uid_map" : code == OP_GID_MAP ? "gid_map" : "setgroups";
    if (s->is_child) snprintf(path, sizeof path, "/proc/self/%s", file);
    else snprintf(path, sizeof path, "/proc/%d/%s", (int)s->child, file);
    write_file(path, data);
    break;
  }
  case OP_SYNC: {
    char b = 'g';
    if (!s->is_child) {
      if (write(s->sync_fd, &b, 1) != 1) { kill(s->child, SIGKILL); die_errno(errno, NULL, "sync"); }
      /* The sync socket stays open until the monitor dies, so the child can tell it died. */
      prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
      monitor_loop(s->child, s->watch_fd);
    }
    sync_receive(s);
    break;
  }
  case OP_IDMAP:
    send_idmapped(s, get_str(c), (flags & OPF_NOFOLLOW) != 0);
    break;
  case OP_NOT_DUMPABLE:
    /* No ptrace and no /proc/<pid>/exe access to this process from inside (CVE-2016-9962). */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) die_errno(errno, NULL, "PR_SET_DUMPABLE");
    break;
  case OP_OPEN_SOURCE: {
    const char *src = get_str(c);
    if (s->srcs.count >= MAX_SOURCES) die_errno(E2BIG, src, "too many sources");
    int fd;
    if (flags & OPF_RECEIVED) {
      if (s->srcs.received_next >= s->srcs.received_count)
        die_errno(EINVAL, src, "no idmapped tree received for %s", src);
      fd = s->srcs.received[s->srcs.received_next++];
    } else if ((fd = open_source(src, (flags & OPF_NOFOLLOW) != 0)) < 0) {
      die_errno(errno, src, "bind source %s%s", src, errno == ELOOP ? " (no symbolic links)" : "");
    }
    s->srcs.detached[s->srcs.count] = (flags & OPF_RECEIVED) != 0;
    s->srcs.fd[s->srcs.count++] = fd;
    break;
  }
  case OP_ROOT:
    s->root_fd = op_root(&s->srcs, c);
    break;
  case OP_OVERLAY:
    s->root_fd = op_overlay(&s->srcs, c);
    break;
  case OP_BIND:
    op_bind(s->root_fd, &s->srcs, c);
    break;
  case OP_MASK:
    op_mask(s->root_fd, &s->srcs, c);
    break;
  case OP_TMPFS: {
    const char *dst = get_str(c);
    uint64_t size = get_u64(c);
    uint32_t mode = get_u32(c);
    char data[64];
    snprintf(data, sizeof data, "size=%llu,mode=%o", (unsigned long long)size, mode & 07777);
    mount_fs(s->root_fd, dst, "tmpfs", MS_NOSUID | MS_NODEV, data);
    break;
  }
  case OP_PROC:
    mount_fs(s->root_fd, get_str(c), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    break;
  case OP_DEVPTS:
    mount_fs(s->root_fd, get_str(c), "devpts", MS_NOSUID | MS_NOEXEC,
             "newinstance,ptmxmode=0666,mode=620");
    break;
  case OP_MKDIR:
    close(open_beneath(s->root_fd, get_str(c), CREATE_DIR));
    break;
  case OP_SYMLINK:
    op_symlink(s->root_fd, c);
    break;
  case OP_REMOUNT_RO: {
    const char *dst = get_str(c);
    int fd = open_beneath(s->root_fd, dst, MUST_EXIST);
    set_mount_attr(fd, dst, BK_MOUNT_ATTR_RDONLY | BK_MOUNT_ATTR_NOSUID | BK_MOUNT_ATTR_NODEV,
                   !(flags & OPF_SHALLOW));
    close(fd);
    break;
  }
  case OP_HOSTNAME: {
    const char *h = get_str(c);
    if (sethostname(h, strlen(h)) < 0) die_errno(errno, NULL, "sethostname %s", h);
    break;
  }
  case OP_LOOPBACK_UP:
    op_loopback_up();
    break;
  case OP_PIVOT_ROOT:
    op_pivot_root(s->root_fd);
    close(s->root_fd);
    s->root_fd = -1;
    while (s->srcs.count > 0) close(s->srcs.fd[--s->srcs.count]);
    while (s->srcs.received_next < s->srcs.received_count) close(s->srcs.received[s->srcs.received_next++]);
    break;
  case OP_FORK_INIT: {
    pid_t pid = fork();
    if (pid < 0) die_errno(errno, NULL, "fork");
    if (pid > 0) {
      close(STDIN_FILENO);
      close(STDOUT_FILENO);
      close(STDERR_FILENO);
      init_loop(pid);
    }
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die_errno(errno, NULL, "PR_SET_PDEATHSIG");
    /* Only stdio survives exec; the status fd stays open until then to report exec errors. */
    if (syscall(SYS_close_range, 3, ~0u, BK_CLOSE_RANGE_CLOEXEC) < 0)
      die_errno(errno, NULL, "close_range");
    sigset_t none;
    sigemptyset(&none);
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    break;
  }
  case OP_SETSID:
    if (setsid() < 0) die_errno(errno, NULL, "setsid");
    break;
  case OP_RLIMIT: {
    uint32_t res = get_u32(c);
    struct rlimit rl;
    rl.rlim_cur = get_u64(c);
    rl.rlim_max = get_u64(c);
    if (setrlimit((int)res, &rl) < 0) die_errno(errno, NULL, "setrlimit %u", res);
    break;
  }
  case OP_CHDIR: {
    const char *dir = get_str(c);
    char cwd[4096];
    if (chdir(dir) < 0) die_errno(errno, dir, "chdir %s", dir);
    /* A cwd outside the root shows as "(unreachable)..." (CVE-2024-21626). */
    if (!getcwd(cwd, sizeof cwd) || cwd[0] != '/') die_errno(EPERM, dir, "cwd %s is outside the root", dir);
    break;
  }
  case OP_CAPS_BOUNDING:
    caps_bounding_drop();
    break;
  case OP_SETIDS: {
    uint32_t uid = get_u32(c), gid = get_u32(c), fl = get_u32(c);
    if ((fl & SETIDS_CLEAR_GROUPS) && setgroups(0, NULL) < 0) die_errno(errno, NULL, "setgroups");
    if (setresgid(gid, gid, gid) < 0) die_errno(errno, NULL, "setresgid %u", gid);
    if (setresuid(uid, uid, uid) < 0) die_errno(errno, NULL, "setresuid %u", uid);
    /* Changing credentials clears the parent-death signal: arm it again, then check that the
       parent (the monitor, whose sync socket hangs up when it dies) did not die meanwhile. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die_errno(errno, NULL, "PR_SET_PDEATHSIG");
    struct pollfd pf = { s->sync_fd, POLLIN, 0 };
    if (s->sync_fd >= 0 && poll(&pf, 1, 0) > 0 && (pf.revents & (POLLHUP | POLLERR)))
      die_errno(ESRCH, NULL, "the monitor died");
    break;
  }
  case OP_CAPS_CLEAR:
    caps_clear();
    break;
  case OP_NO_NEW_PRIVS:
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die_errno(errno, NULL, "PR_SET_NO_NEW_PRIVS");
    break;
  case OP_SECCOMP:
    load_seccomp(c);
    break;
  case OP_EXEC:
    op_exec(c);
    break;
  default:
    die_errno(EINVAL, NULL, "unknown op %u", code);
  }
}

static unsigned char *read_plan(uint32_t *len) {
  uint32_t hdr[2];
  size_t got = 0;
  unsigned char *buf = (unsigned char *)hdr;
  for (size_t want = sizeof hdr; got < want; ) {
    ssize_t r = read(PLAN_FD, buf + got, want - got);
    if (r <= 0) die_errno(r < 0 ? errno : EPIPE, NULL, "read plan header");
    got += (size_t)r;
  }
  if (hdr[0] != PLAN_MAGIC || hdr[1] > PLAN_MAX) die_errno(EINVAL, NULL, "bad plan header");
  *len = hdr[1];
  buf = malloc(*len ? *len : 1);
  if (!buf) die_errno(ENOMEM, NULL, "plan buffer");
  for (got = 0; got < *len; ) {
    ssize_t r = read(PLAN_FD, buf + got, *len - got);
    if (r <= 0) die_errno(r < 0 ? errno : EPIPE, NULL, "read plan");
    got += (size_t)r;
  }
  return buf;
}

int main(void) {
  sigset_t set;
  uint32_t len;
  /* Dispositions and masks are inherited from the JVM: start from a known state. */
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
  signal(SIGPIPE, SIG_IGN);
  forwarded_signals(&set);
  sigprocmask(SIG_SETMASK, &set, NULL);
  if (setsid() < 0) die_errno(errno, NULL, "setsid");
  /* fds the JVM leaked without O_CLOEXEC end here: only stdio, plan and status stay. */
  if (syscall(SYS_close_range, STATUS_FD + 1, ~0u, 0) < 0) die_errno(errno, NULL, "close_range");
  unsigned char *plan = read_plan(&len);
  struct cursor all = { plan, plan + len };
  struct run_state s = { .root_fd = -1, .watch_fd = -1, .sync_fd = -1 };
  for (current.op_index = 0; all.p < all.end; current.op_index++) {
    uint32_t head = get_u32(&all), size = get_u32(&all);
    if ((uint64_t)(all.end - all.p) < size) die_errno(EINVAL, NULL, "op truncated");
    current.op_code = (head & 0xffff) < OP_COUNT ? (int)(head & 0xffff) : 0;
    struct cursor c = { all.p, all.p + size };
    run_op(&s, (uint16_t)(head & 0xffff), (uint16_t)(head >> 16), &c);
    all.p += size;
  }
  current.op_code = 0;
  die_errno(EINVAL, NULL, "plan ended without exec");
}
