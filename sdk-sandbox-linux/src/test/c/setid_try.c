/*
 * Tries, from inside a sandbox, every way a program could leave a setuid or setgid file (or a
 * file capability) in directory argv[1], printing "name errno" per attempt (0: the call
 * succeeded). Used by SandboxWrittenFilesTest, which then inspects what landed on the host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

static const char *dir;

static void report(const char *name, long rc) {
  printf("%s %d\n", name, rc < 0 ? errno : 0);
}

static const char *at(const char *name) {
  static char buf[4][4096];
  static int next;
  char *b = buf[next++ % 4];
  snprintf(b, 4096, "%s/%s", dir, name);
  return b;
}

/* A plain 0755 file to change the mode of. */
static const char *plain(const char *name) {
  const char *p = at(name);
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0755);
  if (fd >= 0) { if (write(fd, "#!/bin/sh\nid\n", 13) < 0) {} close(fd); }
  return p;
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  dir = argv[1];
  report("chmod_4755", chmod(plain("chmod_4755"), 04755));
  report("chmod_2755", chmod(plain("chmod_2755"), 02755));
  report("chmod_6755", chmod(plain("chmod_6755"), 06755));
  /* Bits above umode_t's 16 are dropped by the kernel, so they must not hide the set-id bits. */
  report("chmod_high_bits", syscall(SYS_chmod, plain("chmod_high_bits"), 0x10000UL | 04755));
  int fd = open(plain("fchmod"), O_RDONLY);
  report("fchmod", fchmod(fd, 04755));
  close(fd);
  report("fchmodat", syscall(SYS_fchmodat, AT_FDCWD, plain("fchmodat"), 04755));
  report("fchmodat2", syscall(SYS_fchmodat2, AT_FDCWD, plain("fchmodat2"), 04755, 0));
  char proc[64];
  fd = open(plain("chmod_proc_fd"), O_PATH);
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  report("chmod_proc_fd", chmod(proc, 04755));
  close(fd);
  report("open_creat", fd = (int)syscall(SYS_open, at("open_creat"), O_WRONLY | O_CREAT, 04755));
  if (fd >= 0) close(fd);
  report("openat_creat", fd = (int)syscall(SYS_openat, AT_FDCWD, at("openat_creat"), O_WRONLY | O_CREAT | O_EXCL, 06755));
  if (fd >= 0) close(fd);
  report("creat", fd = (int)syscall(SYS_creat, at("creat"), 02755));
  if (fd >= 0) close(fd);
  report("mknod_reg", syscall(SYS_mknod, at("mknod_reg"), S_IFREG | 04755, 0));
  report("mknodat_reg", syscall(SYS_mknodat, AT_FDCWD, at("mknodat_reg"), S_IFREG | 02755, 0));
  struct { uint64_t flags, mode, resolve; } how = { O_WRONLY | O_CREAT, 04755, 0 };
  report("openat2_creat", fd = (int)syscall(SYS_openat2, AT_FDCWD, at("openat2_creat"), &how, sizeof how));
  if (fd >= 0) close(fd);
  fd = open(dir, O_WRONLY | O_TMPFILE, 04755);
  report("o_tmpfile", fd);
  if (fd >= 0) {
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    report("o_tmpfile_link", linkat(AT_FDCWD, proc, AT_FDCWD, at("o_tmpfile"), AT_SYMLINK_FOLLOW));
    close(fd);
  }
  /* A v2 file capability granting CAP_SETUID (bit 7), permitted + effective. */
  uint32_t cap[5] = { 0x02000001u, 1u << 7, 0, 0, 0 };
  report("setxattr_capability", setxattr(plain("setxattr_capability"), "security.capability", cap, sizeof cap, 0));
  /* Ordinary modes still work. */
  report("chmod_plain", chmod(plain("chmod_plain"), 0700));
  report("open_plain", fd = open(at("open_plain"), O_WRONLY | O_CREAT, 0640));
  if (fd >= 0) close(fd);
  return 0;
}
