/**
 * Linux backend of the sandbox API: Java validates a spec and compiles it into a plan; a small
 * static native helper ({@code src/main/c/boxkit-init.c}) executes it. See
 * <a href="https://man7.org/linux/man-pages/man7/namespaces.7.html">namespaces(7)</a> and
 * <a href="https://man7.org/linux/man-pages/man7/user_namespaces.7.html">user_namespaces(7)</a>.
 *
 * <h2>Spawning (decided once)</h2>
 * The JVM starts the helper with {@code posix_spawn} called through JNA, with explicit file
 * actions: fd 3 = read end of the plan pipe, fd 4 = write end of the status pipe, fds 0-2 = the
 * program's stdio (a pipe, {@code /dev/null}, or the JVM's own fd left in place). A {@code
 * Stdio.file} is opened by the monitor itself (no symbolic link in any component) and, like an
 * inherited fd that is not a terminal, reaches the program only as a pipe the monitor copies
 * (op STDIO), so the program cannot reopen the host file through {@code /proc/self/fd/N}. ProcessBuilder was rejected because it cannot pass fds other than 0-2. The
 * helper runs from a sealed memfd ({@code /proc/self/fd/N}) holding bytes whose SHA-256 was checked
 * against the value recorded by the build (CVE-2019-5736); where memfd_create is refused, from a
 * cache file named by that SHA-256 and re-hashed before every spawn, refused unless it and its
 * two parent directories belong to the JVM's user (or root), are no symbolic links and no one
 * else can write them. The JVM reaps the helper itself with
 * {@code waitpid}, only after the status pipe reached end of file, and signals it only before.
 *
 * <h2>Processes</h2>
 * <ul>
 *   <li><b>monitor</b> (the spawned helper, host namespaces): reads the plan, clones init with the
 *       new namespaces, writes the id maps when root (full ranges need the parent namespace),
 *       then forwards signals to init and SIGKILLs it when the plan pipe's write end closes —
 *       that is how JVM death is detected. {@code PR_SET_PDEATHSIG} would fire when the spawning
 *       JVM <em>thread</em> exits, so it is only used below the single-threaded monitor.
 *   <li><b>init</b> (PID 1 of the new pid namespace): mounts, pivots, forks the program, reaps
 *       every zombie, forwards SIGTERM/SIGINT/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2/SIGWINCH/SIGCONT/SIGALRM
 *       to it and reports its end. When the program ends, init exits and the kernel kills every
 *       process left in the namespace.
 *   <li><b>program</b>: setsid, rlimits, chdir, capability bounding set and ambient set dropped,
 *       uid/gid set, all capabilities cleared, {@code PR_SET_NO_NEW_PRIVS}, seccomp last, exec.
 *       Every fd but 0-2 is close-on-exec ({@code close_range}).
 * </ul>
 *
 * <h2>Id maps (decided once)</h2>
 * Without root the sandbox maps one id: the requested inside uid/gid to the JVM's own, written by
 * the child itself. With root, by default, inside ids 0..65535 map to host {@code 0x70000000}
 * (1879048192) + id, written by the monitor, and the child switches to the namespace's uid 0
 * first (it still holds host uid 0, which that map leaves out). Host files owned by root are then
 * "nobody" inside: under {@link dev.boxkit.sandbox.Rootfs#hostReadOnly()} a sandbox cannot read
 * {@code /etc/shadow} or any other root-only file, nor would a writable one let it change them.
 * Trees the spec names itself — a directory root, an image's cached tree and its writable layer,
 * bind sources — are instead shown through idmapped mounts ({@code mount_setattr}
 * MOUNT_ATTR_IDMAP with the sandbox's user namespace, Linux 5.12+, made by the monitor since only
 * the initial namespace's root may idmap host filesystems, and passed to init over the sync
 * socket with SCM_RIGHTS): their files keep their owners inside (an image's root-owned files are
 * root's, its uid 1234 files are 1234's) and what the sandbox writes there lands with the same
 * ids on disk, so kept upper layers and written binds look as they would without the shift.
 * Writable host trees (writable binds, a writable directory root) are idmapped through a user
 * namespace of their own instead ({@link dev.boxkit.sandbox.linux.WritableIdMap}): the tree's owner
 * is the program's id inside, other sandbox ids write as their shifted ids, host id 0 is in no
 * line, so nothing the sandbox writes there is root's; a tree the host's root owns is refused.
 * Such sandboxes also get the seccomp rule that no file may be made setuid or setgid.
 * That is the chosen handling of image roots: a shifted map (so nothing of the host outside the
 * named trees is root's) plus idmapped lower and upper layers under the overlay, rather than
 * identity maps for image roots or re-owning a shared cache. A filesystem without idmapped mount
 * support fails the sandbox at step {@code idmap}, naming the path. {@code
 * SandboxSpec.hostIdentityMapping()} restores the identity map of all 2^32-1 ids (and ids above
 * 65535), which is weaker: the sandbox's root is then the host's root for every file it can reach.
 *
 * <h2>Plan format (fd 3, little-endian)</h2>
 * <pre>
 * header: u32 magic 0x31505842 ("BXP1"), u32 length of the ops that follow
 * op:     u32 (flags &lt;&lt; 16 | code), u32 payload length, payload
 * fields: u32, u64, str = u32 length (with NUL) + bytes + NUL, blob = u32 length + bytes
 * </pre>
 * Codes (see {@link dev.boxkit.sandbox.linux.Op}): WATCH_PARENT; CLONE(u64 flags);
 * STDIO(u32 fd 0-2, u32 kind PROXY=0 (the helper's own fd) / READ_FILE=1 / WRITE_FILE=2, str
 * path), run by the monitor before CLONE; PUBLISH(u32 host port or 0, u32 sandbox port), run by
 * the monitor before CLONE: it listens on the host's 127.0.0.1, reports the port (status type
 * 3) and, per connection, asks init over the sync socket for a socket connected to the sandbox
 * port inside the sandbox's network namespace, then relays between the two; FORWARD_OUT(u32
 * sandbox port, u32 host port), run by the child after ENTER_NET (LOOPBACK_UP in a holder's plan): a listener on the sandbox's
 * loopback, sent to the monitor, whose connections the monitor relays to the host port;
 * UID_MAP/GID_MAP(str) and SETGROUPS_DENY, run by the monitor when flag PARENT (0x1) is set,
 * else by the child on itself; IDMAP(str host path, str uid_map, str gid_map) with PARENT, by
 * which the monitor sends an idmapped detached copy of the tree to the child (empty maps: the
 * child's user namespace; else one the monitor makes with those maps); SYNC (the child collects the trees sent, then
 * the go-ahead byte, over a SOCK_SEQPACKET pair); NOT_DUMPABLE; OPEN_SOURCE(str host path),
 * opening the host sources as O_PATH fds numbered in order, before anything is mounted over
 * them, or with flag RECEIVED (0x2) taking the next tree IDMAP sent (attached with
 * {@code move_mount} on first use, bound after that);
 * ROOT(str scratch dir, str source, u32 flags, u32 source number);
 * OVERLAY(str scratch dir, u32 lower, u32 writable-layer source numbers, u64 tmpfs bytes: when
 * not 0 the upper and work directories are on a tmpfs of that size instead), the root of an image;
 * BIND(str source, str destination, u32 flags RO=1, NOSUID_NODEV=2, SRC_IN_ROOT=4,
 * IF_EXISTS=8 (only with SRC_IN_ROOT), DEVICE=0x10 (read-only and nosuid, not nodev), u32 source
 * number (ignored with SRC_IN_ROOT));
 * MASK(str path, u32 source number of /dev/null), hiding an existing path (a directory under an
 * empty read-only tmpfs, anything else under a read-only bind of /dev/null);
 * TMPFS(str dst, u64 size, u32 mode, flag TMPFS_RO (0x20): mounted read-only); PROC(str); DEVPTS(str); MKDIR(str); SYMLINK(str target,
 * str path); REMOUNT_RO(str, flag SHALLOW (0x4): that mount only); HOSTNAME(str); LOOPBACK_UP;
 * NEW_NET (42), run by the child right after CLONE when the sandbox has a network namespace of
 * its own (CLONE then leaves CLONE_NEWNET out): a second process (pid 2 of the sandbox) unshares
 * a network namespace, brings lo up, opens low ports to unprivileged binds, sets ns_last_pid to 1
 * and sends the namespace's fd (SIOCGSKNS) back over a socket pair, while the child goes on
 * mounting; ENTER_NET (43) receives it and enters it (setns); FORK_INIT reaps that process
 * before it forks, so the program is pid 2; PIVOT_ROOT; FORK_INIT; SETSID;
 * RLIMIT(u32 resource, u64 soft, u64 hard); CHDIR(str); CAPS_BOUNDING; SETIDS(u32 uid, u32 gid,
 * u32 flags CLEAR_GROUPS=1); CAPS_CLEAR; NO_NEW_PRIVS; SECCOMP(blob of struct sock_filter);
 * EXEC(u32 argc, str..., u32 envc, str "K=V"...); READY (init reports the finished root, status
 * type 5); AWAIT (41), in a pooled sandbox's plan right before an EXEC with no fields (see
 * below). CLONE's flag KEEP_PLAN (0x10) keeps the plan fd open in the child for AWAIT. Before CLONE the monitor runs every op; after
 * it, the monitor runs only PARENT ops and SYNC (where it enters its loop), the child all others.
 * Destinations are resolved beneath the new root one component at a time with {@code O_NOFOLLOW}
 * (a symlink anywhere fails the step), missing components are created, and the mount is made on
 * {@code /proc/self/fd/N} of the opened fd. Read-only is applied with
 * {@code mount_setattr(AT_RECURSIVE, MOUNT_ATTR_RDONLY|NOSUID|NODEV)} (Linux 5.12+).
 *
 * <h2>Pooled sandboxes (op AWAIT)</h2>
 * {@link dev.boxkit.sandbox.SandboxPool}: the plan of a pooled sandbox is an ordinary one with
 * CLONE flagged KEEP_PLAN, no READY, and AWAIT between SECCOMP and an EXEC without fields. The
 * payload thus does every step a cold sandbox does (namespaces, id maps, mounts, pivot_root,
 * fork under init, rlimits, chdir, ids, capabilities, no_new_privs, seccomp), then AWAIT writes
 * a ready record (status type 5) and blocks reading the plan fd, whose write end the JVM still
 * holds. A run sends its program there in one write:
 * <pre>
 * request: u32 magic 0x31525842 ("BXR1"), u32 length, u32 argc, str..., u32 envc, str "K=V"...
 * </pre>
 * usually taken by one read; EXEC then runs it, so a missing program is a failure at step
 * {@code exec} as in a cold sandbox. End of file instead of a request (the pool closed) ends the
 * payload quietly. Each sandbox takes one request and ends with its program. The monitor puts
 * {@code /dev/null} on its own fds 0-2 after the clone, so the caller's pipes reach end of file
 * once the sandbox's processes are gone; a pooled run without resources (no cgroup, overlay,
 * proxy or shared network) returns at init's exit record with its output complete, and the
 * pool's reaper thread reaps the helper while the kernel tears the namespaces down. A cold
 * {@code run} does the same (on a {@code boxkit-reaper} daemon thread) unless the sandbox can
 * write host trees (a writable bind or directory root): then it returns only once the helper,
 * and with it every process of the sandbox, is gone.
 *
 * <h2>Image roots</h2>
 * {@link dev.boxkit.sandbox.Rootfs.FromImage} is an overlayfs mounted by init inside the
 * sandbox's user namespace (allowed since Linux 5.11), with option {@code userxattr} (overlay
 * metadata in {@code user.overlay.*}, the only xattrs a user namespace may set): lower = the
 * image's tree in the shared {@code RootfsCache}, never written; upper and work = {@code upper/}
 * and {@code work/} of a per-sandbox directory {@code .boxkit-overlay-<uuid>} (mode 0700) under
 * {@code java.io.tmpdir}, or next to {@code keepUpper} so that the upper can be renamed there.
 * Both trees are first attached at {@code /lower} and {@code /rw} of the scratch tmpfs, so host
 * paths need no escaping of {@code ,} or {@code :}. Mount points the spec needs are created by
 * the ordinary step-by-step resolution, so they land in the upper layer: images without {@code
 * /proc}, {@code /dev} or {@code /tmp} work. There is no fallback: a kernel that refuses the
 * overlay fails the sandbox at step {@code mount-overlay} with its errno, rather than running a
 * read-only or shared root the caller did not ask for. The directory is deleted (after making
 * every directory in it accessible, since the sandbox may have made some mode 0) when the
 * sandbox's resources are released, after the helper has been reaped. An upper layer kept at
 * {@code keepUpper} is first stripped of privilege (setuid/setgid bits of files, which copy-up
 * keeps, {@code security.capability} xattrs, device nodes other than 0:0 whiteouts); an entry
 * that cannot be stripped is deleted with a warning.
 *
 * <h2>Status records (fd 4, little-endian)</h2>
 * <pre>
 * u32 length of the rest, u32 type, then
 *   type 1 (failure): u32 op index, u32 errno, str step, str path, str message (str = u32 len + bytes)
 *   type 2 (exit):    u32 exit code (128 + signal when killed), u32 signal (0 when it exited)
 *   type 3 (port):    u32 sandbox port, u32 host port (a published port listens)
 *   type 4 (child):   u32 pid in the host's pid namespace (init's, or a network holder's)
 *   type 5 (ready):   nothing (op READY: init pivoted into the finished root, an exec may join it;
 *                     op AWAIT: a pooled sandbox waits for its program)
 * </pre>
 * A failed exec is a failure record for step {@code exec}, distinct from a program exiting 127.
 */
package dev.boxkit.sandbox.linux;
