/*
 * boxkit-vm-agent: PID 1 of a BoxKit micro-VM.
 *
 * Runs inside the guest, from the initramfs BoxKit builds. It mounts /proc, /sys and /dev, loads
 * the kernel modules listed in /boxkit/modules.order (in that order), opens the control channel
 * named on the kernel command line (boxkit.ctl=serial:<port name> or boxkit.ctl=vsock:<port>),
 * with boxkit.root=erofs:<disk> mounts that disk (an EROFS image of the root, read-only) under a
 * tmpfs overlay at /rootfs (else the root came in the initramfs, under /rootfs already),
 * reads one spec frame, sets up the root and mounts under /rootfs, runs the program there,
 * streams its stdout/stderr as frames, reports its exit status, syncs and powers off.
 * With boxkit.timing on the kernel command line it writes the guest clock (CLOCK_BOOTTIME, from
 * the kernel's start) at each boot phase to the console: "boxkit-vm-agent: <phase> at <s> s".
 *
 * Policy lives on the host (Java); this file only executes the spec. Frames, both ways:
 *   u8 type, u32 big-endian length, payload.
 * Host -> guest: 'S' spec (a list of u8 tag, u32 length, bytes records), 'K' signal (u32),
 *   'R' prepare (before 'S', optional: a pool's spec, whose root and mounts are set up at once;
 *   the 'S' that follows must have the same root, mounts, hostname and network records),
 *   'I' stdin bytes (an empty one closes stdin; only when the spec asked for a stdin pipe),
 *   'Q' quit (the host has read everything: power off now).
 * Guest -> host: 'O' stdout bytes, 'E' stderr bytes, 'X' exit (u32 status, u32 signal),
 *   'F' setup failure (u32 errno, then "step\0path\0message").
 *
 * TCP streams, multiplexed on the same channel (the guest has no network device):
 *   'C' host -> guest: u32 stream, u32 port: connect to 127.0.0.1:port in the guest (a published
 *       port; host streams have even ids).
 *   'A' guest -> host: u32 stream, u32 port: a program connected to a relay listener at
 *       127.0.0.1:port (odd ids): the egress listener (spec record 'P'), relayed to the host's
 *       egress proxy, or a port another member of a shared network listens on.
 * Shared networks (spec record 'N'; pod-style: one loopback for every member, emulated):
 *   'T' guest -> host: u32 ports...: the TCP ports the program listens on (127.0.0.1, 0.0.0.0
 *       or ::), sent whenever the set changes (scanned from /proc/net/tcp{,6}).
 *   'L' host -> guest: u32 port, u32 on: (stop) relay 127.0.0.1:port to the member owning it.
 *   'H' host -> guest: the members' /etc/hosts, rewritten in place (spec record 'H': the first).
 *   'D' both: u32 stream, bytes; no bytes = end of file (shutdown of the writing side).
 *   'W' both: u32 stream, u32 n: the receiver wrote n more bytes to its socket (flow control).
 *   'Z' both: u32 stream: closed; the receiver closes its end and forgets the id.
 * Each side sends at most WINDOW bytes of a stream that the other has not acknowledged with 'W',
 * so the agent can always read the channel without blocking on a slow socket.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/vm_sockets.h>
#include <net/if.h>
#include <netinet/in.h>
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
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ITEMS 256
#define MAX_STREAMS 256
#define WINDOW (128u * 1024u) /* unacknowledged bytes per stream and direction */
#define MAX_RELAY_LISTENERS 64
#define MAX_PORTS 256
#define HOSTS_FILE "/boxkit-hosts" /* outside /rootfs; bound read-only onto /rootfs/etc/hosts */
#define ROOT "/rootfs"

struct spec {
  char *argv[MAX_ITEMS + 1];
  int argc;
  char *envp[MAX_ITEMS + 1];
  int envc;
  char *mounts[MAX_ITEMS]; /* "kind\0dest\0arg\0flags" records, kept raw */
  uint32_t mount_len[MAX_ITEMS];
  int mountc;
  const char *cwd;
  const char *hostname;
  const char *root; /* "ro" or "rw" */
  int stdin_pipe;   /* stdin comes from 'I' frames, else /dev/null */
  uint32_t uid, gid;
  uint64_t nofile;
  const unsigned char *seccomp; /* struct sock_filter[], compiled by the host; NULL for none */
  uint32_t seccomp_len;
  uint32_t egress_port; /* listen on 127.0.0.1:egress_port for the host's egress proxy; 0 = none */
  int member;           /* of a shared network: report listening ports, take 'L' and 'H' */
  const char *hosts;    /* the network's /etc/hosts at start; NULL when not a member */
  uint32_t hosts_len;
  uint32_t relay_ports[MAX_RELAY_LISTENERS]; /* 'L' records: ports other members listen on */
  int relay_portc;
};

/* A listener whose connections are relayed to the host ('A'). */
struct relay_listener {
  int fd; /* -1: free */
  uint32_t port;
};
static struct relay_listener relays[MAX_RELAY_LISTENERS];

static void write_hosts(const char *content, uint32_t len);

/* One relayed TCP connection. buf holds what the host sent that the socket has not taken yet. */
struct stream {
  int fd;          /* -1: slot free */
  uint32_t id;
  char *buf;       /* WINDOW bytes, allocated on first data */
  uint32_t off, len;
  uint32_t credit; /* bytes the host still accepts from this socket */
  int read_eof;    /* end of file (or error) read from the socket and sent */
  int write_eof;   /* the host sent end of file: shut the socket's writing side once buf drained */
  int shut;        /* SHUT_WR done */
};

static struct stream streams[MAX_STREAMS];
static uint32_t next_stream_id = 1; /* odd: opened in the guest */

static int ctl = -1;

static void power_off(void) {
  sync();
  reboot(RB_POWER_OFF);
  _exit(1);
}

static int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int read_all(int fd, void *buf, size_t len) {
  char *p = buf;
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static void send_frame(char type, const void *payload, uint32_t len) {
  char head[5];
  uint32_t be = htonl(len);
  head[0] = type;
  memcpy(head + 1, &be, 4);
  if (ctl >= 0 && (write_all(ctl, head, 5) < 0 || write_all(ctl, payload, len) < 0)) power_off();
}

/* Reports a failed step to the host and powers off: the program never runs half set up. */
static void die_errno(const char *step, const char *path, const char *fmt, ...) {
  int err = errno;
  char buf[1024];
  uint32_t be = htonl((uint32_t)err);
  size_t off = 4;
  memcpy(buf, &be, 4);
  off += (size_t)snprintf(buf + off, sizeof buf - off, "%s", step) + 1;
  off += (size_t)snprintf(buf + off, sizeof buf - off, "%s", path ? path : "") + 1;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + off, sizeof buf - off, fmt, ap);
  va_end(ap);
  off += n < 0 ? 0 : (size_t)n;
  if (off > sizeof buf) off = sizeof buf;
  fprintf(stderr, "boxkit-vm-agent: %s %s: %s\n", step, path ? path : "", strerror(err));
  send_frame('F', buf, (uint32_t)off);
  power_off();
}

static void mark(const char *phase);

static void load_modules(void) {
  FILE *f = fopen("/boxkit/modules.order", "r");
  char line[512];
  if (!f) return; /* a kernel with everything built in needs no modules */
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    if (!line[0]) continue;
    int fd = open(line, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die_errno("load-module", line, "open");
    if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST) die_errno("load-module", line, "finit_module");
    close(fd);
    mark(strrchr(line, '/') + 1);
  }
  fclose(f);
}

static const char *cmdline_value(const char *key) {
  static char buf[4096];
  int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  if (n <= 0) return NULL;
  buf[n] = 0;
  size_t klen = strlen(key);
  for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n")) {
    if (strncmp(tok, key, klen) == 0 && tok[klen] == '=') return tok + klen + 1;
  }
  return NULL;
}

static int timing = -1; /* boxkit.timing on the command line: 1, else 0; -1 until looked up */

/* With boxkit.timing, the guest clock at a boot phase, on the console (for the host's log). */
static void mark(const char *phase) {
  if (timing < 0) timing = cmdline_value("boxkit.timing") != NULL;
  if (!timing) return;
  struct timespec t;
  clock_gettime(CLOCK_BOOTTIME, &t);
  fprintf(stderr, "boxkit-vm-agent: %s at %ld.%06ld s\n", phase, (long)t.tv_sec, t.tv_nsec / 1000);
}

/* Finds /dev/vportNpM whose sysfs name is `name`; the driver probes asynchronously, so wait. */
static int open_serial(const char *name) {
  for (int tries = 0; tries < 5000; tries++) { /* 2 ms apart: 10 s in all */
    DIR *d = opendir("/sys/class/virtio-ports");
    struct dirent *e;
    while (d && (e = readdir(d))) {
      char path[300], got[128] = {0};
      if (e->d_name[0] == '.') continue;
      snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
      int fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      ssize_t n = read(fd, got, sizeof got - 1);
      close(fd);
      if (n > 0 && got[n - 1] == '\n') got[n - 1] = 0;
      if (strcmp(got, name) != 0) continue;
      snprintf(path, sizeof path, "/dev/%s", e->d_name);
      int port = open(path, O_RDWR | O_CLOEXEC);
      if (port >= 0) {
        closedir(d);
        return port;
      }
    }
    if (d) closedir(d);
    usleep(2000);
  }
  errno = ENOENT;
  die_errno("open-control", name, "no virtio-serial port named %s", name);
  return -1;
}

static int open_vsock(unsigned port) {
  for (int tries = 0; tries < 500; tries++) {
    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_vm addr = {.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST, .svm_port = port};
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) return fd;
    if (fd >= 0) close(fd);
    usleep(10000);
  }
  die_errno("open-control", "vsock", "connect to host port %u", port);
  return -1;
}

/* Reads one frame of type want, or of type also (when not 0); *got is set to its type. */
static char *read_frame_either(char want, char also, char *got, uint32_t *len) {
  char head[5];
  uint32_t be;
  if (read_all(ctl, head, 5) < 0) die_errno("read-spec", NULL, "control channel closed");
  memcpy(&be, head + 1, 4);
  *len = ntohl(be);
  *got = head[0];
  if ((head[0] != want && (also == 0 || head[0] != also)) || *len > (64u << 20)) {
    errno = EPROTO;
    die_errno("read-spec", NULL, "unexpected frame '%c' of %u bytes", head[0], *len);
  }
  char *p = malloc(*len + 1);
  if (!p || read_all(ctl, p, *len) < 0) die_errno("read-spec", NULL, "short frame");
  p[*len] = 0;
  return p;
}

static char *read_frame(char want, uint32_t *len) {
  char got;
  return read_frame_either(want, 0, &got, len);
}

static int room(int used) {
  if (used >= MAX_ITEMS) {
    errno = E2BIG;
    die_errno("read-spec", NULL, "more than %d arguments, variables or mounts", MAX_ITEMS);
  }
  return used;
}

/* Spec records: u8 tag, u32 length, value; each value is copied out NUL-terminated. */
static void parse_spec(const char *p, uint32_t len, struct spec *s) {
  uint32_t off = 0;
  memset(s, 0, sizeof *s);
  s->cwd = "/";
  s->hostname = "sandbox";
  s->root = "ro";
  while (off + 5 <= len) {
    char tag = p[off];
    uint32_t be, n;
    memcpy(&be, p + off + 1, 4);
    n = ntohl(be);
    if (n > len - off - 5) break;
    char *v = malloc(n + 1);
    if (!v) die_errno("read-spec", NULL, "malloc");
    memcpy(v, p + off + 5, n);
    v[n] = 0;
    off += 5 + n;
    switch (tag) {
      case 'a': s->argv[room(s->argc)] = v; s->argc++; break;
      case 'e': s->envp[room(s->envc)] = v; s->envc++; break;
      case 'w': s->cwd = v; break;
      case 'h': s->hostname = v; break;
      case 'r': s->root = v; break;
      case 'i': s->stdin_pipe = strcmp(v, "pipe") == 0; break;
      case 'u': s->uid = (uint32_t)strtoul(v, NULL, 10); break;
      case 'g': s->gid = (uint32_t)strtoul(v, NULL, 10); break;
      case 'n': s->nofile = strtoull(v, NULL, 10); break;
      case 'S': s->seccomp = (const unsigned char *)v; s->seccomp_len = n; break;
      case 'P': s->egress_port = (uint32_t)strtoul(v, NULL, 10); break;
      case 'N': s->member = 1; break;
      case 'H': s->hosts = v; s->hosts_len = n; break;
      case 'L':
        if (s->relay_portc >= MAX_RELAY_LISTENERS) { errno = E2BIG; die_errno("read-spec", NULL, "too many relayed ports"); }
        s->relay_ports[s->relay_portc++] = (uint32_t)strtoul(v, NULL, 10);
        break;
      case 'm':
        s->mounts[room(s->mountc)] = v;
        s->mount_len[s->mountc++] = n;
        break;
      default: errno = EPROTO; die_errno("read-spec", NULL, "unknown record '%c'", tag);
    }
  }
  if (off != len || s->argc == 0) {
    errno = EPROTO;
    die_errno("read-spec", NULL, "malformed spec (%u of %u bytes, %d args)", off, len, s->argc);
  }
}

/* Joins two path parts into a PATH_MAX buffer; a longer path is an error, never a truncation. */
static void join(char out[PATH_MAX], const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la + lb + 1 > PATH_MAX) {
    errno = ENAMETOOLONG;
    die_errno("path", b, "path too long");
  }
  memcpy(out, a, la);
  memcpy(out + la, b, lb + 1);
}

static void mkdirs(const char *path) {
  char buf[PATH_MAX];
  join(buf, "", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    mkdir(buf, 0755);
    *p = '/';
  }
  mkdir(buf, 0755);
}

static void setup_dev(const char *dev) {
  static const struct { const char *name; unsigned maj, min; } nodes[] = {
      {"/null", 1, 3}, {"/zero", 1, 5}, {"/full", 1, 7}, {"/random", 1, 8}, {"/urandom", 1, 9}, {"/tty", 5, 0}};
  static const char *links[][2] = {{"/fd", "/proc/self/fd"}, {"/stdin", "/proc/self/fd/0"},
      {"/stdout", "/proc/self/fd/1"}, {"/stderr", "/proc/self/fd/2"}, {"/ptmx", "pts/ptmx"}};
  char path[PATH_MAX];
  if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=65536k") != 0)
    die_errno("mount-dev", dev, "tmpfs");
  for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
    join(path, dev, nodes[i].name);
    if (mknod(path, S_IFCHR | 0666, makedev(nodes[i].maj, nodes[i].min)) != 0) die_errno("mount-dev", path, "mknod");
    chmod(path, 0666);
  }
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
    join(path, dev, links[i][0]);
    if (symlink(links[i][1], path) != 0) die_errno("mount-dev", path, "symlink");
  }
  join(path, dev, "/pts");
  mkdir(path, 0755);
  if (mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620") != 0)
    die_errno("mount-dev", path, "devpts");
  join(path, dev, "/shm");
  mkdir(path, 01777);
  if (mount("shm", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) die_errno("mount-dev", path, "shm");
}

/* One mount record: kind, destination, argument (share tag or size), "ro"/"rw", each NUL-ended. */
struct mount_rec {
  char *kind, *dest, *arg, *mode;
};

/* @return 0 when the record holds all four fields and an absolute destination, else -1 */
static int mount_fields(char *rec, uint32_t len, struct mount_rec *m) {
  m->kind = rec;
  m->dest = m->kind + strlen(m->kind) + 1;
  m->arg = m->dest < rec + len ? m->dest + strlen(m->dest) + 1 : rec + len;
  m->mode = m->arg < rec + len ? m->arg + strlen(m->arg) + 1 : rec + len;
  return m->mode > rec + len || m->dest[0] != '/' ? -1 : 0;
}

static void apply_mount(char *rec, uint32_t len) {
  struct mount_rec m;
  char target[PATH_MAX];
  if (mount_fields(rec, len, &m) != 0) {
    errno = EPROTO;
    die_errno("mount", NULL, "malformed mount record");
  }
  char *kind = m.kind, *dest = m.dest, *arg = m.arg, *mode = m.mode;
  join(target, ROOT, dest);
  mkdirs(target);
  unsigned long ro = strcmp(mode, "rw") == 0 ? 0 : MS_RDONLY;
  if (strcmp(kind, "bind") == 0) {
    if (mount(arg, target, "virtiofs", MS_NOSUID | MS_NODEV | ro, NULL) != 0)
      die_errno("mount-bind", dest, "virtiofs share %s", arg);
  } else if (strcmp(kind, "tmpfs") == 0) {
    char opts[64];
    snprintf(opts, sizeof opts, "mode=1777,size=%s", arg); /* as the namespaces backend's */
    if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0) die_errno("mount-tmpfs", dest, "tmpfs");
  } else if (strcmp(kind, "proc") == 0) {
    if (mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) die_errno("mount-proc", dest, "proc");
  } else if (strcmp(kind, "dev") == 0) {
    setup_dev(target);
  } else {
    errno = EPROTO;
    die_errno("mount", dest, "unknown kind %s", kind);
  }
}

static void loopback_up(void) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = {0};
  strcpy(ifr.ifr_name, "lo");
  if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) die_errno("network", "lo", "get flags");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) die_errno("network", "lo", "set up");
  close(fd);
}

/* The guest's TCP memory limits scale with its small RAM; a server that writes a large response
 * and exits leaves an orphaned socket whose unsent bytes wait for the (slower) relay, and the
 * kernel resets orphans under TCP memory pressure. The VM's memory is the real bound, so let TCP
 * use it. */
static void tcp_limits(void) {
  static const char *const knobs[][2] = {{"/proc/sys/net/ipv4/tcp_mem", "1048576 1048576 1048576\n"},
                                         {"/proc/sys/net/ipv4/tcp_max_orphans", "65536\n"}};
  for (size_t i = 0; i < sizeof knobs / sizeof knobs[0]; i++) {
    int fd = open(knobs[i][0], O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, knobs[i][1], strlen(knobs[i][1])) < 0) die_errno("network", knobs[i][0], "write");
    close(fd);
  }
}

/* A root too large for the initramfs comes as an EROFS image on a virtio-blk disk: mounted
 * read-only as the lower layer of an overlay whose upper layer is a tmpfs, so that mount points
 * can be made and an image root is writable (and its writes discarded) as with an initramfs. */
static void mount_root_disk(void) {
  const char *root = cmdline_value("boxkit.root");
  if (!root) return;
  char dev[64];
  if (strncmp(root, "erofs:", 6) != 0 || strlen(root + 6) > 32 || strchr(root + 6, '/')) {
    errno = EINVAL;
    die_errno("mount-root", root, "boxkit.root must be erofs:<disk>");
  }
  snprintf(dev, sizeof dev, "/dev/%s", root + 6);
  /* virtio_blk registers the disk while its module loads; devtmpfs makes the node soon after. */
  for (int i = 0; i < 500 && access(dev, F_OK) != 0; i++) usleep(10000);
  mkdir("/boxkit/lower", 0755);
  mkdir("/boxkit/rw", 0755);
  if (mount(dev, "/boxkit/lower", "erofs", MS_RDONLY | MS_NODEV, NULL) != 0) die_errno("mount-root", dev, "mount erofs");
  if (mount("tmpfs", "/boxkit/rw", "tmpfs", 0, "mode=0755") != 0) die_errno("mount-root", "/boxkit/rw", "tmpfs");
  mkdir("/boxkit/rw/upper", 0755);
  mkdir("/boxkit/rw/work", 0700);
  struct stat st; /* the overlay's root takes the upper directory's owner and mode: the image's */
  if (stat("/boxkit/lower", &st) != 0 || chown("/boxkit/rw/upper", st.st_uid, st.st_gid) != 0 ||
      chmod("/boxkit/rw/upper", st.st_mode & 07777) != 0)
    die_errno("mount-root", "/boxkit/rw/upper", "copy the root's owner and mode");
  /* nodev: a block device node in the image must not reach the disk (or any other device). */
  if (mount("overlay", ROOT, "overlay", MS_NODEV, "lowerdir=/boxkit/lower,upperdir=/boxkit/rw/upper,workdir=/boxkit/rw/work") != 0)
    die_errno("mount-root", ROOT, "overlay");
}

static void setup_root(struct spec *s) {
  /* The root is part of the initramfs (a tmpfs): bind it onto itself so it is a mount that the
   * mounts go under and that can be made read-only afterwards. */
  if (mount(ROOT, ROOT, NULL, MS_BIND | MS_REC, NULL) != 0) die_errno("mount-root", ROOT, "bind");
  for (int i = 0; i < s->mountc; i++) apply_mount(s->mounts[i], s->mount_len[i]);
  if (s->hosts) {
    /* The network's names: a file outside the root, bound read-only over /etc/hosts, that the
     * agent rewrites as members come and go. */
    char etc[PATH_MAX];
    write_hosts(s->hosts, s->hosts_len);
    join(etc, ROOT, "/etc/hosts");
    mkdirs(ROOT "/etc");
    int fd = open(etc, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) close(fd);
    if (mount(HOSTS_FILE, etc, NULL, MS_BIND, NULL) != 0 ||
        mount(NULL, etc, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) != 0)
      die_errno("network", "/etc/hosts", "bind the network's hosts file");
  }
  if (strcmp(s->root, "ro") == 0 &&
      mount(NULL, ROOT, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) != 0)
    die_errno("mount-root", ROOT, "remount read-only");
  if (sethostname(s->hostname, strlen(s->hostname)) != 0) die_errno("hostname", NULL, "sethostname");
  loopback_up();
  tcp_limits();
}

/* Capabilities the program must not have even as uid 0: remounting the read-only root or
 * shares, loading modules, raw devices, rebooting the VM before the agent reports. */
static const int dropped_caps[] = {CAP_SYS_ADMIN, CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_SYS_BOOT,
    CAP_MKNOD, CAP_SYS_PTRACE, CAP_SYS_TIME, CAP_SYSLOG, CAP_MAC_ADMIN, CAP_MAC_OVERRIDE, CAP_BPF,
    CAP_PERFMON, CAP_SYS_CHROOT, CAP_NET_ADMIN, CAP_NET_RAW};

/* Steps of the child between fork and exec, reported with errno on the status pipe. */
static const char *const child_steps[] = {"stdio", "chroot", "chdir", "rlimit", "setgroups", "setgid", "setuid", "seccomp", "exec", "mount-proc"};
enum { STEP_STDIO, STEP_CHROOT, STEP_CHDIR, STEP_RLIMIT, STEP_SETGROUPS, STEP_SETGID, STEP_SETUID, STEP_SECCOMP, STEP_EXEC, STEP_PROC };

static void child_fail(int status_fd, int step) {
  int report[2] = {step, errno};
  (void)!write(status_fd, report, sizeof report);
  _exit(127);
}

static void exec_program(struct spec *s, int status_fd) {
  const char *path = "/bin:/usr/bin";
  for (int i = 0; i < s->envc; i++)
    if (strncmp(s->envp[i], "PATH=", 5) == 0) path = s->envp[i] + 5;
  if (strchr(s->argv[0], '/')) {
    execve(s->argv[0], s->argv, s->envp);
  } else {
    char buf[4096];
    const char *p = path;
    int saved = ENOENT;
    while (*p) {
      size_t n = strcspn(p, ":");
      snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, s->argv[0]);
      execve(buf, s->argv, s->envp);
      if (errno != ENOENT) saved = errno;
      p += n + (p[n] == ':');
    }
    errno = saved;
  }
  child_fail(status_fd, STEP_EXEC);
}

/* The program's process: everything but argv, env and stdin is set up from the spec it is given;
 * with spec_fd >= 0 (a pooled VM) that is done ahead, and the run's spec (u32 length, records)
 * read from spec_fd last, so a run only waits for the exec. */
static void child(struct spec *s, int in, int out, int err, int status_fd, int spec_fd) {
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC); /* the agent's, before the chroot */
  setsid();
  signal(SIGPIPE, SIG_DFL); /* the agent ignores it; an ignored signal would stay ignored across exec */
  if (devnull < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) child_fail(status_fd, STEP_STDIO);
  if (chroot(ROOT) != 0) child_fail(status_fd, STEP_CHROOT);
  if (chdir(s->cwd) != 0) {
    /* A missing working directory is created, as docker run does (and the namespaces backend);
     * on a read-only root that fails and the chdir error stands. */
    int err0 = errno;
    char dir[PATH_MAX];
    if (err0 != ENOENT || strlen(s->cwd) >= sizeof dir) child_fail(status_fd, STEP_CHDIR);
    strcpy(dir, s->cwd);
    for (char *p = dir + 1; *p; p++) {
      if (*p != '/') continue;
      *p = 0;
      mkdir(dir, 0755);
      *p = '/';
    }
    mkdir(dir, 0755);
    if (chdir(s->cwd) != 0) {
      errno = err0;
      child_fail(status_fd, STEP_CHDIR);
    }
  }
  for (size_t i = 0; i < sizeof dropped_caps / sizeof dropped_caps[0]; i++) prctl(PR_CAPBSET_DROP, dropped_caps[i], 0, 0, 0);
  struct rlimit core = {0, 0};
  if (setrlimit(RLIMIT_CORE, &core) != 0) child_fail(status_fd, STEP_RLIMIT);
  if (s->nofile) {
    struct rlimit rl = {s->nofile, s->nofile};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) child_fail(status_fd, STEP_RLIMIT);
  }
  if (setgroups(0, NULL) != 0) child_fail(status_fd, STEP_SETGROUPS);
  if (setgid(s->gid) != 0) child_fail(status_fd, STEP_SETGID);
  if (setuid(s->uid) != 0) child_fail(status_fd, STEP_SETUID);
  if (s->seccomp) {
    /* The host's filter (for writable shares: no setuid/setgid file may land in a host
     * directory through virtio-fs), last before exec. */
    struct sock_fprog fp = { (unsigned short)(s->seccomp_len / sizeof(struct sock_filter)),
                             (struct sock_filter *)s->seccomp };
    if (s->seccomp_len == 0 || s->seccomp_len % sizeof(struct sock_filter) || fp.len > 4096) {
      errno = EINVAL;
      child_fail(status_fd, STEP_SECCOMP);
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) != 0)
      child_fail(status_fd, STEP_SECCOMP);
  }
  if (spec_fd >= 0) {
    uint32_t be, n;
    if (read_all(spec_fd, &be, 4) < 0) _exit(0); /* the VM is going away before any run */
    n = ntohl(be);
    char *raw = malloc(n + 1);
    if (!raw || read_all(spec_fd, raw, n) < 0) child_fail(status_fd, STEP_STDIO);
    close(spec_fd);
    parse_spec(raw, n, s); /* the host checked that it differs only in argv, env and stdin */
  }
  if (dup2(s->stdin_pipe && in >= 0 ? in : devnull, 0) < 0) child_fail(status_fd, STEP_STDIO);
  exec_program(s, status_fd);
}

/* Whether the spec mounts a share that may be writable: what the guest writes there is a host
 * file. A bind with a mode other than "ro", or none, counts as writable. */
static int writes_host_trees(const struct spec *s) {
  struct mount_rec m;
  for (int i = 0; i < s->mountc; i++) {
    mount_fields(s->mounts[i], s->mount_len[i], &m);
    if (strcmp(m.kind, "bind") == 0 && (m.mode >= s->mounts[i] + s->mount_len[i] || strcmp(m.mode, "ro") != 0)) return 1;
  }
  return 0;
}

/* The exit status frame's two numbers: exit code (128 + signal when killed) and the signal. */
static void encode_status(int wstatus, uint32_t result[2]) {
  if (WIFEXITED(wstatus)) {
    result[0] = htonl((uint32_t)WEXITSTATUS(wstatus));
  } else if (WIFSIGNALED(wstatus)) {
    result[0] = htonl(128u + (uint32_t)WTERMSIG(wstatus));
    result[1] = htonl((uint32_t)WTERMSIG(wstatus));
  }
}

/* The host closed the control channel (it ended or gave up on this VM): nobody will read the
 * program's output or status, so the program dies with the VM (pid is the init of its pid
 * namespace: killing it ends every process there). */
static void host_gone(pid_t pid) {
  kill(pid, SIGKILL);
  power_off();
}

static volatile pid_t program_pid;

static void forward_signal(int sig) {
  if (program_pid > 0) kill(program_pid, sig);
}

/* Mounts the pid namespace's own proc over each proc mount of the spec. */
static int mount_own_proc(struct spec *s) {
  for (int i = 0; i < s->mountc; i++) {
    char target[PATH_MAX];
    if (strcmp(s->mounts[i], "proc") != 0) continue;
    join(target, ROOT, s->mounts[i] + strlen(s->mounts[i]) + 1);
    if (mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) return -1;
  }
  return 0;
}

/* Closes every descriptor from 3 up except those kept (-1 entries ignored): a close_range per gap,
 * not a close per number (a thousand system calls cost milliseconds under emulation). */
static void close_all_but(int *keep, int n) {
  for (int i = 1; i < n; i++) /* insertion sort: n is 6 */
    for (int j = i; j > 0 && keep[j] < keep[j - 1]; j--) {
      int t = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = t;
    }
  unsigned from = 3;
  for (int i = 0; i < n; i++) {
    if (keep[i] < (int)from) continue;
    if ((unsigned)keep[i] > from) syscall(SYS_close_range, from, (unsigned)keep[i] - 1, 0);
    from = (unsigned)keep[i] + 1;
  }
  syscall(SYS_close_range, from, ~0u, 0);
}

/*
 * PID 1 of the program's pid namespace, as in the namespaces backend: the program sees its own
 * processes only. Mounts that namespace's /proc (in a mount namespace of its own), starts the
 * program, relays a failed set-up step to the agent, forwards every signal it gets to the
 * program, reaps orphans, and reports the program's wait status on result_fd. When it exits the
 * kernel kills whatever is left in the namespace.
 */
static void mini_init(struct spec *s, int in, int out, int err, int status_fd, int result_fd, int spec_fd) {
  int ep[2];
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  /* Only what the program needs: the control channel, relay listeners and the stdin pipe's
   * write end stay the agent's (init never execs, so close-on-exec does not close them). */
  close_all_but((int[]){in, out, err, status_fd, result_fd, spec_fd}, 6);
  ctl = -1;
  if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
      mount_own_proc(s) != 0 || pipe2(ep, O_CLOEXEC) != 0)
    child_fail(status_fd, STEP_PROC);
  /* Prepared ahead (spec_fd >= 0): the program's process is set up now and takes the run's spec
   * from the agent itself; init needs nothing of it. */
  sigprocmask(SIG_BLOCK, &all, NULL);
  pid_t p = fork();
  if (p < 0) child_fail(status_fd, STEP_PROC);
  if (p == 0) {
    close(ep[0]);
    sigprocmask(SIG_SETMASK, &none, NULL);
    child(s, in, out, err, ep[1], spec_fd);
  }
  if (spec_fd >= 0) close(spec_fd);
  program_pid = p;
  close(ep[1]);
  if (in >= 0) close(in);
  close(out);
  close(err);
  int report[2];
  if (read(ep[0], report, sizeof report) == (ssize_t)sizeof report) {
    (void)!write(status_fd, report, sizeof report);
    waitpid(p, NULL, 0);
    _exit(127);
  }
  close(ep[0]);
  close(status_fd); /* the program runs: the agent stops waiting for a failed step */
  struct sigaction sa = {0};
  sa.sa_handler = forward_signal;
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD) sigaction(sig, &sa, NULL);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (;;) {
    int st;
    pid_t w = waitpid(-1, &st, 0);
    if (w == p) {
      (void)!write(result_fd, &st, sizeof st);
      _exit(0);
    }
    if (w < 0 && errno == ECHILD) _exit(0);
  }
}

static void send_u32s(char type, uint32_t a, uint32_t b, int two) {
  uint32_t v[2] = {htonl(a), htonl(b)};
  send_frame(type, v, two ? 8 : 4);
}

static struct stream *find_stream(uint32_t id) {
  for (int i = 0; i < MAX_STREAMS; i++)
    if (streams[i].fd >= 0 && streams[i].id == id) return &streams[i];
  return NULL;
}

static struct stream *new_stream(int fd, uint32_t id) {
  for (int i = 0; i < MAX_STREAMS; i++) {
    if (streams[i].fd < 0) {
      struct stream *st = &streams[i];
      free(st->buf);
      memset(st, 0, sizeof *st);
      st->fd = fd;
      st->id = id;
      st->credit = WINDOW;
      return st;
    }
  }
  return NULL;
}

/* Forgets a stream; tells the host unless it was the host that closed it. */
static void close_stream(struct stream *st, int tell) {
  if (tell) send_u32s('Z', st->id, 0, 0);
  close(st->fd);
  st->fd = -1;
  free(st->buf);
  st->buf = NULL;
}

/* Both directions ended: the stream is done. */
static void maybe_finish(struct stream *st) {
  if (st->read_eof && st->shut) close_stream(st, 1);
}

/* 'C': a connection to a published port; refused ones are closed at once ('Z'). */
static void stream_connect(uint32_t id, uint32_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  struct stream *st = NULL;
  /* Loopback connects complete (or are refused) at once, so a blocking connect does not stall. */
  if (fd >= 0 && port > 0 && port <= 65535 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
      fcntl(fd, F_SETFL, O_NONBLOCK) == 0 && (st = new_stream(fd, id)) != NULL)
    return;
  if (fd >= 0) close(fd);
  send_u32s('Z', id, 0, 0);
}

/* 'A' side: a program connected to a relay listener. */
static void stream_accept(int listener, uint32_t port) {
  int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return;
  struct stream *st = new_stream(fd, next_stream_id);
  if (!st) {
    close(fd); /* too many connections: this one is refused */
    return;
  }
  next_stream_id += 2;
  send_u32s('A', st->id, port, 1);
}

/* Socket -> host, within the host's credit. */
static void stream_read(struct stream *st) {
  char buf[65536 + 4];
  uint32_t want = st->credit < 65536 ? st->credit : 65536;
  uint32_t be = htonl(st->id);
  ssize_t n = read(st->fd, buf + 4, want);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  memcpy(buf, &be, 4);
  if (n > 0) {
    st->credit -= (uint32_t)n;
    send_frame('D', buf, (uint32_t)n + 4);
    return;
  }
  if (n < 0) { /* reset: the whole stream is gone */
    close_stream(st, 1);
    return;
  }
  st->read_eof = 1;
  send_frame('D', buf, 4);
  maybe_finish(st);
}

/* Host -> socket, from the buffer; each write is acknowledged so the host may send more. */
static void stream_write(struct stream *st) {
  if (st->len > 0) {
    ssize_t n = write(st->fd, st->buf + st->off, st->len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n < 0) {
      close_stream(st, 1);
      return;
    }
    st->off += (uint32_t)n;
    st->len -= (uint32_t)n;
    if (st->len == 0) st->off = 0;
    send_u32s('W', st->id, (uint32_t)n, 1);
  }
  if (st->len == 0 && st->write_eof && !st->shut) {
    shutdown(st->fd, SHUT_WR);
    st->shut = 1;
    maybe_finish(st);
  }
}

/* Starts relaying 127.0.0.1:port to the host. A port something in the guest already listens on
 * stays the guest's own (the pod's rule: one listener per port); that is not an error. */
static int relay_on(uint32_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1, slot = -1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  for (int i = 0; i < MAX_RELAY_LISTENERS; i++) {
    if (relays[i].fd >= 0 && relays[i].port == port) {
      if (fd >= 0) close(fd);
      return 0;
    }
    if (relays[i].fd < 0 && slot < 0) slot = i;
  }
  if (fd < 0 || slot < 0 || port == 0 || port > 65535 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 128) != 0) {
    int err = errno;
    if (fd >= 0) close(fd);
    errno = err;
    return -1;
  }
  relays[slot].fd = fd;
  relays[slot].port = port;
  return 0;
}

static void relay_off(uint32_t port) {
  for (int i = 0; i < MAX_RELAY_LISTENERS; i++) {
    if (relays[i].fd >= 0 && relays[i].port == port) {
      close(relays[i].fd);
      relays[i].fd = -1;
    }
  }
}

static int is_relay_port(uint32_t port) {
  for (int i = 0; i < MAX_RELAY_LISTENERS; i++)
    if (relays[i].fd >= 0 && relays[i].port == port) return 1;
  return 0;
}

/* Rewrites the members' hosts file in place: the read-only bind of it shows the new content. */
static void write_hosts(const char *content, uint32_t len) {
  int fd = open(HOSTS_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write_all(fd, content, len) < 0) die_errno("network", HOSTS_FILE, "write");
  close(fd);
}

/* The program's listening TCP ports (IPv4 127.0.0.1 or any, IPv6 any), without the relay
 * listeners; sorted and unique. */
static int listening_ports(uint32_t *out) {
  static const char *const files[] = {"/proc/net/tcp", "/proc/net/tcp6"};
  int n = 0;
  for (size_t f = 0; f < 2; f++) {
    FILE *in = fopen(files[f], "re");
    char line[512], local[64];
    unsigned port, st;
    if (!in) continue;
    while (fgets(line, sizeof line, in)) {
      char *colon;
      if (sscanf(line, " %*d: %63s %*s %x", local, &st) != 2 || st != 0x0A) continue; /* TCP_LISTEN */
      if (!(colon = strchr(local, ':')) || sscanf(colon + 1, "%x", &port) != 1) continue;
      *colon = 0;
      int any = strspn(local, "0") == strlen(local);
      if (!any && strcmp(local, "0100007F") != 0) continue; /* 127.0.0.1, little-endian hex */
      if (is_relay_port(port)) continue;
      int seen = 0;
      for (int i = 0; i < n; i++) seen |= out[i] == port;
      if (!seen && n < MAX_PORTS) out[n++] = port;
    }
    fclose(in);
  }
  for (int i = 1; i < n; i++) /* insertion sort: a handful of ports */
    for (int j = i; j > 0 && out[j - 1] > out[j]; j--) {
      uint32_t t = out[j];
      out[j] = out[j - 1];
      out[j - 1] = t;
    }
  return n;
}

/* Tells the host when the set of listening ports changed. */
static void report_ports(void) {
  static uint32_t last[MAX_PORTS];
  static int lastn = -1;
  uint32_t now[MAX_PORTS];
  int n = listening_ports(now);
  if (n == lastn && memcmp(now, last, (size_t)n * sizeof now[0]) == 0) return;
  memcpy(last, now, (size_t)n * sizeof now[0]);
  lastn = n;
  for (int i = 0; i < n; i++) now[i] = htonl(now[i]);
  send_frame('T', now, (uint32_t)n * 4);
}

/* One frame from the host while the program runs: a signal, or stdin bytes (blocking: stdin
 * is a pipe, so a program that does not read it holds the host's writer back, as a pipe would). */
static void control_frame(pid_t pid, int *stdin_fd) {
  char head[5], buf[65536];
  uint32_t be, len;
  if (read_all(ctl, head, 5) < 0) host_gone(pid);
  memcpy(&be, head + 1, 4);
  len = ntohl(be);
  if (head[0] == 'K' && len == 4) {
    if (read_all(ctl, &be, 4) < 0) host_gone(pid);
    kill(pid, (int)ntohl(be)); /* init forwards it to the program; SIGKILL ends the namespace */
    return;
  }
  if ((head[0] == 'C' || head[0] == 'W') && len == 8) {
    uint32_t v[2];
    if (read_all(ctl, v, 8) < 0) host_gone(pid);
    if (head[0] == 'C') {
      stream_connect(ntohl(v[0]), ntohl(v[1]));
    } else {
      struct stream *st = find_stream(ntohl(v[0]));
      if (st && ntohl(v[1]) <= WINDOW - st->credit) st->credit += ntohl(v[1]);
      else if (st) host_gone(pid); /* more credit than was ever taken: protocol error */
    }
    return;
  }
  if (head[0] == 'L' && len == 8) {
    uint32_t v[2];
    if (read_all(ctl, v, 8) < 0) host_gone(pid);
    if (ntohl(v[1])) relay_on(ntohl(v[0]));
    else relay_off(ntohl(v[0]));
    return;
  }
  if (head[0] == 'H' && len <= (1u << 20)) {
    char *content = malloc(len + 1);
    if (!content || read_all(ctl, content, len) < 0) host_gone(pid);
    write_hosts(content, len);
    free(content);
    return;
  }
  if (head[0] == 'Z' && len == 4) {
    if (read_all(ctl, &be, 4) < 0) host_gone(pid);
    struct stream *st = find_stream(ntohl(be));
    if (st) close_stream(st, 0);
    return;
  }
  if (head[0] == 'D' && len >= 4) {
    if (read_all(ctl, &be, 4) < 0) host_gone(pid);
    struct stream *st = find_stream(ntohl(be));
    len -= 4;
    if (st && len == 0) {
      st->write_eof = 1;
      stream_write(st);
      return;
    }
    if (st && (st->write_eof || len > WINDOW - st->len)) host_gone(pid); /* over its window */
    if (st && !st->buf && !(st->buf = malloc(WINDOW))) host_gone(pid);
    if (st && st->off + st->len + len > WINDOW) { /* unwritten bytes to the front: room for len */
      memmove(st->buf, st->buf + st->off, st->len);
      st->off = 0;
    }
    while (len > 0) { /* data for a stream closed meanwhile is read and dropped */
      uint32_t n = len < sizeof buf ? len : (uint32_t)sizeof buf;
      if (read_all(ctl, st ? st->buf + st->off + st->len : buf, n) < 0) host_gone(pid);
      if (st) st->len += n;
      len -= n;
    }
    return;
  }
  if (head[0] != 'I') host_gone(pid); /* protocol error: fail closed */
  if (len == 0 && *stdin_fd >= 0) {
    close(*stdin_fd);
    *stdin_fd = -1;
  }
  while (len > 0) {
    uint32_t n = len < sizeof buf ? len : (uint32_t)sizeof buf;
    if (read_all(ctl, buf, n) < 0) host_gone(pid);
    if (*stdin_fd >= 0 && write_all(*stdin_fd, buf, n) < 0) { /* the program closed stdin: drop the rest */
      close(*stdin_fd);
      *stdin_fd = -1;
    }
    len -= n;
  }
}

static void pump(int from, char type, int *open_fd) {
  char buf[65536];
  ssize_t n = read(from, buf, sizeof buf);
  if (n > 0) {
    send_frame(type, buf, (uint32_t)n);
  } else if (n == 0 || errno != EINTR) {
    close(from);
    *open_fd = -1;
  }
}

/* A pooled VM waits for its run with the kernel's exec, fault and exit paths run only once
 * under emulation (this agent's own start): exec'ing the agent once more, as a process that
 * exits at once, translates them ahead (TCG keeps translated kernel code), so the run's own exec
 * is faster. Only this binary runs; nothing of the sandbox's root. */
#define WARM_ARG "--boxkit-warm-up"

static void warm_up_exec(void) {
  pid_t p = fork();
  if (p == 0) {
    char *argv[] = {"/init", WARM_ARG, NULL}, *envp[] = {NULL};
    execve("/init", argv, envp);
    _exit(1);
  }
  if (p > 0)
    while (waitpid(p, NULL, 0) < 0 && errno == EINTR) {}
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], WARM_ARG) == 0 && getpid() != 1) return 0;
  struct spec s;
  uint32_t len;
  mkdir("/proc", 0555);
  mkdir("/sys", 0555);
  mkdir("/dev", 0755);
  if (mount("proc", "/proc", "proc", 0, NULL) != 0 || mount("sysfs", "/sys", "sysfs", 0, NULL) != 0 ||
      mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) != 0)
    power_off();
  int console = open("/dev/console", O_WRONLY | O_CLOEXEC);
  if (console >= 0) dup2(console, 2);
  mark("init");
  load_modules();
  mark("modules-loaded");
  const char *how = cmdline_value("boxkit.ctl");
  if (how && strncmp(how, "serial:", 7) == 0) ctl = open_serial(how + 7);
  else if (how && strncmp(how, "vsock:", 6) == 0) ctl = open_vsock((unsigned)strtoul(how + 6, NULL, 10));
  else power_off();
  mark("connected");
  mount_root_disk();
  mark("root-mounted");
  /* A pooled VM gets its pool's spec in 'R' ahead of its run: root, mounts, relays, pid
   * namespace and init are set up then; the run's 'S' differs only in argv, env and stdin (the
   * host checks), and init takes it from the agent. */
  char type;
  char *raw = read_frame_either('S', 'R', &type, &len);
  int prepared = type == 'R', spec_unsent = 0;
  mark("plan-received");
  parse_spec(raw, len, &s);
  setup_root(&s);
  mark("sandbox-set-up");
  for (int i = 0; i < MAX_STREAMS; i++) streams[i].fd = -1;
  for (int i = 0; i < MAX_RELAY_LISTENERS; i++) relays[i].fd = -1;
  if (s.egress_port && relay_on(s.egress_port) != 0)
    die_errno("egress", "127.0.0.1", "listen on port %u for the egress proxy", s.egress_port);
  for (int i = 0; i < s.relay_portc; i++) relay_on(s.relay_ports[i]);

  /* Prepared: init is started now and waits on spec_pipe for the run's spec, so a run only
   * forks and execs its program; stdin is a pipe until that spec says otherwise. */
  int in[2] = {-1, -1}, out[2], err[2], status_pipe[2], result_pipe[2], spec_pipe[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || pipe2(status_pipe, O_CLOEXEC) ||
      pipe2(result_pipe, O_CLOEXEC) || ((s.stdin_pipe || prepared) && pipe2(in, O_CLOEXEC)) ||
      (prepared && pipe2(spec_pipe, O_CLOEXEC)))
    die_errno("pipe", NULL, "pipe2");
  signal(SIGPIPE, SIG_IGN); /* a program that stops reading stdin must not kill the agent */
  /* The next child is PID 1 of a pid namespace of its own (mini_init). */
  if (unshare(CLONE_NEWPID) != 0) die_errno("pid-namespace", NULL, "unshare(CLONE_NEWPID)");
  pid_t pid = fork();
  if (pid < 0) die_errno("fork", NULL, "fork");
  if (pid == 0) {
    close(result_pipe[0]);
    if (spec_pipe[1] >= 0) close(spec_pipe[1]);
    mini_init(&s, in[0], out[1], err[1], status_pipe[1], result_pipe[1], spec_pipe[0]);
  }
  mark("init-forked");
  if (in[0] >= 0) close(in[0]);
  close(out[1]);
  close(err[1]);
  close(status_pipe[1]);
  close(result_pipe[1]);
  if (prepared) {
    close(spec_pipe[0]);
    warm_up_exec();
    mark("prepared");
    raw = read_frame('S', &len);
    mark("spec-received");
    uint32_t be = htonl(len);
    /* Fails only when the program's process failed a step ahead: its report follows. */
    spec_unsent = write_all(spec_pipe[1], &be, 4) < 0 || write_all(spec_pipe[1], raw, len) < 0;
    close(spec_pipe[1]);
    parse_spec(raw, len, &s);
    if (!s.stdin_pipe) {
      close(in[1]);
      in[1] = -1;
    }
  }
  int report[2];
  if (read(status_pipe[0], report, sizeof report) == (ssize_t)sizeof report) {
    errno = report[1];
    waitpid(pid, NULL, 0);
    int step = report[0] >= 0 && report[0] <= STEP_PROC ? report[0] : STEP_EXEC;
    const char *what = step == STEP_EXEC ? s.argv[0] : step == STEP_CHDIR ? s.cwd : NULL;
    die_errno(child_steps[step], what, "%s failed before the program ran", child_steps[step]);
  }
  if (spec_unsent) die_errno("read-spec", NULL, "hand the spec to the program's process");
  mark("program-started");
  int fo = out[0], fe = err[0];
  while (fo >= 0 || fe >= 0) {
    struct pollfd p[3 + MAX_RELAY_LISTENERS + MAX_STREAMS];
    struct stream *polled[MAX_STREAMS];
    int np = 3 + MAX_RELAY_LISTENERS, ns = 0;
    const int first = 3 + MAX_RELAY_LISTENERS;
    p[0] = (struct pollfd){fo, POLLIN, 0};
    p[1] = (struct pollfd){fe, POLLIN, 0};
    p[2] = (struct pollfd){ctl, POLLIN, 0};
    for (int i = 0; i < MAX_RELAY_LISTENERS; i++) p[3 + i] = (struct pollfd){relays[i].fd, POLLIN, 0};
    for (int i = 0; i < MAX_STREAMS; i++) {
      struct stream *st = &streams[i];
      short ev = (short)((!st->read_eof && st->credit > 0 ? POLLIN : 0) | (st->len > 0 ? POLLOUT : 0));
      if (st->fd < 0 || !ev) continue;
      polled[ns++] = st;
      p[np++] = (struct pollfd){st->fd, ev, 0};
    }
    /* A member rescans its listening ports every 100 ms (nothing signals a new listener). */
    int ready = poll(p, (nfds_t)np, s.member ? 100 : -1);
    if (s.member) report_ports();
    if (ready <= 0) continue;
    if (p[0].revents) pump(fo, 'O', &fo);
    if (p[1].revents) pump(fe, 'E', &fe);
    if (p[2].revents & POLLIN) {
      control_frame(pid, &in[1]);
    } else if (p[2].revents) {
      host_gone(pid);
    }
    for (int i = 0; i < MAX_RELAY_LISTENERS; i++) /* a listener closed by an 'L' above has fd -1 */
      if ((p[3 + i].revents & POLLIN) && relays[i].fd == p[3 + i].fd) stream_accept(relays[i].fd, relays[i].port);
    for (int i = 0; i < ns; i++) {
      /* A stream may have been closed by a frame above (its slot is then free or reused). */
      struct pollfd *q = &p[first + i];
      if (!q->revents || polled[i]->fd != q->fd) continue;
      if (q->revents & (POLLOUT | POLLERR)) stream_write(polled[i]);
      if (polled[i]->fd == q->fd && (q->revents & (POLLIN | POLLHUP | POLLERR)) &&
          !polled[i]->read_eof && polled[i]->credit > 0)
        stream_read(polled[i]);
    }
  }
  mark("output-closed");
  if (in[1] >= 0) close(in[1]);
  int wstatus = 0, init_status = 0, reported = 0;
  uint32_t result[2] = {0, 0};
  /* Nothing the guest still does can reach the host when no share is writable: the status goes
   * as soon as init has it, while the kernel tears the pid namespace down (the host kills the VM
   * after it anyway). With a writable share, only once every process there is gone and synced. */
  if (!writes_host_trees(&s) && read(result_pipe[0], &wstatus, sizeof wstatus) == (ssize_t)sizeof wstatus) {
    encode_status(wstatus, result);
    mark("program-ended");
    send_frame('X', result, sizeof result);
    reported = 1;
  }
  while (waitpid(pid, &init_status, 0) < 0 && errno == EINTR) {}
  mark("init-reaped");
  if (!reported) {
    /* The program's status as its init saw it; the init's own when it was killed first. */
    if (read(result_pipe[0], &wstatus, sizeof wstatus) != (ssize_t)sizeof wstatus) wstatus = init_status;
    encode_status(wstatus, result);
    mark("program-ended");
    sync();
    mark("synced");
    send_frame('X', result, sizeof result);
  }
  /* Wait (briefly) for the host to confirm it has read everything before the VM disappears. */
  struct pollfd q = {ctl, POLLIN, 0};
  poll(&q, 1, 2000);
  power_off();
  return 0;
}
