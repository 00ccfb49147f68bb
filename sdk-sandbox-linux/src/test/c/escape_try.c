/*
 * Tries, from inside a sandbox, the calls an escape would need, printing "name errno" per line
 * (0: the call succeeded). Used by KernelAttackSurfaceTest.
 *
 * Every call gets arguments that make the kernel itself refuse it harmlessly (a missing path, a
 * bad fd, an unused pid, an invalid command), even for root outside any sandbox: so EPERM means
 * the sandbox refused the call before the kernel looked at the arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define NO_PID 0x3ffffff0 /* above pid_max's limit: never a process */
#define NO_PATH "/nonexistent-boxkit-probe"

static void report(const char *name, long rc) {
  printf("%s %d\n", name, rc < 0 ? errno : 0);
}

int main(void) {
  char buf[64] = { 0 }, dst[8];
  struct iovec local = { dst, sizeof dst }, remote = { buf, sizeof dst };
  report("init_module", syscall(SYS_init_module, buf, 0UL, ""));
  report("finit_module", syscall(SYS_finit_module, -1, "", 0));
  report("delete_module", syscall(SYS_delete_module, "boxkit_nonexistent_module", 0));
  report("ptrace_attach", ptrace(PTRACE_ATTACH, NO_PID, NULL, NULL));
  report("process_vm_readv", process_vm_readv(NO_PID, &local, 1, &remote, 1, 0));
  report("reboot", syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, 0x0badc0de, NULL));
  report("swapon", syscall(SYS_swapon, NO_PATH, 0));
  report("open_by_handle_at", syscall(SYS_open_by_handle_at, -1, buf, O_RDONLY));
  report("kexec_load", syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0x0badc0deUL));
  report("setns", syscall(SYS_setns, -1, 0));
  report("mount", syscall(SYS_mount, "none", NO_PATH, "tmpfs", 0UL, NULL));
  report("umount2", syscall(SYS_umount2, NO_PATH, 0));
  report("pivot_root", syscall(SYS_pivot_root, NO_PATH, NO_PATH));
  report("getppid", getppid());
  return 0;
}
