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
#include <netinet/in.h>
#include <arpa/inet.h>
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
#include <time.h>
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
  OP_EXEC, OP_OPEN_SOURCE, OP_OVERLAY, OP_IDMAP, OP_MASK, OP_STDIO, OP_PUBLISH, OP_FORWARD_OUT,
  OP_JOIN_NET, OP_REPORT_CHILD, OP_HOLD, OP_JOIN_SANDBOX, OP_READY, OP_AWAIT, OP_NEW_NET,
  OP_ENTER_NET, OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
  "none", "watch-parent", "clone", "uid-map", "gid-map", "setgroups-deny", "sync",
  "not-dumpable", "root", "mount-bind", "mount-tmpfs", "mount-proc", "mount-devpts", "mkdir",
  "symlink", "remount-ro", "hostname", "loopback-up", "pivot-root", "fork-init", "setsid",
  "rlimit", "chdir", "caps-bounding", "setids", "caps-clear", "no-new-privs", "seccomp", "exec",
  "open-source", "mount-overlay", "idmap", "mask", "stdio", "publish", "forward-out",
  "join-network", "report-child", "hold", "join-sandbox", "ready", "await", "new-network",
  "enter-network",
};

#define OPF_PARENT 0x1u       /* run by the monitor, on the child, instead of by the child */
#define OPF_RECEIVED 0x2u     /* OPEN_SOURCE: take the next tree the monitor sent (OP_IDMAP) */
#define OPF_SHALLOW 0x4u      /* REMOUNT_RO: this mount only, not the mounts below it */
#define BIND_RO 0x1u          /* remount read-only, nosuid, nodev */
#define BIND_NOSUID_NODEV 0x2u
#define BIND_SRC_IN_ROOT 0x4u /* source is resolved inside the new root like a destination */
#define BIND_IF_EXISTS 0x8u   /* a missing source skips the op */
#define BIND_DEVICE 0x10u     /* remount read-only and nosuid, but not nodev: a device node */
#define STDIO_PROXY 0u        /* OP_STDIO: copy the helper's own fd through a pipe */
#define STDIO_READ_FILE 1u    /* OP_STDIO: open the path for reading, copy it into a pipe */
#define STDIO_WRITE_FILE 2u   /* OP_STDIO: create or truncate the path, copy a pipe into it */
#define SETIDS_CLEAR_GROUPS 0x1u
#define CHDIR_CREATE 0x8u     /* OP_CHDIR: create the directory when it is missing (0x1 is PARENT) */
#define KEEP_PLAN 0x10u       /* OP_CLONE: the child keeps the plan fd (OP_AWAIT reads its program there) */
#define TMPFS_RO 0x20u        /* OP_TMPFS: mount it read-only */
#define REQUEST_MAGIC 0x31525842u /* "BXR1" little-endian: a pooled sandbox's program (OP_AWAIT) */

#define STATUS_ERROR 1u
#define STATUS_EXIT 2u
#define STATUS_PORT 3u
#define STATUS_CHILD 4u
#define STATUS_READY 5u     /* the root is in place: an exec may join the namespaces */
#define JOIN_USERNS 0x1u      /* OP_JOIN_NET: enter the holder's user namespace first (no root) */

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
#ifndef SIOCGSKNS
#define SIOCGSKNS 0x894C
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#define BK_RESOLVE_NO_MAGICLINKS 0x02ull
#define BK_RESOLVE_BENEATH 0x08ull
#define BK_RESOLVE_NO_SYMLINKS 0x04ull
struct bk_open_how { uint64_t flags, mode, resolve; };
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

/* A published port is listening: the sandbox's port and the host port it is reached at. */
static void report_port(uint32_t sandbox_port, uint32_t host_port) {
  unsigned char rec[16], *p = rec;
  put_u32(&p, 12);
  put_u32(&p, STATUS_PORT);
  put_u32(&p, sandbox_port);
  put_u32(&p, host_port);
  if (write(STATUS_FD, rec, sizeof rec) < 0) { /* the JVM is gone */ }
}

static uint32_t get_u32(struct cursor *c);

/* The sandbox's first process, by its pid in the host's pid namespace. */
static void report_child(pid_t pid) {
  unsigned char rec[12], *p = rec;
  put_u32(&p, 8);
  put_u32(&p, STATUS_CHILD);
  put_u32(&p, (uint32_t)pid);
  if (write(STATUS_FD, rec, sizeof rec) < 0) { /* the JVM is gone */ }
}

static void report_ready(void) {
  unsigned char rec[8], *p = rec;
  put_u32(&p, 4);
  put_u32(&p, STATUS_READY);
  if (write(STATUS_FD, rec, sizeof rec) < 0) { /* the JVM is gone */ }
}

/*
 * Monitor, before CLONE: enters the network namespace of a shared network's holder process, so
 * the sandbox cloned next is in it (pod-style: one loopback for every member). Without root,
 * the holder's user namespace first: its owner (this user) has every capability there, and
 * joining its network namespace needs CAP_SYS_ADMIN over that namespace's owner.
 */
static void op_join_net(struct cursor *c) {
  uint32_t pid = get_u32(c), flags = get_u32(c);
  char path[64];
  int types[2] = { CLONE_NEWUSER, CLONE_NEWNET };
  const char *names[2] = { "user", "net" };
  for (int i = (flags & JOIN_USERNS) ? 0 : 1; i < 2; i++) {
    snprintf(path, sizeof path, "/proc/%u/ns/%s", pid, names[i]);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die_errno(errno, path, "open %s (the network's holder is gone?)", path);
    if (setns(fd, types[i]) < 0) die_errno(errno, path, "setns %s", path);
    close(fd);
  }
}

/*
 * Monitor, before CLONE: enters every namespace of a running sandbox whose init has host pid
 * `pid` (user first: it gives the capabilities the others need), so the process cloned next is
 * a new process of that sandbox, as `docker exec` makes one. Every namespace file is opened
 * before any is entered: entering the mount namespace changes what /proc means.
 */
static void op_join_sandbox(struct cursor *c) {
  uint32_t pid = get_u32(c);
  static const char *const names[] = { "user", "mnt", "pid", "net", "ipc", "uts", "cgroup" };
  static const int types[] = { CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC,
                               CLONE_NEWUTS, CLONE_NEWCGROUP };
  int fds[7];
  char path[64];
  for (int i = 0; i < 7; i++) {
    snprintf(path, sizeof path, "/proc/%u/ns/%s", pid, names[i]);
    if ((fds[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0) die_errno(errno, path, "open %s (the sandbox ended?)", path);
  }
  for (int i = 0; i < 7; i++) {
    if (setns(fds[i], types[i]) < 0) die_errno(errno, names[i], "setns into the sandbox's %s namespace", names[i]);
    close(fds[i]);
  }
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

enum create { MUST_EXIST, MAY_BE_MISSING, CREATE_DIR, CREATE_FILE };

/* One component at a time with O_NOFOLLOW, creating what is missing: open_beneath's slow path. */
static int walk_beneath(int root_fd, const char *path, enum create create) {
  char buf[4096];
  strcpy(buf, path + 1);
  int fd = openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die_errno(errno, path, "open new root");
  char *save = NULL;
  for (char *comp = strtok_r(buf, "/", &save); comp; ) {
    char *next = strtok_r(NULL, "/", &save);
    int flags = O_PATH | O_NOFOLLOW | O_CLOEXEC | (next ? O_DIRECTORY : 0);
    int nfd = openat(fd, comp, flags);
    if (nfd < 0 && errno == ENOENT && create == MAY_BE_MISSING) {
      close(fd);
      return -1;
    }
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

/* openat2 beneath root_fd refusing every symbolic link; -1 with errno when it cannot. */
static int openat2_beneath(int root_fd, const char *rel) {
  struct bk_open_how how = { O_PATH | O_CLOEXEC, 0,
                             BK_RESOLVE_BENEATH | BK_RESOLVE_NO_SYMLINKS | BK_RESOLVE_NO_MAGICLINKS };
  return (int)syscall(SYS_openat2, root_fd, rel[0] ? rel : ".", &how, sizeof how);
}

/*
 * Opens `path` (absolute) beneath root_fd as an O_PATH fd without following any symbolic link,
 * so a link planted in the rootfs cannot redirect a mount out of it (CVE-2021-30465,
 * CVE-2023-27561). Missing components are created as directories (the last one as a file with
 * CREATE_FILE); with MAY_BE_MISSING a missing one gives -1. One openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS) call where the kernel has it (a last component to create: the parent's,
 * then one create); a walk of one component at a time otherwise, and for every failure, so the
 * errors name the component whatever the kernel.
 */
static int open_beneath(int root_fd, const char *path, enum create create) {
  size_t len = strlen(path);
  if (path[0] != '/' || len >= 4096) die_errno(EINVAL, path, "bad path %s", path);
  for (const char *p = path; *p; ) {
    while (*p == '/') p++;
    size_t n = strcspn(p, "/");
    if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
      die_errno(EINVAL, path, "'.' or '..' in %s", path);
    p += n;
  }
  int fd = openat2_beneath(root_fd, path + 1);
  if (fd >= 0) return fd;
  /* A symbolic link gives ELOOP before a missing component could give ENOENT. */
  if (errno == ENOENT && create == MAY_BE_MISSING) return -1;
  const char *slash = strrchr(path, '/');
  if (errno == ENOENT && (create == CREATE_DIR || create == CREATE_FILE) && slash[1]) {
    char parent[4096];
    memcpy(parent, path + 1, (size_t)(slash - path));
    parent[slash - path - 1] = 0;
    int pfd = openat2_beneath(root_fd, parent);
    if (pfd >= 0) {
      const char *last = slash + 1;
      int made;
      if (create == CREATE_FILE) {
        made = openat(pfd, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (made >= 0) close(made);
      } else {
        made = mkdirat(pfd, last, 0755);
      }
      if (made >= 0) fd = openat2_beneath(pfd, last); /* still no link, even if swapped in since */
      close(pfd);
      if (fd >= 0) return fd;
    }
  }
  return walk_beneath(root_fd, path, create);
}

/*
 * Mounts a copy of the tree open as src_fd (in this mount namespace) on target_fd with
 * attributes `attr` (recursively) already set: the copy is read-only before it is attached,
 * and the target needs no second lookup.
 */
static void bind_tree(int src_fd, int target_fd, uint64_t attr, const char *src, const char *dst) {
  int tree = (int)syscall(SYS_open_tree, src_fd, "",
                          BK_OPEN_TREE_CLONE | O_CLOEXEC | BK_AT_RECURSIVE | AT_EMPTY_PATH);
  if (tree < 0) die_errno(errno, dst, "mount %s -> %s (bind)", src, dst);
  struct bk_mount_attr a = { .attr_set = attr };
  if (attr && syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | BK_AT_RECURSIVE, &a, sizeof a) < 0)
    die_errno(errno, dst, "set mount attributes on %s", dst);
  if (syscall(SYS_move_mount, tree, "", target_fd, "",
              BK_MOVE_MOUNT_F_EMPTY_PATH | BK_MOVE_MOUNT_T_EMPTY_PATH) < 0)
    die_errno(errno, dst, "mount %s -> %s (bind)", src, dst);
  close(tree);
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
 * Opens absolute host path `path` with `flags` (and `mode` when creating) without following a
 * symbolic link in ANY component: a link a sandbox planted in a directory it could write (say
 * `ln -s / W/stage`) must not turn `W/stage/etc` into the host's /etc. openat2 with
 * RESOLVE_NO_SYMLINKS (Linux 5.6+); on older kernels, a walk one component at a time with
 * O_NOFOLLOW. Returns the fd, or -1 with errno set (ELOOP for a link).
 */
static int open_host_path(const char *path, int flags, mode_t mode) {
  struct bk_open_how how = { (uint64_t)(flags | O_CLOEXEC), (flags & O_CREAT) ? mode : 0,
                             BK_RESOLVE_NO_SYMLINKS | BK_RESOLVE_NO_MAGICLINKS };
  int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
  if (fd >= 0 || errno != ENOSYS) return fd;
  char buf[4096];
  struct stat st;
  if (path[0] != '/' || strlen(path) >= sizeof buf) { errno = EINVAL; return -1; }
  strcpy(buf, path);
  char *last = strrchr(buf, '/');
  *last = 0;
  int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  char *save = NULL;
  for (char *comp = strtok_r(buf + 1, "/", &save); comp && dir >= 0; comp = strtok_r(NULL, "/", &save)) {
    int next = openat(dir, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    close(dir);
    if (next >= 0 && (fstat(next, &st) < 0 || !S_ISDIR(st.st_mode))) {
      int err = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
      close(next);
      errno = err;
      return -1;
    }
    dir = next;
  }
  if (dir < 0) return -1;
  if (!last[1]) return dir; /* the path was "/" */
  fd = openat(dir, last + 1, flags | O_NOFOLLOW | O_CLOEXEC, mode);
  close(dir);
  if (fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) { close(fd); errno = ELOOP; return -1; }
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

/*
 * Mounts source `index` on target_fd (dst beneath root_fd) with attributes `attr`: a copy made
 * read-only before it is attached, or, for an idmapped tree the monitor sent, that tree itself,
 * attached, then given the attributes.
 */
static void bind_source(struct sources *srcs, uint32_t index, const char *src, int root_fd,
                        int target_fd, const char *dst, uint64_t attr) {
  int fd = source_fd(srcs, index, src);
  if (!srcs->detached[index]) {
    bind_tree(fd, target_fd, attr, src, dst);
    return;
  }
  attach_source(srcs, index, src, target_fd, dst);
  if (attr) {
    /* Reopen: target_fd is the directory under the new mount, not its root. */
    int mfd = open_beneath(root_fd, dst, MUST_EXIST);
    set_mount_attr(mfd, dst, attr, 1);
    close(mfd);
  }
}

static void op_bind(int root_fd, struct sources *srcs, struct cursor *c) {
  const char *src = get_str(c), *dst = get_str(c);
  uint32_t flags = get_u32(c), index = get_u32(c);
  int in_root = (flags & BIND_SRC_IN_ROOT) != 0;
  if ((flags & BIND_IF_EXISTS) && !in_root && faccessat(root_fd, src + 1, F_OK, AT_SYMLINK_NOFOLLOW) < 0
      && errno == ENOENT)
    return;
  int sfd = in_root ? open_beneath(root_fd, src, (flags & BIND_IF_EXISTS) ? MAY_BE_MISSING : MUST_EXIST)
                    : source_fd(srcs, index, src);
  if (sfd < 0 && in_root) return; /* BIND_IF_EXISTS, and it does not */
  struct stat st;
  if (fstat(sfd, &st) < 0) die_errno(errno, src, "bind source %s", src);
  /* Java checked the node; a file swapped in since must not be bound without nodev. */
  if ((flags & BIND_DEVICE) && !S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
    die_errno(EINVAL, src, "%s is not a character or block device", src);
  int dfd = open_beneath(root_fd, dst, S_ISDIR(st.st_mode) ? CREATE_DIR : CREATE_FILE);
  /* A device node stays usable on a read-only mount (writes to a device are not writes to the
   * filesystem), but its owner and mode can no longer be changed: not nodev, or it would not open. */
  uint64_t attr = ((flags & (BIND_RO | BIND_DEVICE)) ? BK_MOUNT_ATTR_RDONLY | BK_MOUNT_ATTR_NOSUID : 0)
      | ((flags & (BIND_RO | BIND_NOSUID_NODEV)) ? BK_MOUNT_ATTR_NOSUID | BK_MOUNT_ATTR_NODEV : 0);
  if (in_root) {
    bind_tree(sfd, dfd, attr, src, dst);
    close(sfd);
  } else {
    bind_source(srcs, index, src, root_fd, dfd, dst, attr);
  }
  close(dfd);
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
  int fd = open_beneath(root_fd, path, MAY_BE_MISSING);
  if (fd < 0) return;
  if (fstat(fd, &st) < 0) die_errno(errno, path, "stat %s", path);
  if (!S_ISDIR(st.st_mode)) {
    /* Not nodev: /dev/null must still open. */
    bind_source(srcs, index, "/dev/null", root_fd, fd, path, BK_MOUNT_ATTR_RDONLY | BK_MOUNT_ATTR_NOSUID);
  } else if (mount("tmpfs", fd_path(fp, fd), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   "size=4k,mode=0555") < 0) {
    /* Read-only and nosuid from the start, and empty: no attributes left to set. */
    die_errno(errno, path, "mount tmpfs on %s", path);
  }
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
  uint64_t size = get_u64(c);
  const char *data = "lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work,userxattr";
  enter_scratch(base);
  int t = open_scratch_dir("/lower");
  attach_source(srcs, lower, "image tree", t, "/lower");
  close(t);
  t = open_scratch_dir("/rw");
  if (size) {
    /* A bounded writable layer: a tmpfs of `size` bytes, whose pages count against the
     * sandbox's memory limit; writes past it fail with ENOSPC. */
    char opts[64];
    snprintf(opts, sizeof opts, "size=%llu,mode=0755", (unsigned long long)size);
    if (mount("tmpfs", "/rw", "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
      die_errno(errno, "/rw", "mount a tmpfs of %llu bytes for the writable layer", (unsigned long long)size);
    if (mkdir("/rw/upper", 0755) < 0 || mkdir("/rw/work", 0755) < 0)
      die_errno(errno, "/rw", "mkdir the writable layer's upper and work");
  } else {
    attach_source(srcs, rw, "writable layer", t, "/rw");
  }
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

/* Brings lo up in the caller's network namespace; returns the socket it used. */
static int loopback_up(void) {
  struct ifreq r;
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) die_errno(errno, NULL, "socket");
  memset(&r, 0, sizeof r);
  strcpy(r.ifr_name, "lo");
  if (ioctl(s, SIOCGIFFLAGS, &r) < 0) die_errno(errno, NULL, "get flags of lo");
  r.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &r) < 0) die_errno(errno, NULL, "bring lo up");
  return s;
}

/* Per network namespace (Linux 4.11+): services inside bind ports below 1024 without a
 * capability, as rootless Podman's NET_BIND_SERVICE would let them; nothing outside changes.
 * The file acts on the network namespace of the process that opens it; proc_fd is a directory
 * fd of the host's /proc. */
static void unprivileged_low_ports(int proc_fd) {
  const char *rel = "sys/net/ipv4/ip_unprivileged_port_start";
  int fd = openat(proc_fd, rel, O_WRONLY | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT) die_errno(errno, rel, "open /proc/%s", rel);
  if (fd >= 0 && write(fd, "0", 1) != 1) die_errno(errno, rel, "write /proc/%s", rel);
  if (fd >= 0) close(fd);
}

static void op_loopback_up(void) {
  close(loopback_up());
  int proc_fd = open(current.proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (proc_fd < 0) die_errno(errno, current.proc, "open %s", current.proc);
  unprivileged_low_ports(proc_fd);
  close(proc_fd);
}

static int send_packet(int sock, const void *data, size_t len, int fd);
static ssize_t recv_packet(int sock, unsigned char *buf, size_t cap, int *fd, int flags);

/*
 * Child, right after CLONE: the sandbox's network namespace is made beside the mount tree
 * instead of by CLONE, where a fresh one costs ~0.5 ms of kernel time (setup_net) on the
 * sandbox's critical path. A second process (the maker, pid 2 of the sandbox's pid namespace)
 * unshares it (owned by the sandbox's user namespace, whose capabilities it holds as this one
 * does), brings lo up, opens low ports, and sends the namespace's fd (SIOCGSKNS) back over a
 * socket pair, then exits; OP_ENTER_NET receives it and enters. The maker resolves its one path
 * beneath a /proc fd opened here, so the mounts made meanwhile cannot change what it opens.
 */
static void op_new_net(pid_t *maker, int *sock_out) {
  int proc_fd = open(current.proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (proc_fd < 0) die_errno(errno, current.proc, "open %s", current.proc);
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) die_errno(errno, NULL, "socketpair");
  pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) die_errno(errno, NULL, "clone (network namespace maker)");
  if (pid > 0) {
    close(sp[1]);
    close(proc_fd);
    *maker = pid;
    *sock_out = sp[0];
    return;
  }
  close(sp[0]);
  if (unshare(CLONE_NEWNET) < 0) die_errno(errno, NULL, "unshare CLONE_NEWNET");
  int sock = loopback_up();
  unprivileged_low_ports(proc_fd);
  int ns = ioctl(sock, SIOCGSKNS);
  if (ns < 0) die_errno(errno, NULL, "SIOCGSKNS (open the new network namespace)");
  /* This process is pid 2; the program takes pid 2 after it all the same, as it would without
   * it: the next fork takes the pid after ns_last_pid, which the namespace's owner may set
   * (OP_FORK_INIT reaps this process first). Only a pid number depends on it, so a kernel without
   * it (CONFIG_CHECKPOINT_RESTORE) or a security module refusing the write leaves the program at
   * pid 3 rather than failing the sandbox. */
  int last = openat(proc_fd, "sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
  if (last >= 0) {
    if (write(last, "1", 1) != 1) { /* pid 3, see above */ }
    close(last);
  }
  char b = 'n';
  if (send_packet(sp[1], &b, 1, ns) < 0) die_errno(errno, NULL, "send the network namespace");
  _exit(0);
}

/* Child: takes the namespace OP_NEW_NET's maker sent and enters it (its exit is not waited for). */
static void op_enter_net(pid_t maker, int sock) {
  unsigned char b = 0;
  int ns;
  if (maker <= 0) die_errno(EINVAL, NULL, "no network namespace was started (new-network must come first)");
  ssize_t n;
  while ((n = recv_packet(sock, &b, 1, &ns, 0)) < 0 && errno == EINTR) {}
  if (n != 1 || b != 'n' || ns < 0) {
    /* The maker ended without sending: it reported its error, unless it was killed. */
    if (ns >= 0) close(ns);
    int st = 0;
    while (waitpid(maker, &st, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(st) && WEXITSTATUS(st) != 0) _exit(1);
    die_errno(EPROTO, NULL, "the network namespace maker ended without it (wait status 0x%x)", (unsigned)st);
  }
  if (setns(ns, CLONE_NEWNET) < 0) die_errno(errno, NULL, "setns into the new network namespace");
  close(ns);
  close(sock);
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
  if (!argv) die_errno(ENOMEM, NULL, "allocating argv");
  for (uint32_t i = 0; i < argc; i++) argv[i] = (char *)get_str(c);
  uint32_t envc = get_u32(c);
  if (envc > 65536) die_errno(EINVAL, NULL, "bad envc");
  char **envp = calloc(envc + 1, sizeof *envp);
  if (!envp) die_errno(ENOMEM, NULL, "allocating envp");
  for (uint32_t i = 0; i < envc; i++) envp[i] = (char *)get_str(c);
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

/*
 * A standard stream the sandbox gets as a pipe while the monitor copies between it and a host
 * fd: a file (Stdio.file) or a non-tty fd of the caller. Handing the host fd itself over would
 * let the sandbox reopen it through /proc/self/fd/N with other access (append to a file given
 * as read-only stdin, read back what the caller's pipe carries).
 */
struct proxy {
  int fd;         /* the sandbox's stream: 0, 1 or 2 */
  int from, to;   /* copy from -> to; -1 once closed */
  int output;     /* the sandbox writes (stdout/stderr): drained before the monitor exits */
  size_t off, len;
  char *buf;      /* PROXY_BUF bytes, allocated with the proxy: most sandboxes have none */
};
#define PROXY_BUF 65536

#define MAX_PROXIES 3
struct proxies { struct proxy p[MAX_PROXIES]; int count; };

static void proxy_close(struct proxy *x) {
  if (x->from >= 0) close(x->from);
  if (x->to >= 0) close(x->to);
  x->from = x->to = -1;
}

/* One step of a proxy after poll said `ev` about the fd it waited on. */
static void proxy_step(struct proxy *x, short ev) {
  if (x->len == 0) {
    if (!(ev & (POLLIN | POLLHUP | POLLERR))) return;
    ssize_t n = read(x->from, x->buf, PROXY_BUF);
    if (n > 0) { x->off = 0; x->len = (size_t)n; }
    else if (n == 0 || (errno != EAGAIN && errno != EINTR)) proxy_close(x);
    return;
  }
  if (!(ev & (POLLOUT | POLLHUP | POLLERR))) return;
  ssize_t w = write(x->to, x->buf + x->off, x->len);
  if (w > 0) { x->off += (size_t)w; x->len -= (size_t)w; }
  else if (w < 0 && errno != EAGAIN && errno != EINTR) proxy_close(x); /* EPIPE: reader gone */
}

/*
 * Port forwarding, done by the monitor (host namespaces) so that the sandbox holds no host
 * socket. A published port is a listener on the host's 127.0.0.1; for each connection the
 * monitor asks init, which lives in the sandbox's network namespace, for a socket connected to
 * 127.0.0.1:PORT there (sockets keep the namespace they were made in) and relays between the
 * two. A forwarded-out port is the reverse: a listener init made on the sandbox's loopback and
 * sent over, whose connections the monitor relays to a fixed port on the host's loopback (the
 * egress proxy); it is the only way out of a NONE network and goes nowhere else.
 *
 * Messages on the sync socket after setup (one SOCK_SEQPACKET packet each):
 *   monitor -> init  'c' u32 id, u16 port             connect to 127.0.0.1:port inside
 *   init -> monitor  'C' u32 id, i32 errno [+ fd]      the socket (connecting), or why not
 *   child -> monitor 'L' u16 host port [+ fd]          a listener inside, for forward-out
 */
#define RELAY_BUF 65536
#define RELAY_DRAIN_MS 5000 /* after the sandbox ended, how long relays may still deliver */
#define MAX_LISTENERS 64
#define MAX_RELAYS 4096

struct half { size_t off, len; int done; char *buf; };
struct relay {
  int a, b;            /* a: the side that connected to a listener; b: the side we connected */
  int state;           /* RELAY_WAIT_FD, RELAY_CONNECTING or RELAY_OPEN */
  uint32_t id;
  struct half ab, ba;
};
enum { RELAY_WAIT_FD, RELAY_CONNECTING, RELAY_OPEN };
struct listener { int fd, out; uint16_t target; };
struct ports {
  struct listener l[MAX_LISTENERS];
  int nl;
  struct relay *r;
  int nr, cap;
  uint32_t next_id;
};

static int send_packet(int sock, const void *data, size_t len, int fd) {
  char cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = { (void *)data, len };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (fd >= 0) {
    m.msg_control = cbuf;
    m.msg_controllen = sizeof cbuf;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
  }
  return sendmsg(sock, &m, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* One packet; *fd gets a passed descriptor or -1. Returns its length, 0 at hang-up, -1 on error. */
/* One packet and the fd it carries (-1 if none); flags adds to recvmsg's (e.g. MSG_DONTWAIT). */
static ssize_t recv_packet(int sock, unsigned char *buf, size_t cap, int *fd, int flags) {
  char cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = { buf, cap };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  *fd = -1;
  ssize_t n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | flags);
  struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&m) : NULL;
  if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) memcpy(fd, CMSG_DATA(cm), sizeof(int));
  return n;
}

static int loopback_socket(uint16_t port, struct sockaddr_in *a) {
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_port = htons(port);
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

/* A listener on 127.0.0.1:port (0: any free port); returns the fd and sets *bound. */
static int listen_loopback(uint16_t port, uint16_t *bound) {
  struct sockaddr_in a;
  socklen_t alen = sizeof a;
  int one = 1, fd = loopback_socket(port, &a);
  if (fd < 0) return -1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0
      || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 128) < 0
      || getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  *bound = ntohs(a.sin_port);
  return fd;
}

/* A socket connecting (non-blocking) to 127.0.0.1:port in the caller's network namespace. */
static int connect_loopback(uint16_t port) {
  struct sockaddr_in a;
  int fd = loopback_socket(port, &a);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

static void relay_close(struct relay *r) {
  if (r->a >= 0) close(r->a);
  if (r->b >= 0) close(r->b);
  free(r->ab.buf);
  free(r->ba.buf);
  memset(r, 0, sizeof *r);
  r->a = r->b = -1;
}

static struct relay *relay_add(struct ports *pt, int a) {
  if (pt->nr == pt->cap) {
    if (pt->cap >= MAX_RELAYS) return NULL;
    int cap = pt->cap ? pt->cap * 2 : 16;
    struct relay *r = realloc(pt->r, (size_t)cap * sizeof *r);
    if (!r) return NULL;
    pt->r = r;
    pt->cap = cap;
  }
  struct relay *r = &pt->r[pt->nr++];
  memset(r, 0, sizeof *r);
  r->a = a;
  r->b = -1;
  r->id = ++pt->next_id;
  r->ab.buf = malloc(RELAY_BUF);
  r->ba.buf = malloc(RELAY_BUF);
  if (!r->ab.buf || !r->ba.buf) { relay_close(r); pt->nr--; return NULL; }
  return r;
}

/* Moves bytes one way; returns -1 when the relay must close. */
static int half_step(struct half *h, int from, int to, short from_ev, short to_ev) {
  if (h->len == 0 && !h->done && (from_ev & (POLLIN | POLLHUP | POLLERR))) {
    ssize_t n = read(from, h->buf, RELAY_BUF);
    if (n > 0) { h->off = 0; h->len = (size_t)n; }
    else if (n == 0) { h->done = 1; shutdown(to, SHUT_WR); }
    else if (errno != EAGAIN && errno != EINTR) return -1;
  }
  if (h->len > 0 && (to_ev & (POLLOUT | POLLERR | POLLHUP))) {
    ssize_t w = send(to, h->buf + h->off, h->len, MSG_NOSIGNAL);
    if (w > 0) { h->off += (size_t)w; h->len -= (size_t)w; }
    else if (w < 0 && errno != EAGAIN && errno != EINTR) return -1;
  }
  return 0;
}

static short half_wants_from(const struct half *h) { return h->len == 0 && !h->done ? POLLIN : 0; }
static short half_wants_to(const struct half *h) { return h->len > 0 ? POLLOUT : 0; }

/* A connection arrived on listener l. */
static void port_accept(struct ports *pt, struct listener *l, int sync_fd) {
  int a = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (a < 0) return;
  struct relay *r = relay_add(pt, a);
  if (!r) { close(a); return; }
  if (l->out) {
    r->b = connect_loopback(l->target);
    r->state = RELAY_CONNECTING;
    if (r->b < 0) { relay_close(r); }
    return;
  }
  unsigned char msg[7] = { 'c' };
  memcpy(msg + 1, &r->id, 4);
  memcpy(msg + 5, &l->target, 2);
  r->state = RELAY_WAIT_FD;
  if (send_packet(sync_fd, msg, sizeof msg, -1) < 0) relay_close(r);
}

/* A packet from the child or init on the sync socket. Returns 0 once it hung up. */
static int port_message(struct ports *pt, int sync_fd) {
  unsigned char msg[16];
  int fd;
  ssize_t n = recv_packet(sync_fd, msg, sizeof msg, &fd, MSG_DONTWAIT);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return 0;
  if (n == 3 && msg[0] == 'L' && fd >= 0 && pt->nl < MAX_LISTENERS) {
    struct listener *l = &pt->l[pt->nl++];
    l->fd = fd;
    l->out = 1;
    memcpy(&l->target, msg + 1, 2);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return 1;
  }
  if (n == 9 && msg[0] == 'C') {
    uint32_t id;
    int32_t err;
    memcpy(&id, msg + 1, 4);
    memcpy(&err, msg + 5, 4);
    for (int i = 0; i < pt->nr; i++) {
      struct relay *r = &pt->r[i];
      if (r->a < 0 || r->state != RELAY_WAIT_FD || r->id != id) continue;
      if (err || fd < 0) { relay_close(r); } else { r->b = fd; r->state = RELAY_CONNECTING; fd = -1; }
      break;
    }
  }
  if (fd >= 0) close(fd); /* unexpected or unclaimed */
  return 1;
}

/* Init: answers a connect request from the monitor with a socket made in this namespace. */
static void init_answer(int sync_fd) {
  unsigned char msg[16], reply[9] = { 'C' };
  int fd;
  ssize_t n = recv_packet(sync_fd, msg, sizeof msg, &fd, MSG_DONTWAIT);
  if (fd >= 0) close(fd);
  if (n != 7 || msg[0] != 'c') return;
  uint16_t port;
  memcpy(&port, msg + 5, 2);
  int s = connect_loopback(port);
  int32_t err = s < 0 ? errno : 0;
  memcpy(reply + 1, msg + 1, 4);
  memcpy(reply + 5, &err, 4);
  if (send_packet(sync_fd, reply, sizeof reply, s) < 0) { /* the monitor is gone */ }
  if (s >= 0) close(s);
}

/*
 * The monitor's life after setup: forward signals to init, kill it when the JVM dies, copy the
 * proxied streams. It exits once init has been reaped and every output stream reached end of
 * file (every process of the sandbox is gone by then), so the caller has all the output when
 * the status pipe closes.
 */
__attribute__((noreturn))
static void monitor_loop(pid_t child, int watch_fd, struct proxies *px, struct ports *pt, int sync_fd) {
  sigset_t set;
  struct signalfd_siginfo si;
  forwarded_signals(&set);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (sfd < 0) { kill(child, SIGKILL); die_errno(errno, NULL, "signalfd"); }
  int child_done = 0;
  struct timespec done_at = { 0, 0 };
  struct pollfd *p = NULL;
  size_t pcap = 0;
  for (;;) {
    size_t need = 3 + MAX_PROXIES + MAX_LISTENERS + 2 * (size_t)pt->nr;
    if (need > pcap) {
      struct pollfd *np = realloc(p, need * sizeof *p);
      if (!np) { kill(child, SIGKILL); die_errno(ENOMEM, NULL, "poll set"); }
      p = np;
      pcap = need;
    }
    struct proxy *who[MAX_PROXIES];
    nfds_t n = 0;
    int outputs_open = 0;
    p[n++] = (struct pollfd){ sfd, POLLIN, 0 };
    p[n++] = (struct pollfd){ watch_fd, 0, 0 }; /* -1 is ignored by poll */
    p[n++] = (struct pollfd){ child_done ? -1 : sync_fd, POLLIN, 0 };
    nfds_t first_proxy = n;
    for (int i = 0; i < px->count; i++) {
      struct proxy *x = &px->p[i];
      if (x->from < 0) continue;
      if (child_done && !x->output) { proxy_close(x); continue; }
      outputs_open |= x->output;
      who[n - first_proxy] = x;
      p[n++] = (struct pollfd){ x->len ? x->to : x->from, x->len ? POLLOUT : POLLIN, 0 };
    }
    int timeout = -1;
    if (child_done) {
      /* Relays drain what the sandbox wrote before it ended, for a bounded time. */
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      long ms = RELAY_DRAIN_MS - ((now.tv_sec - done_at.tv_sec) * 1000 + (now.tv_nsec - done_at.tv_nsec) / 1000000);
      if ((!outputs_open && pt->nr == 0) || (ms <= 0 && !outputs_open)) _exit(0);
      if (ms <= 0) {
        for (int i = 0; i < pt->nr; i++) relay_close(&pt->r[i]);
        pt->nr = 0;
      } else if (pt->nr > 0) {
        timeout = (int)ms;
      }
    }
    nfds_t first_listener = n;
    for (int i = 0; i < pt->nl; i++) p[n++] = (struct pollfd){ child_done ? -1 : pt->l[i].fd, POLLIN, 0 };
    nfds_t first_relay = n;
    for (int i = 0; i < pt->nr; i++) {
      struct relay *r = &pt->r[i];
      short ea = 0, eb = 0;
      if (r->a >= 0 && r->state == RELAY_OPEN) {
        ea = half_wants_from(&r->ab) | half_wants_to(&r->ba);
        eb = half_wants_from(&r->ba) | half_wants_to(&r->ab);
      } else if (r->a >= 0 && r->state == RELAY_CONNECTING) {
        eb = POLLOUT;
      }
      p[n++] = (struct pollfd){ ea ? r->a : -1, ea, 0 };
      p[n++] = (struct pollfd){ eb ? r->b : -1, eb, 0 };
    }
    if (poll(p, n, timeout) < 0) {
      if (errno == EINTR) continue;
      kill(child, SIGKILL);
      die_errno(errno, NULL, "poll");
    }
    for (nfds_t i = first_proxy; i < first_listener; i++)
      if (p[i].revents) proxy_step(who[i - first_proxy], p[i].revents);
    int nr = pt->nr; /* relays added below are polled from the next round on */
    for (int i = 0; i < nr; i++) {
      struct relay *r = &pt->r[i];
      short ra = p[first_relay + 2 * (nfds_t)i].revents, rb = p[first_relay + 2 * (nfds_t)i + 1].revents;
      if (r->a < 0 || !(ra | rb)) continue;
      if (r->state == RELAY_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(r->b, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) { relay_close(r); continue; }
        r->state = RELAY_OPEN;
        continue;
      }
      if (half_step(&r->ab, r->a, r->b, ra, rb) < 0 || half_step(&r->ba, r->b, r->a, rb, ra) < 0
          || (r->ab.done && r->ba.done && !r->ab.len && !r->ba.len)
          || (child_done && r->ba.done && !r->ba.len)) /* the sandbox side is gone and delivered */
        relay_close(r);
    }
    for (int i = 0; i < pt->nl; i++)
      if (p[first_listener + (nfds_t)i].revents & POLLIN) port_accept(pt, &pt->l[i], sync_fd);
    /* Compact: closed relays go. */
    int k = 0;
    for (int i = 0; i < pt->nr; i++) if (pt->r[i].a >= 0) pt->r[k++] = pt->r[i];
    pt->nr = k;
    if ((p[2].revents & POLLIN) && !port_message(pt, sync_fd)) sync_fd = -1;
    else if (p[2].revents & (POLLHUP | POLLERR)) sync_fd = -1;
    if (p[1].revents & (POLLHUP | POLLERR)) { kill(child, SIGKILL); watch_fd = -1; }
    if (!(p[0].revents & POLLIN) || read(sfd, &si, sizeof si) != sizeof si) continue;
    if (si.ssi_signo != SIGCHLD) { if (!child_done) kill(child, (int)si.ssi_signo); continue; }
    int st;
    if (!child_done && waitpid(child, &st, WNOHANG) == child) {
      child_done = 1;
      clock_gettime(CLOCK_MONOTONIC, &done_at);
      for (int i = 0; i < pt->nl; i++) close(pt->l[i].fd);
      pt->nl = 0;
      /* Relays not yet open have no sandbox side any more; open ones drain (see above). */
      for (int i = 0; i < pt->nr; i++) if (pt->r[i].state != RELAY_OPEN) relay_close(&pt->r[i]);
    }
  }
}

/*
 * Monitor, before CLONE: makes the sandbox's stream `fd` a pipe whose other end the monitor
 * copies to or from `host` (see struct proxy). The sandbox's end lands on `fd` itself, so the
 * clone inherits it; the monitor closes its copy right after the clone.
 */
static void op_stdio(struct proxies *px, struct cursor *c) {
  uint32_t fd = get_u32(c), kind = get_u32(c);
  const char *path = get_str(c);
  int host, p[2];
  if (fd > 2 || px->count >= MAX_PROXIES) die_errno(EINVAL, path, "stdio fd %u", fd);
  if (kind == STDIO_PROXY) host = fcntl((int)fd, F_DUPFD_CLOEXEC, 0);
  else if (kind == STDIO_READ_FILE) host = open_host_path(path, O_RDONLY, 0);
  else host = open_host_path(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (host < 0)
    die_errno(errno, path, "open %s for %s%s", path, fd ? "output" : "input",
              errno == ELOOP ? " (a symbolic link in the path: links are never followed)" : "");
  if (pipe2(p, O_CLOEXEC) < 0) die_errno(errno, NULL, "pipe2");
  int theirs = fd == 0 ? p[0] : p[1], ours = fd == 0 ? p[1] : p[0];
  if (dup2(theirs, (int)fd) < 0) die_errno(errno, NULL, "dup2");
  close(theirs);
  /* Ours never blocks the monitor; the host fd is the caller's and keeps its flags. */
  if (fcntl(ours, F_SETFL, O_NONBLOCK) < 0) die_errno(errno, NULL, "O_NONBLOCK");
  struct proxy *x = &px->p[px->count++];
  x->fd = (int)fd;
  x->from = fd == 0 ? host : ours;
  x->to = fd == 0 ? ours : host;
  x->output = fd != 0;
  x->off = x->len = 0;
  if (!(x->buf = malloc(PROXY_BUF))) die_errno(ENOMEM, NULL, "stdio buffer");
}

/*
 * PID 1: reap everything, forward signals to the payload, report its end, and make sockets in
 * this network namespace for the monitor's published ports (init_answer).
 */
__attribute__((noreturn))
static void init_loop(pid_t payload, int sync_fd) {
  sigset_t set;
  struct signalfd_siginfo si;
  forwarded_signals(&set);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (sfd < 0) { kill(payload, SIGKILL); die_errno(errno, NULL, "signalfd"); }
  for (;;) {
    struct pollfd p[2] = { { sfd, POLLIN, 0 }, { sync_fd, POLLIN, 0 } };
    if (poll(p, 2, -1) < 0) continue;
    if (p[1].revents & POLLIN) init_answer(sync_fd);
    else if (p[1].revents & (POLLHUP | POLLERR)) sync_fd = -1;
    if (!(p[0].revents & POLLIN) || read(sfd, &si, sizeof si) != sizeof si) continue;
    if (si.ssi_signo != SIGCHLD) { kill(payload, (int)si.ssi_signo); continue; }
    int st;
    pid_t w;
    while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
      if (w != payload) continue;
      /* As the pid namespace's init, the rest of the sandbox gets SIGKILL before the record goes
       * out (this exit would send it only after the yield below). An exec's init, forked after
       * joining the namespace, is not pid 1 there and must leave the sandbox running. */
      if (getpid() == 1) kill(-1, SIGKILL);
      if (WIFEXITED(st)) report_exit(WEXITSTATUS(st), 0);
      else report_exit(128 + WTERMSIG(st), WTERMSIG(st));
      /* A pipe write is a sync wake-up: the reader is often queued on this CPU, behind the
       * ~0.1 ms of this exit and the pid namespace's teardown. Let it run first. */
      sched_yield();
      _exit(0); /* the kernel reaps what is left in the pid namespace */
    }
  }
}

#define MAX_USERNS 8

/* User namespaces the monitor made only to idmap writable trees with, by their maps. */
struct userns_cache { int count; int fd[MAX_USERNS]; char *maps[MAX_USERNS]; };

struct run_state {
  int root_fd, watch_fd, sync_fd;
  pid_t child;
  int is_child;
  struct sources srcs;
  struct proxies px;
  struct userns_cache userns;
  struct ports ports;
  struct cursor request; /* the program OP_AWAIT received; OP_EXEC runs it instead of its own */
  pid_t net_maker;       /* OP_NEW_NET's process, until OP_FORK_INIT reaps it */
  int net_sock;          /* where it sends the network namespace's fd */
};

/*
 * Monitor: a user namespace with the given maps, held by nothing but the returned fd. Its
 * process, cloned into it and kept only until the maps are written and the namespace opened,
 * is then killed and reaped (its SIGCHLD is still blocked, so monitor_loop never sees it).
 */
static int make_userns(struct run_state *s, const char *uid_map, const char *gid_map) {
  char key[8192], path[64];
  snprintf(key, sizeof key, "%s|%s", uid_map, gid_map);
  for (int i = 0; i < s->userns.count; i++)
    if (!strcmp(s->userns.maps[i], key)) return s->userns.fd[i];
  if (s->userns.count >= MAX_USERNS) die_errno(E2BIG, NULL, "too many distinct id maps");
  int hold[2];
  if (pipe2(hold, O_CLOEXEC) < 0) die_errno(errno, NULL, "pipe2");
  pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) die_errno(errno, NULL, "clone (user namespace for an id-mapped tree)");
  if (pid == 0) {
    char b;
    close(hold[1]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (read(hold[0], &b, 1) < 0) { /* woken by the monitor's close or death */ }
    _exit(0);
  }
  close(hold[0]);
  snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
  write_file(path, uid_map);
  snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
  write_file(path, gid_map);
  snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die_errno(errno, path, "open %s", path);
  close(hold[1]);
  waitpid(pid, NULL, 0);
  s->userns.fd[s->userns.count] = fd;
  s->userns.maps[s->userns.count++] = strdup(key);
  return fd;
}

/*
 * Monitor, in the host's user namespace: clones the tree at `src` as a detached mount whose
 * owners are mapped through a user namespace (mount_setattr MOUNT_ATTR_IDMAP, Linux 5.12+; only
 * the initial namespace's root may do this for host filesystems), and sends it to the child.
 * With empty maps that namespace is the child's own: files owned by host uid N appear as inside
 * uid N and writes land as uid N (read-only trees, the image layers). Otherwise it is one made
 * with the maps given (writable trees): the plan's maps leave host id 0 out, so nothing the
 * sandbox writes there is ever owned by the host's root.
 */
static void send_idmapped(struct run_state *s, const char *src, const char *uid_map, const char *gid_map) {
  char ns[64], cbuf[CMSG_SPACE(sizeof(int))];
  int pfd = open_host_path(src, O_PATH, 0);
  if (pfd < 0) {
    kill(s->child, SIGKILL);
    die_errno(errno, src, "open %s%s", src, errno == ELOOP ? " (a symbolic link in the path: links are never followed)" : "");
  }
  int tree = (int)syscall(SYS_open_tree, pfd, "",
                          BK_OPEN_TREE_CLONE | O_CLOEXEC | BK_AT_RECURSIVE | AT_EMPTY_PATH);
  if (tree < 0) { kill(s->child, SIGKILL); die_errno(errno, src, "open_tree %s", src); }
  close(pfd);
  int nsfd;
  if (uid_map[0]) {
    nsfd = dup(make_userns(s, uid_map, gid_map));
  } else {
    snprintf(ns, sizeof ns, "/proc/%d/ns/user", (int)s->child);
    nsfd = open(ns, O_RDONLY | O_CLOEXEC);
  }
  if (nsfd < 0) { kill(s->child, SIGKILL); die_errno(errno, ns, "open the user namespace for %s", src); }
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

/*
 * Payload of a pooled sandbox, set up to the last step: says it waits (a READY record), then
 * blocks on the plan fd (kept by OP_CLONE's KEEP_PLAN) until the JVM sends the program as one
 * request: u32 magic "BXR1", u32 length, then OP_EXEC's fields (argc, argv, envc, env). Usually
 * one read takes it all. End of file (the pool closed first) ends the payload quietly.
 */
static void op_await(struct run_state *s) {
  size_t cap = 65536, got = 0;
  unsigned char *buf = malloc(cap);
  if (!buf) die_errno(ENOMEM, NULL, "request buffer");
  report_ready();
  for (;;) {
    ssize_t r = read(PLAN_FD, buf + got, cap - got);
    if (r == 0 && got == 0) _exit(0);
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      die_errno(r < 0 ? errno : EPIPE, NULL, "read the program's request");
    }
    got += (size_t)r;
    if (got < 8) continue;
    uint32_t hdr[2];
    memcpy(hdr, buf, sizeof hdr);
    if (hdr[0] != REQUEST_MAGIC || hdr[1] > PLAN_MAX) die_errno(EINVAL, NULL, "bad request header");
    size_t want = 8 + (size_t)hdr[1];
    if (want > cap) {
      unsigned char *nb = realloc(buf, want);
      if (!nb) die_errno(ENOMEM, NULL, "request buffer");
      buf = nb;
      cap = want;
    }
    if (got < want) continue;
    if (got > want) die_errno(EINVAL, NULL, "more than one request");
    s->request.p = buf + 8;
    s->request.end = buf + want;
    close(PLAN_FD);
    return;
  }
}

static void step_watch_parent(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags; (void)c;
  s->watch_fd = PLAN_FD;
}

static void step_clone(struct run_state *s, uint16_t flags, struct cursor *c) {
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
    if (!(flags & KEEP_PLAN)) close(PLAN_FD);
    /* The host ends of proxied streams are the monitor's alone (a stdin write end held here
     * would keep the program from ever reading end of file). */
    for (int i = 0; i < s->px.count; i++) proxy_close(&s->px.p[i]);
    s->px.count = 0;
    for (int i = 0; i < s->ports.nl; i++) close(s->ports.l[i].fd); /* host listeners stay outside */
    s->ports.nl = 0;
    s->is_child = 1;
    s->sync_fd = sp[0];
  } else {
    close(sp[0]);
    s->child = pid;
    s->sync_fd = sp[1];
    /* The sandbox's ends: an output stream reaches end of file once the sandbox's copies close. */
    for (int i = 0; i < s->px.count; i++) close(s->px.p[i].fd);
    /* The same for streams handed over as they are: the monitor writes nothing there, so the
     * caller sees end of file when the sandbox's processes are gone, not only once the
     * monitor is (it outlives them while the namespaces are torn down). */
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3 && null_fd >= 0; fd++) dup2(null_fd, fd);
    if (null_fd > 2) close(null_fd);
  }
}

static void step_id_map_file(struct run_state *s, uint16_t code, struct cursor *c) {
  char path[64];
  const char *data = code == OP_SETGROUPS_DENY ? "deny" : get_str(c);
  const char *file = code == OP_UID_MAP ? "uid_map" : code == OP_GID_MAP ? "gid_map" : "setgroups";
  if (s->is_child) snprintf(path, sizeof path, "/proc/self/%s", file);
  else snprintf(path, sizeof path, "/proc/%d/%s", (int)s->child, file);
  write_file(path, data);
}

static void step_uid_map(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags;
  step_id_map_file(s, OP_UID_MAP, c);
}

static void step_gid_map(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags;
  step_id_map_file(s, OP_GID_MAP, c);
}

static void step_setgroups_deny(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags;
  step_id_map_file(s, OP_SETGROUPS_DENY, c);
}

static void step_sync(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags; (void)c;
  char b = 'g';
  if (!s->is_child) {
    if (write(s->sync_fd, &b, 1) != 1) { kill(s->child, SIGKILL); die_errno(errno, NULL, "sync"); }
    /* The sync socket stays open until the monitor dies, so the child can tell it died. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    for (int i = 0; i < s->userns.count; i++) close(s->userns.fd[i]);
    monitor_loop(s->child, s->watch_fd, &s->px, &s->ports, s->sync_fd);
  }
  sync_receive(s);
}

static void step_idmap(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags;
  const char *src = get_str(c), *uid_map = get_str(c), *gid_map = get_str(c);
  send_idmapped(s, src, uid_map, gid_map);
}

static void step_stdio(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags;
  op_stdio(&s->px, c);
}

static void step_join_net(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)s; (void)flags;
  op_join_net(c);
}

static void step_join_sandbox(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)s; (void)flags;
  op_join_sandbox(c);
}

static void step_report_child(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags; (void)c;
  report_child(s->is_child ? getpid() : s->child);
}

static void step_ready(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)s; (void)flags; (void)c;
  report_ready();
}

static void step_await(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags; (void)c;
  op_await(s);
}

static void step_hold(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)s; (void)flags; (void)c;
  /* A shared network's holder: keeps the namespaces alive until it is killed (the monitor
   * does when the JVM closes the plan pipe or dies; PDEATHSIG when the monitor dies). */
  for (;;) pause();
}

static void step_publish(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags;
  /* Monitor, before CLONE: the host side of a published port. */
  uint32_t host = get_u32(c), inside = get_u32(c);
  uint16_t bound;
  char where[32];
  snprintf(where, sizeof where, "127.0.0.1:%u", host);
  if (host > 65535 || inside == 0 || inside > 65535 || s->ports.nl >= MAX_LISTENERS)
    die_errno(EINVAL, where, "publish %u -> %u", host, inside);
  int fd = listen_loopback((uint16_t)host, &bound);
  if (fd < 0) die_errno(errno, where, "listen on %s for sandbox port %u", where, inside);
  s->ports.l[s->ports.nl++] = (struct listener){ fd, 0, (uint16_t)inside };
  report_port(inside, bound);
}

static void step_forward_out(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags;
  /* Child, in the new network namespace: a listener on its loopback for the monitor. */
  uint32_t inside = get_u32(c), host = get_u32(c);
  uint16_t bound, h = (uint16_t)host;
  char where[32];
  snprintf(where, sizeof where, "127.0.0.1:%u", inside);
  if (inside == 0 || inside > 65535 || host == 0 || host > 65535) die_errno(EINVAL, where, "forward %u -> %u", inside, host);
  int fd = listen_loopback((uint16_t)inside, &bound);
  if (fd < 0) die_errno(errno, where, "listen on %s inside", where);
  unsigned char msg[3] = { 'L' };
  memcpy(msg + 1, &h, 2);
  if (send_packet(s->sync_fd, msg, sizeof msg, fd) < 0) die_errno(errno, where, "send the listener to the monitor");
  close(fd);
}

static void step_not_dumpable(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)s; (void)flags; (void)c;
  /* No ptrace and no /proc/<pid>/exe access to this process from inside (CVE-2016-9962). */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) die_errno(errno, NULL, "PR_SET_DUMPABLE");
}

static void step_open_source(struct run_state *s, uint16_t flags, struct cursor *c) {
  const char *src = get_str(c);
  if (s->srcs.count >= MAX_SOURCES) die_errno(E2BIG, src, "too many sources");
  int fd;
  if (flags & OPF_RECEIVED) {
    if (s->srcs.received_next >= s->srcs.received_count)
      die_errno(EINVAL, src, "no idmapped tree received for %s", src);
    fd = s->srcs.received[s->srcs.received_next++];
  } else if ((fd = open_host_path(src, O_PATH, 0)) < 0) {
    die_errno(errno, src, "bind source %s%s", src,
              errno == ELOOP ? " (a symbolic link in the path: links are never followed)" : "");
  }
  s->srcs.detached[s->srcs.count] = (flags & OPF_RECEIVED) != 0;
  s->srcs.fd[s->srcs.count++] = fd;
}

static void step_root(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags;
  s->root_fd = op_root(&s->srcs, c);
}

static void step_overlay(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags;
  s->root_fd = op_overlay(&s->srcs, c);
}

static void step_bind(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags;
  op_bind(s->root_fd, &s->srcs, c);
}

static void step_mask(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags;
  op_mask(s->root_fd, &s->srcs, c);
}

static void step_tmpfs(struct run_state *s, uint16_t flags, struct cursor *c) {
  const char *dst = get_str(c);
  uint64_t size = get_u64(c);
  uint32_t mode = get_u32(c);
  char data[64];
  snprintf(data, sizeof data, "size=%llu,mode=%o", (unsigned long long)size, mode & 07777);
  mount_fs(s->root_fd, dst, "tmpfs", MS_NOSUID | MS_NODEV | ((flags & TMPFS_RO) ? MS_RDONLY : 0), data);
}

static void step_proc(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags;
  mount_fs(s->root_fd, get_str(c), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

static void step_devpts(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags;
  mount_fs(s->root_fd, get_str(c), "devpts", MS_NOSUID | MS_NOEXEC,
           "newinstance,ptmxmode=0666,mode=620");
}

static void step_mkdir(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags;
  close(open_beneath(s->root_fd, get_str(c), CREATE_DIR));
}

static void step_symlink(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags;
  op_symlink(s->root_fd, c);
}

static void step_remount_ro(struct run_state *s, uint16_t flags, struct cursor *c) {
  const char *dst = get_str(c);
  int fd = open_beneath(s->root_fd, dst, MUST_EXIST);
  set_mount_attr(fd, dst, BK_MOUNT_ATTR_RDONLY | BK_MOUNT_ATTR_NOSUID | BK_MOUNT_ATTR_NODEV,
                 !(flags & OPF_SHALLOW));
  close(fd);
}

static void step_hostname(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)s; (void)flags;
  const char *h = get_str(c);
  if (sethostname(h, strlen(h)) < 0) die_errno(errno, NULL, "sethostname %s", h);
}

static void step_loopback_up(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)s; (void)flags; (void)c;
  op_loopback_up();
}

static void step_new_net(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags; (void)c;
  op_new_net(&s->net_maker, &s->net_sock);
}

static void step_enter_net(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags; (void)c;
  op_enter_net(s->net_maker, s->net_sock);
  s->net_sock = -1;
}

static void step_pivot_root(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags; (void)c;
  op_pivot_root(s->root_fd);
  close(s->root_fd);
  s->root_fd = -1;
  while (s->srcs.count > 0) close(s->srcs.fd[--s->srcs.count]);
  while (s->srcs.received_next < s->srcs.received_count) close(s->srcs.received[s->srcs.received_next++]);
}

static void step_fork_init(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags; (void)c;
  /* The maker exited once it sent the namespace; reaped here, its pid is free for the program. */
  while (s->net_maker > 0 && waitpid(s->net_maker, NULL, 0) < 0 && errno == EINTR) {}
  s->net_maker = 0;
  pid_t pid = fork();
  if (pid < 0) die_errno(errno, NULL, "fork");
  if (pid > 0) {
    close(STDIN_FILENO);
    close(STDOUT_FILENO);
    close(STDERR_FILENO);
    init_loop(pid, s->sync_fd);
  }
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die_errno(errno, NULL, "PR_SET_PDEATHSIG");
  /* Only stdio survives exec; the status fd stays open until then to report exec errors. */
  if (syscall(SYS_close_range, 3, ~0u, BK_CLOSE_RANGE_CLOEXEC) < 0)
    die_errno(errno, NULL, "close_range");
  sigset_t none;
  sigemptyset(&none);
  signal(SIGPIPE, SIG_DFL);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

static void step_setsid(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)s; (void)flags; (void)c;
  if (setsid() < 0) die_errno(errno, NULL, "setsid");
}

static void step_rlimit(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)s; (void)flags;
  uint32_t res = get_u32(c);
  struct rlimit rl;
  rl.rlim_cur = get_u64(c);
  rl.rlim_max = get_u64(c);
  if (setrlimit((int)res, &rl) < 0) die_errno(errno, NULL, "setrlimit %u", res);
}

static void step_chdir(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)s;
  const char *dir = get_str(c);
  char cwd[4096];
  if (chdir(dir) < 0 && errno == ENOENT && (flags & CHDIR_CREATE) && strlen(dir) < sizeof cwd) {
    /* A missing working directory is created, as `docker run` does. After pivot_root every
     * path resolves inside the sandbox's own root, links included, so nothing outside is
     * reached; a read-only root fails with EROFS, named below. */
    strcpy(cwd, dir);
    for (char *p = cwd + 1; ; p++) {
      if (*p == '/' || !*p) {
        char end = *p;
        *p = 0;
        if (mkdir(cwd, 0755) < 0 && errno != EEXIST)
          die_errno(errno, dir, "the working directory %s is missing and cannot be created (at %s)", dir, cwd);
        *p = end;
        if (!end) break;
      }
    }
  }
  if (chdir(dir) < 0) die_errno(errno, dir, "chdir %s", dir);
  /* A cwd outside the root shows as "(unreachable)..." (CVE-2024-21626). */
  if (!getcwd(cwd, sizeof cwd) || cwd[0] != '/') die_errno(EPERM, dir, "cwd %s is outside the root", dir);
}

static void step_caps_bounding(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)s; (void)flags; (void)c;
  caps_bounding_drop();
}

static void step_setids(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags;
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
}

static void step_caps_clear(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)s; (void)flags; (void)c;
  caps_clear();
}

static void step_no_new_privs(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)s; (void)flags; (void)c;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die_errno(errno, NULL, "PR_SET_NO_NEW_PRIVS");
}

static void step_seccomp(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)s; (void)flags;
  load_seccomp(c);
}

static void step_exec(struct run_state *s, uint16_t flags, struct cursor *c) {
  (void)flags;
  op_exec(s->request.p ? &s->request : c);
}

typedef void (*step_fn)(struct run_state *s, uint16_t flags, struct cursor *c);

/* One function per op, indexed by op code (checked against Op.java by PlanContractTest). */
static const step_fn steps[OP_COUNT] = {
  [OP_WATCH_PARENT] = step_watch_parent,
  [OP_CLONE] = step_clone,
  [OP_UID_MAP] = step_uid_map,
  [OP_GID_MAP] = step_gid_map,
  [OP_SETGROUPS_DENY] = step_setgroups_deny,
  [OP_SYNC] = step_sync,
  [OP_IDMAP] = step_idmap,
  [OP_STDIO] = step_stdio,
  [OP_JOIN_NET] = step_join_net,
  [OP_JOIN_SANDBOX] = step_join_sandbox,
  [OP_REPORT_CHILD] = step_report_child,
  [OP_READY] = step_ready,
  [OP_AWAIT] = step_await,
  [OP_HOLD] = step_hold,
  [OP_PUBLISH] = step_publish,
  [OP_FORWARD_OUT] = step_forward_out,
  [OP_NOT_DUMPABLE] = step_not_dumpable,
  [OP_OPEN_SOURCE] = step_open_source,
  [OP_ROOT] = step_root,
  [OP_OVERLAY] = step_overlay,
  [OP_BIND] = step_bind,
  [OP_MASK] = step_mask,
  [OP_TMPFS] = step_tmpfs,
  [OP_PROC] = step_proc,
  [OP_DEVPTS] = step_devpts,
  [OP_MKDIR] = step_mkdir,
  [OP_SYMLINK] = step_symlink,
  [OP_REMOUNT_RO] = step_remount_ro,
  [OP_HOSTNAME] = step_hostname,
  [OP_LOOPBACK_UP] = step_loopback_up,
  [OP_NEW_NET] = step_new_net,
  [OP_ENTER_NET] = step_enter_net,
  [OP_PIVOT_ROOT] = step_pivot_root,
  [OP_FORK_INIT] = step_fork_init,
  [OP_SETSID] = step_setsid,
  [OP_RLIMIT] = step_rlimit,
  [OP_CHDIR] = step_chdir,
  [OP_CAPS_BOUNDING] = step_caps_bounding,
  [OP_SETIDS] = step_setids,
  [OP_CAPS_CLEAR] = step_caps_clear,
  [OP_NO_NEW_PRIVS] = step_no_new_privs,
  [OP_SECCOMP] = step_seccomp,
  [OP_EXEC] = step_exec,
};

/*
 * Runs one op where it belongs: ops flagged OPF_PARENT run in the monitor (on the child), all
 * others in the child once it exists; OP_SYNC runs in both.
 */
static void run_op(struct run_state *s, uint16_t code, uint16_t flags, struct cursor *c) {
  if (s->child > 0 && !s->is_child && !(flags & OPF_PARENT) && code != OP_SYNC) return;
  if (s->is_child && (flags & OPF_PARENT)) return;
  if (code >= OP_COUNT || !steps[code]) die_errno(EINVAL, NULL, "unknown op %u", code);
  steps[code](s, flags, c);
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
  struct run_state s = { .root_fd = -1, .watch_fd = -1, .sync_fd = -1, .net_sock = -1 };
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
