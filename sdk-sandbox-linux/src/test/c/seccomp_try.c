/*
 * Loads a seccomp BPF program compiled by BoxKit and tries system calls under it, printing one
 * "name errno" line per attempt (0: the call succeeded). In the manner of bubblewrap's
 * tests/try-syscall.c: arguments are chosen so that the unfiltered call fails with a different
 * errno than the filter's, or succeeds, so the output shows what the filter did.
 *
 * usage: seccomp_try PROGRAM_FILE      load the program, then try the calls
 *        seccomp_try --no-filter       try the calls without a filter (the control run)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif
#ifndef __NR_open_tree
#define __NR_open_tree 428
#endif
#ifndef __NR_fsopen
#define __NR_fsopen 430
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static void report(const char *name, long rc) {
  printf("%s %d\n", name, rc < 0 ? errno : 0);
  fflush(stdout);
}

/* Runs a call that would change this process in a forked child; reports the child's result. */
#define IN_CHILD(name, call)                              \
  do {                                                    \
    pid_t pid_ = fork();                                  \
    if (pid_ == 0) {                                      \
      long rc_ = (call);                                  \
      _exit(rc_ < 0 ? errno : 0);                         \
    }                                                     \
    int st_ = 0;                                          \
    waitpid(pid_, &st_, 0);                               \
    printf("%s %d\n", name, WIFEXITED(st_) ? WEXITSTATUS(st_) : 1000 + WTERMSIG(st_)); \
    fflush(stdout);                                       \
  } while (0)

static void *thread_main(void *arg) {
  *(int *)arg = 42;
  return NULL;
}

static long raw_clone(unsigned long flags) {
  long pid = syscall(__NR_clone, flags, 0, 0, 0, 0); /* no new stack: the child acts like fork */
  if (pid == 0) {
    _exit(0);
  }
  if (pid > 0) {
    waitpid((pid_t)pid, NULL, 0);
  }
  return pid;
}

static int load(const char *path) {
  static unsigned char buf[4096 * 8];
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    perror("open");
    return -1;
  }
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  if (n <= 0 || n % 8 != 0) {
    fprintf(stderr, "bad program size %zd\n", n);
    return -1;
  }
  struct sock_fprog prog = {.len = (unsigned short)(n / 8), .filter = (struct sock_filter *)buf};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    perror("PR_SET_NO_NEW_PRIVS");
    return -1;
  }
  if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    perror("seccomp");
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s PROGRAM_FILE | --no-filter\n", argv[0]);
    return 2;
  }
  if (strcmp(argv[1], "--no-filter") != 0 && load(argv[1]) != 0) {
    return 3;
  }
  char c = 'x';
  report("getpid", syscall(__NR_getpid));
  report("keyctl", syscall(__NR_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
  report("add_key", syscall(__NR_add_key, NULL, NULL, NULL, 0, -2));
  report("clone3", syscall(__NR_clone3, NULL, 0));
  report("ioctl_tiocsti", syscall(__NR_ioctl, 0, 0x5412UL, &c));
  report("ioctl_tiocsti_high", syscall(__NR_ioctl, 0, 0x5412UL | (1UL << 32), &c));
  report("ioctl_tioclinux_high", syscall(__NR_ioctl, 0, 0x541CUL | (0xabcdUL << 32), &c));
  report("ioctl_tcgets", syscall(__NR_ioctl, 0, 0x5401UL, &c));
  report("io_uring_setup", syscall(__NR_io_uring_setup, 1, NULL));
  report("open_tree", syscall(__NR_open_tree, -1, "", 0));
  report("fsopen", syscall(__NR_fsopen, NULL, 0));
  report("bpf", syscall(__NR_bpf, -1, NULL, 0));
  report("perf_event_open", syscall(__NR_perf_event_open, NULL, 0, -1, -1, 0));
  report("kcmp", syscall(__NR_kcmp, getpid(), getpid(), 0 /* KCMP_FILE */, 0, 0));
  report("personality_query", personality(0xffffffff));
  int v = socket(AF_VSOCK, SOCK_STREAM, 0);
  report("socket_vsock", v);
  int u = socket(AF_UNIX, SOCK_STREAM, 0);
  report("socket_unix", u);
#ifdef __x86_64__
  report("x32_getpid", syscall(0x40000000 | __NR_getpid));
#endif
  IN_CHILD("unshare_user", unshare(CLONE_NEWUSER));
  IN_CHILD("unshare_files", unshare(CLONE_FILES));
  IN_CHILD("clone_newns", raw_clone(CLONE_NEWNS | SIGCHLD));
  IN_CHILD("clone_newuser", raw_clone(CLONE_NEWUSER | SIGCHLD));
  IN_CHILD("clone_plain", raw_clone(SIGCHLD));
  IN_CHILD("personality_no_aslr", personality(ADDR_NO_RANDOMIZE));
  IN_CHILD("ptrace_traceme", ptrace(PTRACE_TRACEME, 0, NULL, NULL));
  IN_CHILD("fork", (long)fork() < 0 ? -1 : 0);
  int out = 0;
  pthread_t t;
  int rc = pthread_create(&t, NULL, thread_main, &out);
  if (rc == 0) {
    pthread_join(t, NULL);
  }
  printf("pthread_create %d\n", rc != 0 ? rc : out == 42 ? 0 : -1);
  fflush(stdout);
  return 0;
}
