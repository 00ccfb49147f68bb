/*
 * The floor under a pooled sandbox run, for PoolStartHarness: a process already forked and
 * waiting on a pipe is told to exec a program, and its parent waits for its exit: one wake-up,
 * one exec, one exit, one wait, no sandbox. For each line on stdin, one round; prints the
 * nanoseconds from the write that wakes the child to waitpid's return.
 *
 * Usage: exec-floor /bin/true
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
  char line[64];
  if (argc != 2) return 2;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    int p[2], st;
    if (pipe(p) != 0) return 1;
    pid_t c = fork();
    if (c < 0) return 1;
    if (c == 0) {
      char b;
      close(p[1]);
      if (read(p[0], &b, 1) != 1) _exit(1);
      execl(argv[1], argv[1], (char *)NULL);
      _exit(127);
    }
    close(p[0]);
    if (!fgets(line, sizeof line, stdin)) {
      close(p[1]);
      waitpid(c, &st, 0);
      return 0;
    }
    long long t0 = now_ns();
    if (write(p[1], "x", 1) != 1) return 1;
    waitpid(c, &st, 0);
    long long t1 = now_ns();
    close(p[1]);
    printf("%lld %d\n", t1 - t0, WIFEXITED(st) ? WEXITSTATUS(st) : 128);
  }
}
