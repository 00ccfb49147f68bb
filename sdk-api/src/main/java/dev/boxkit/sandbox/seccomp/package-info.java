/**
 * Seccomp filters assembled in Java as classic BPF programs, so that they can be property-tested
 * in Java and loaded unchanged by the backends' native programs (the Linux helper before it
 * execs the program, the VM guest agent likewise inside the guest) with
 * <a href="https://man7.org/linux/man-pages/man2/seccomp.2.html">{@code seccomp(2)}</a>
 * ({@code SECCOMP_SET_MODE_FILTER}, after {@code PR_SET_NO_NEW_PRIVS}). Nothing here loads a
 * filter: a filter loaded into a JVM would bind every thread of it.
 *
 * <p>Every program checks the architecture first (anything else: kill the process) and on x86_64
 * fails x32 calls with ENOSYS. {@link dev.boxkit.sandbox.seccomp.SeccompFilter#defaultDenyList()}
 * then denies the calls below and allows the rest. It follows Docker's default profile
 * ({@code profiles/seccomp/default.json}) and Flatpak's {@code setup_seccomp}, for a program that
 * runs after the sandbox is set up and holds no capabilities.
 *
 * <table>
 * <caption>Default deny list</caption>
 * <tr><th>Calls</th><th>Result</th><th>Why</th></tr>
 * <tr><td>init_module, finit_module, delete_module, kexec_load, kexec_file_load</td><td>EPERM</td>
 *     <td>load code into, or replace, the host kernel</td></tr>
 * <tr><td>reboot, swapon, swapoff, syslog, acct, settimeofday, clock_settime, clock_adjtime,
 *     adjtimex, quotactl, quotactl_fd, lookup_dcookie, iopl and ioperm (x86_64 only)</td><td>EPERM</td>
 *     <td>host-global state no namespace isolates: power, swap, the kernel log, clocks,
 *     accounting, quotas, raw I/O ports</td></tr>
 * <tr><td>mount, umount2, pivot_root, chroot, unshare, setns</td><td>EPERM</td>
 *     <td>the filesystem view and the namespaces are fixed before the program starts; no nested
 *     user namespaces, whose extra kernel surface has a long CVE history</td></tr>
 * <tr><td>clone with any CLONE_NEW* flag in the low 32 bits of arg 0 (mask 0x7E020000)</td>
 *     <td>EPERM</td><td>same as unshare; clone without namespace flags (threads, fork) is allowed.
 *     The flags are arg 0 on both x86_64 and aarch64</td></tr>
 * <tr><td>clone3</td><td>ENOSYS</td><td>its flags live in memory a filter cannot read;
 *     ENOSYS makes glibc fall back to clone, which the filter inspects</td></tr>
 * <tr><td>open_tree, move_mount, fsopen, fsconfig, fsmount, fspick, mount_setattr,
 *     open_tree_attr</td><td>ENOSYS</td><td>the new mount API bypasses the mount rule;
 *     ENOSYS makes tools fall back to mount(2), which is denied</td></tr>
 * <tr><td>keyctl, add_key, request_key</td><td>EPERM</td><td>the kernel keyring is not
 *     namespaced: keys leak between sandboxes and the host</td></tr>
 * <tr><td>bpf, userfaultfd, perf_event_open</td><td>EPERM</td><td>large kernel attack surface,
 *     used by many exploits (userfaultfd to win races); perf exposes host-wide data</td></tr>
 * <tr><td>uselib (x86_64 only)</td><td>EPERM</td><td>the legacy a.out library loader, old
 *     and rarely audited kernel code no current program needs</td></tr>
 * <tr><td>open_by_handle_at, name_to_handle_at</td><td>EPERM</td><td>file handles reach
 *     files outside the mount namespace (the 2014 "shocker" container escape)</td></tr>
 * <tr><td>io_uring_setup, io_uring_enter, io_uring_register</td><td>ENOSYS</td><td>io_uring
 *     operations bypass seccomp entirely and have had many privilege escalations; ENOSYS makes
 *     libraries fall back to plain system calls</td></tr>
 * <tr><td>ptrace, process_vm_readv, process_vm_writev, pidfd_getfd, kcmp</td><td>EPERM</td>
 *     <td>reading or changing another process's memory or file descriptors, or comparing
 *     them (kcmp). This also keeps
 *     gdb and strace from working inside; {@code toBuilder().allow("ptrace")} relaxes it</td></tr>
 * <tr><td>personality with arg 0 other than 0, 0x8, 0x20000, 0x20008 or 0xffffffff (query)</td>
 *     <td>EPERM</td><td>e.g. ADDR_NO_RANDOMIZE turns ASLR off, a common exploit aid</td></tr>
 * <tr><td>ioctl with request TIOCSTI (0x5412) or TIOCLINUX (0x541C), compared on the low 32
 *     bits of arg 1</td><td>EPERM</td><td>pushes keystrokes into the caller's terminal
 *     (CVE-2017-5226); the kernel ignores the high 32 bits, so comparing all 64 could be
 *     bypassed (CVE-2019-10063)</td></tr>
 * <tr><td>socket(AF_VSOCK, ...)</td><td>EAFNOSUPPORT</td><td>vsock reaches the hypervisor
 *     or host and is not confined by a network namespace</td></tr>
 * </table>
 *
 * <p>{@link dev.boxkit.sandbox.seccomp.SeccompFilter#noSetIdFiles()} adds, for sandboxes
 * that write into host trees: {@code chmod}, {@code fchmod}, {@code fchmodat}, {@code fchmodat2},
 * {@code creat}, {@code mknod}, {@code mknodat} with {@code S_ISUID|S_ISGID} (06000) in the mode,
 * and {@code open}/{@code openat} with {@code O_CREAT|O_TMPFILE} and those mode bits: EPERM, since
 * a setuid file left in a host directory runs with its owner's privileges for every host user;
 * {@code openat2}: ENOSYS (its mode is in memory; libc falls back to {@code openat}).
 *
 * <p>Left allowed on purpose: {@code socket(AF_NETLINK)}, because netlink sockets act on the
 * sandbox's own network namespace and libc and {@code ip} use them; {@code seccomp} itself,
 * because a stacked filter can only restrict further.
 */
package dev.boxkit.sandbox.seccomp;
