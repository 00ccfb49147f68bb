package dev.boxkit.sandbox.linux;

import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.NetworkMode;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns a {@link SandboxSpec} into the helper's {@link Plan}. All policy lives here: which
 * namespaces, which maps, what a minimal {@code /dev} holds, which {@code /proc} parts are
 * read-only, the order privileges are dropped in.
 */
final class PlanCompiler {
  private PlanCompiler() {}

  static final long CLONE_NEWNS = 0x00020000L;
  static final long CLONE_NEWCGROUP = 0x02000000L;
  static final long CLONE_NEWUTS = 0x04000000L;
  static final long CLONE_NEWIPC = 0x08000000L;
  static final long CLONE_NEWUSER = 0x10000000L;
  static final long CLONE_NEWPID = 0x20000000L;
  static final long CLONE_NEWNET = 0x40000000L;
  static final int RLIMIT_CORE = 4;
  static final int RLIMIT_NOFILE = 7;

  /**
   * First host id of the range a root JVM maps the sandbox's ids 0..65535 to, unless the spec
   * asks for host identity: {@code 0x70000000}, in the range systemd documents as unused
   * (above its container range 0x00080000-0x6FFFFFFF, below its foreign range 0x7FFE0000 and the
   * 2^31 ids that tools treating ids as signed mishandle), and far from {@code /etc/subuid}'s
   * usual 100000-based allocations. Every sandbox uses the same range: they are apart anyway
   * (own pid, ipc, mount namespaces), and a fixed range keeps kept layers' ownership stable.
   */
  static final long SHIFTED_BASE = 0x7000_0000L;
  /** How many ids the shifted map holds: inside 0..65535. */
  static final long SHIFTED_COUNT = 65536;

  /** Where the helper mounts its scratch tmpfs, in its own mount namespace only. */
  static final String SCRATCH = "/tmp";

  /**
   * Host directories that a {@link Rootfs.HostReadOnly} root shows only as empty read-only
   * tmpfs mounts: they hold the host's Unix sockets (session bus, ssh-agent, docker), and
   * {@code connect(2)} ignores read-only mounts. {@code /proc} and {@code /dev} are covered the
   * same way when the spec mounts nothing there, so the host's pids and devices never show, and
   * so is {@code /sys}: it shows the host's network interfaces and MAC addresses, its devices
   * and its cgroup tree.
   */
  static final List<String> HOST_COVERED = List.of("/run", "/tmp", "/var/tmp", "/proc", "/dev", "/sys");

  /** Parts of a fresh {@code /proc} made read-only, if they exist: runc's {@code readonlyPaths}. */
  static final List<String> PROC_READ_ONLY = List.of("bus", "fs", "irq", "sys", "sysrq-trigger");

  /**
   * Parts of a fresh {@code /proc} hidden, if they exist (directories under an empty read-only
   * tmpfs, files under {@code /dev/null}): runc's {@code maskedPaths}.
   */
  static final List<String> PROC_MASKED = List.of("acpi", "kcore", "keys", "latency_stats",
      "timer_list", "timer_stats", "sched_debug", "scsi");

  private static final String DEV_NULL = "/dev/null";

  /** Device nodes of a minimal /dev, bound from the host (mknod is not allowed in a userns). */
  static final List<String> DEVICES = List.of("null", "zero", "full", "random", "urandom", "tty");

  /**
   * @param spec what to run
   * @param hostUid the JVM's effective uid; 0 gets full-range identity maps written by the
   *     monitor, anything else maps only itself (written by the child, see user_namespaces(7))
   * @param hostGid the JVM's effective gid
   * @param seccompBpf the filter to load last, as consecutive {@code struct sock_filter}
   * @throws InvalidSandboxSpecException when the working directory is under {@code /proc}
   */
  static Plan compile(SandboxSpec spec, long hostUid, long hostGid, Optional<byte[]> seccompBpf) {
    return compile(spec, hostUid, hostGid, seccompBpf, null);
  }

  /**
   * As {@link #compile(SandboxSpec, long, long, Optional)}, for a spec whose root is an image.
   *
   * @param overlay the image root's host directories; required for (and only for) {@link
   *     Rootfs.FromImage}
   */
  static Plan compile(SandboxSpec spec, long hostUid, long hostGid, Optional<byte[]> seccompBpf,
      OverlayRoot overlay) {
    return compile(spec, hostUid, hostGid, seccompBpf, overlay, fd -> false);
  }

  /**
   * As {@link #compile(SandboxSpec, long, long, Optional, OverlayRoot)}, saying which of the
   * caller's own fds 0-2 are terminals: an inherited stream is handed over as it is only when it
   * is a terminal (with TIOCSTI filtered); any other is copied through a pipe, as a file is.
   *
   * @param isTty whether the JVM's fd 0, 1 or 2 is a terminal
   */
  static Plan compile(SandboxSpec spec, long hostUid, long hostGid, Optional<byte[]> seccompBpf,
      OverlayRoot overlay, java.util.function.IntPredicate isTty) {
    return compile(spec, hostUid, hostGid, seccompBpf, overlay, isTty, 0, 0);
  }

  /**
   * As above, for a sandbox that joins a shared network.
   *
   * @param netHolder host pid of the shared network's holder process (whose network namespace
   *     the sandbox enters), or 0 for a network namespace of its own
   * @param egressProxyPort the egress proxy's port on the host's loopback, reached inside at
   *     {@link EgressResources#SANDBOX_PORT}; 0 for none
   */
  static Plan compile(SandboxSpec spec, long hostUid, long hostGid, Optional<byte[]> seccompBpf,
      OverlayRoot overlay, java.util.function.IntPredicate isTty, int netHolder, int egressProxyPort) {
    return compile(spec, hostUid, hostGid, seccompBpf, overlay, isTty, netHolder, egressProxyPort, false);
  }

  /**
   * As above; a pooled plan sets the sandbox up to its last step and then waits (op AWAIT) for
   * the program, which the JVM sends per run on the plan fd (kept by the child: CLONE's {@link
   * Op#KEEP_PLAN}); the spec's argv and env are not sent in the plan then.
   *
   * @param pooled whether to wait for the program instead of running the spec's
   */
  static Plan compile(SandboxSpec spec, long hostUid, long hostGid, Optional<byte[]> seccompBpf,
      OverlayRoot overlay, java.util.function.IntPredicate isTty, int netHolder, int egressProxyPort,
      boolean pooled) {
    if ((spec.root() instanceof Rootfs.FromImage) != (overlay != null)) {
      throw new IllegalArgumentException("an overlay is needed exactly for an image root");
    }
    if (spec.workingDir().equals("/proc") || spec.workingDir().startsWith("/proc/")) {
      // A cwd reached through /proc/<pid>/fd or /proc/<pid>/cwd can lie outside the root (CVE-2024-21626).
      throw new InvalidSandboxSpecException("workingDir", "\"" + spec.workingDir() + "\" is under /proc");
    }
    Plan plan = new Plan();
    if (spec.dieWithParent()) {
      plan.add(Op.WATCH_PARENT, "watch the JVM");
    }
    addStdio(plan, List.of(spec.stdin(), spec.stdout(), spec.stderr()), isTty);
    for (dev.boxkit.sandbox.PortMapping p : spec.ports()) {
      // The monitor listens on the host side before the sandbox exists; init connects inside.
      plan.add(Op.PUBLISH, "publish 127.0.0.1:" + p.hostPort() + " -> sandbox port " + p.sandboxPort(),
          new Plan.Fields().u32(p.hostPort()).u32(p.sandboxPort()));
    }
    boolean privileged = hostUid == 0;
    if (netHolder > 0) {
      plan.add(Op.JOIN_NET, "join the network namespace of holder " + netHolder,
          new Plan.Fields().u32(netHolder).u32(privileged ? 0 : Op.JOIN_USERNS));
      if (!privileged) {
        // The sandbox's user namespace is now a child of the holder's, where this user is 0.
        hostUid = 0;
        hostGid = 0;
      }
    }
    boolean ownNet = spec.network() == NetworkMode.NONE && netHolder == 0;
    // The network namespace is not CLONE's: NEW_NET makes it in a second process while the
    // child mounts (setup_net is ~0.5 ms of kernel time), and ENTER_NET enters it.
    long flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
    plan.add(Op.CLONE, pooled ? Op.KEEP_PLAN : 0, "create namespaces"
        + (pooled ? " (keeping the plan fd for the program's request)" : ""), new Plan.Fields().u64(flags));
    if (ownNet) {
      plan.add(Op.NEW_NET, "make the network namespace (lo up) beside the mounts");
    }
    // The init's host pid, for exec into the running sandbox (op JOIN_SANDBOX).
    plan.add(Op.REPORT_CHILD, Op.PARENT, "report init's pid", new Plan.Fields());
    boolean shifted = privileged && !spec.hostIdentityMapping();
    if (shifted) {
      for (String[] id : new String[][] {{"uid", Long.toString(spec.uid())}, {"gid", Long.toString(spec.gid())}}) {
        if (Long.parseLong(id[1]) >= SHIFTED_COUNT) {
          throw new InvalidSandboxSpecException(id[0], id[1] + " is outside 0..65535, the ids a"
              + " root JVM maps by default; hostIdentityMapping() allows any id");
        }
      }
    }
    List<PlanSource> sources = hostSources(spec, overlay, shifted);
    if (privileged) {
      String map = shifted ? "0 " + SHIFTED_BASE + " " + SHIFTED_COUNT + "\n" : "0 0 4294967295\n";
      plan.add(Op.UID_MAP, Op.PARENT, "write uid_map", new Plan.Fields().str(map));
      plan.add(Op.GID_MAP, Op.PARENT, "write gid_map", new Plan.Fields().str(map));
      for (PlanSource src : sources) {
        String path = src.path();
        if (src.access() == PlanSource.Access.IDMAPPED) {
          plan.add(Op.IDMAP, Op.PARENT, "idmapped mount of " + path,
              new Plan.Fields().str(path).str("").str(""));
        } else if (src.access() == PlanSource.Access.IDMAPPED_WRITABLE) {
          String field = spec.root() instanceof Rootfs.Directory d && d.path().toString().equals(path)
              ? "root.path" : "mount.source";
          String[] maps = writableMaps(field, path, spec.uid(), spec.gid());
          plan.add(Op.IDMAP, Op.PARENT, "writable idmapped mount of " + path
              + " (uid_map " + maps[0].trim().replace('\n', ';') + ")",
              new Plan.Fields().str(path).str(maps[0]).str(maps[1]));
        }
      }
      plan.add(Op.SYNC, "wait for the id maps");
      if (shifted) {
        // The child still holds host uid 0, which the shifted map leaves out: files it made
        // would have no owner (EOVERFLOW). Become the namespace's own root first.
        plan.add(Op.SETIDS, "become uid 0 of the user namespace",
            new Plan.Fields().u32(0).u32(0).u32(Op.SETIDS_CLEAR_GROUPS));
      }
    } else {
      plan.add(Op.SYNC, "wait for the monitor");
      plan.add(Op.UID_MAP, "write uid_map", new Plan.Fields().str(spec.uid() + " " + hostUid + " 1\n"));
      plan.add(Op.SETGROUPS_DENY, "deny setgroups");
      plan.add(Op.GID_MAP, "write gid_map", new Plan.Fields().str(spec.gid() + " " + hostGid + " 1\n"));
    }
    plan.add(Op.NOT_DUMPABLE, "PR_SET_DUMPABLE 0");
    // Host sources are opened before the scratch tmpfs or any mount could hide them.
    for (PlanSource src : sources) {
      if (src.idmapped()) {
        plan.add(Op.OPEN_SOURCE, Op.RECEIVED, "receive idmapped " + src.path(),
            new Plan.Fields().str(src.path()));
      } else {
        plan.add(Op.OPEN_SOURCE, "open " + src.path(), new Plan.Fields().str(src.path()));
      }
    }
    if (overlay != null) {
      long layer = spec.limits().writableLayerBytes();
      addOverlayRoot(plan, overlay, sources, shifted,
          overlay.keep() == null && layer != dev.boxkit.sandbox.ResourceLimits.UNLIMITED ? layer : 0);
    } else {
      addRoot(plan, spec.root(), sources, shifted);
    }
    List<String> covers = spec.root() instanceof Rootfs.HostReadOnly ? hostCovers(spec.mounts()) : List.of();
    // A cover the spec mounts nothing under is read-only from the start; one with mount points
    // to create in it is made read-only after the spec's mounts.
    List<String> remount = covers.stream().filter(dir -> spec.mounts().stream()
        .anyMatch(m -> m.destination().startsWith(dir + "/"))).toList();
    for (String dir : covers) {
      boolean readOnly = !remount.contains(dir);
      plan.add(Op.TMPFS, readOnly ? Op.TMPFS_RO : 0, "hide host " + dir + " under an empty"
          + (readOnly ? " read-only" : "") + " tmpfs", new Plan.Fields().str(dir).u64(1 << 20).u32(0755));
    }
    for (Mount m : spec.mounts()) {
      addMount(plan, m, sources, shifted);
    }
    for (String dir : remount) {
      plan.add(Op.REMOUNT_RO, Op.SHALLOW, "make " + dir + " read-only", new Plan.Fields().str(dir));
    }
    plan.add(Op.HOSTNAME, "sethostname " + spec.hostname(), new Plan.Fields().str(spec.hostname()));
    if (ownNet) {
      plan.add(Op.ENTER_NET, "enter the network namespace");
    }
    if (egressProxyPort > 0) {
      // The only way out: a listener on the sandbox's loopback, relayed by the monitor to the
      // proxy on the host's loopback, which enforces the allow-list.
      plan.add(Op.FORWARD_OUT, "forward 127.0.0.1:" + EgressResources.SANDBOX_PORT
          + " inside to the egress proxy at 127.0.0.1:" + egressProxyPort + " on the host",
          new Plan.Fields().u32(EgressResources.SANDBOX_PORT).u32(egressProxyPort));
    }
    plan.add(Op.PIVOT_ROOT, "pivot_root into the new root");
    if (!pooled) {
      plan.add(Op.READY, "report the root finished (exec may join from now on)");
    }
    addProgram(plan, spec, privileged, seccompBpf, Op.CHDIR_CREATE, pooled);
    return plan;
  }

  /**
   * The plan of a program run inside a running sandbox, as {@code docker exec} runs one: the
   * helper enters every namespace of the sandbox's init (so the same root, mounts, network,
   * pids and id maps), then forks the program under a small init of its own, which reports its
   * end; the program drops privileges and loads the seccomp filter exactly as the sandbox's own.
   *
   * @param spec the sandbox's spec with this program's argv, env, workingDir, uid, gid and stdio
   * @param hostUid the JVM's effective uid
   * @param hostGid the JVM's effective gid
   * @param seccompBpf the sandbox's filter
   * @param initPid host pid of the sandbox's init
   * @param isTty whether the JVM's fd 0, 1 or 2 is a terminal
   */
  static Plan execPlan(SandboxSpec spec, long hostUid, long hostGid, Optional<byte[]> seccompBpf,
      int initPid, java.util.function.IntPredicate isTty) {
    Plan plan = new Plan();
    if (spec.dieWithParent()) {
      plan.add(Op.WATCH_PARENT, "watch the JVM");
    }
    addStdio(plan, List.of(spec.stdin(), spec.stdout(), spec.stderr()), isTty);
    plan.add(Op.JOIN_SANDBOX, "enter the namespaces of init " + initPid, new Plan.Fields().u32(initPid));
    plan.add(Op.CLONE, "fork into the sandbox's namespaces", new Plan.Fields().u64(0));
    plan.add(Op.SYNC, "wait for the monitor");
    boolean privileged = hostUid == 0;
    if (privileged && !spec.hostIdentityMapping()) {
      // Host uid 0 is outside the sandbox's shifted map: become its own root first.
      plan.add(Op.SETIDS, "become uid 0 of the user namespace",
          new Plan.Fields().u32(0).u32(0).u32(Op.SETIDS_CLEAR_GROUPS));
    }
    plan.add(Op.NOT_DUMPABLE, "PR_SET_DUMPABLE 0");
    addProgram(plan, spec, privileged, seccompBpf, 0, false);
    return plan;
  }

  /** From FORK_INIT to EXEC: the program's own steps, the same for a sandbox and an exec. */
  private static void addProgram(Plan plan, SandboxSpec spec, boolean privileged,
      Optional<byte[]> seccompBpf, int chdirFlags, boolean pooled) {
    plan.add(Op.FORK_INIT, "fork the program under init");
    plan.add(Op.SETSID, "setsid");
    plan.add(Op.RLIMIT, "RLIMIT_CORE 0", new Plan.Fields().u32(RLIMIT_CORE).u64(0).u64(0));
    long nofile = spec.limits().openFiles();
    if (nofile > 0) {
      plan.add(Op.RLIMIT, "RLIMIT_NOFILE " + nofile,
          new Plan.Fields().u32(RLIMIT_NOFILE).u64(nofile).u64(nofile));
    }
    plan.add(Op.CHDIR, chdirFlags, "chdir " + spec.workingDir()
        + (chdirFlags != 0 ? " (created when missing)" : ""), new Plan.Fields().str(spec.workingDir()));
    plan.add(Op.CAPS_BOUNDING, "drop the capability bounding set");
    plan.add(Op.SETIDS, "set uid " + spec.uid() + " gid " + spec.gid(), new Plan.Fields()
        .u32(spec.uid()).u32(spec.gid()).u32(privileged ? Op.SETIDS_CLEAR_GROUPS : 0));
    plan.add(Op.CAPS_CLEAR, "clear capabilities");
    plan.add(Op.NO_NEW_PRIVS, "PR_SET_NO_NEW_PRIVS");
    seccompBpf.ifPresent(bpf -> plan.add(Op.SECCOMP, "load seccomp filter", new Plan.Fields().blob(bpf)));
    if (pooled) {
      plan.add(Op.AWAIT, "wait for the program of a pooled run");
      plan.add(Op.EXEC, "exec the program the run sent", new Plan.Fields());
      return;
    }
    Plan.Fields exec = new Plan.Fields().u32(spec.argv().size());
    spec.argv().forEach(exec::str);
    exec.u32(spec.env().size());
    for (Map.Entry<String, String> e : spec.env().entrySet()) {
      exec.str(e.getKey() + "=" + e.getValue());
    }
    plan.add(Op.EXEC, "exec " + spec.argv().get(0), exec);
  }

  /**
   * The plan of a shared network's holder: a process that only keeps a user and a network
   * namespace alive (loopback up, low ports open to members) until it is killed, reporting its
   * host pid once ready so members can join (op JOIN_NET).
   *
   * @param hostUid the JVM's effective uid (0: the shifted map, written by the monitor)
   * @param hostGid the JVM's effective gid
   */
  static Plan holderPlan(long hostUid, long hostGid) {
    Plan plan = new Plan();
    plan.add(Op.WATCH_PARENT, "watch the JVM");
    // No pid namespace: the holder reports its pid as the host sees it.
    plan.add(Op.CLONE, "create the network's namespaces", new Plan.Fields()
        .u64(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS));
    if (hostUid == 0) {
      String map = "0 " + SHIFTED_BASE + " " + SHIFTED_COUNT + "\n";
      plan.add(Op.UID_MAP, Op.PARENT, "write uid_map", new Plan.Fields().str(map));
      plan.add(Op.GID_MAP, Op.PARENT, "write gid_map", new Plan.Fields().str(map));
      plan.add(Op.SYNC, "wait for the id maps");
    } else {
      plan.add(Op.SYNC, "wait for the monitor");
      plan.add(Op.UID_MAP, "write uid_map", new Plan.Fields().str("0 " + hostUid + " 1\n"));
      plan.add(Op.SETGROUPS_DENY, "deny setgroups");
      plan.add(Op.GID_MAP, "write gid_map", new Plan.Fields().str("0 " + hostGid + " 1\n"));
    }
    // Left dumpable: a member's monitor without root must open /proc/<holder>/ns/*, which
    // needs ptrace access. The holder runs nothing but pause(2).
    plan.add(Op.LOOPBACK_UP, "bring lo up");
    plan.add(Op.REPORT_CHILD, "report the holder's pid");
    plan.add(Op.HOLD, "hold the namespaces");
    return plan;
  }

  /**
   * The {@link #HOST_COVERED} directories to cover: those the host has (the root's mount points
   * cannot be created) and that no mount of the spec replaces, at that path or above it.
   */
  static List<String> hostCovers(List<Mount> mounts) {
    return HOST_COVERED.stream()
        .filter(dir -> Files.isDirectory(Path.of(dir), LinkOption.NOFOLLOW_LINKS))
        .filter(dir -> mounts.stream().map(Mount::destination)
            .noneMatch(d -> dir.equals(d) || dir.startsWith(d.endsWith("/") ? d : d + "/")))
        .toList();
  }

  /** Every host path the plan binds, in first-use order; a path's index is its source number. */
  static List<PlanSource> hostSources(SandboxSpec spec) {
    return hostSources(spec, null, false);
  }

  private static PlanSource bindKey(Mount.Bind b, boolean shifted) {
    return PlanSource.tree(b.source().toString(), shifted, b.writable());
  }

  /**
   * The uid and gid maps for a writable host tree, from its owner and group on disk.
   *
   * @throws InvalidSandboxSpecException naming {@code field} when the host's root user or group
   *     owns it (see {@link WritableIdMap#checkWritable})
   */
  private static String[] writableMaps(String field, String path, long uid, long gid) {
    Map<String, Object> a;
    try {
      a = Files.readAttributes(Path.of(path), "unix:uid,gid", LinkOption.NOFOLLOW_LINKS);
    } catch (java.io.IOException | UnsupportedOperationException e) {
      // Missing or unreadable: the helper fails opening it, naming the path and errno.
      return new String[] {new WritableIdMap(0, uid).lines(), new WritableIdMap(0, gid).lines()};
    }
    long owner = ((Integer) a.get("uid")).longValue() & 0xFFFF_FFFFL;
    long group = ((Integer) a.get("gid")).longValue() & 0xFFFF_FFFFL;
    WritableIdMap.checkWritable(field, path, owner, group);
    return new String[] {new WritableIdMap(owner, uid).lines(), new WritableIdMap(group, gid).lines()};
  }

  /**
   * STDIO ops, run by the monitor before the clone: a file, or an inherited stream that is not
   * a terminal, reaches the program only as a pipe the monitor copies (CVE-2024-21626 shows
   * what a host fd in a sandbox can reach; here the risk is {@code /proc/self/fd/0} reopened
   * for writing). Pipes to the JVM and {@code /dev/null} are BoxKit's own and go as they are.
   */
  private static void addStdio(Plan plan, List<Stdio> streams, java.util.function.IntPredicate isTty) {
    for (int fd = 0; fd < 3; fd++) {
      Stdio s = streams.get(fd);
      if (s instanceof Stdio.File f) {
        int kind = fd == 0 ? Op.STDIO_READ_FILE : Op.STDIO_WRITE_FILE;
        plan.add(Op.STDIO, "fd " + fd + " from a pipe copied " + (fd == 0 ? "from " : "to ") + f.path(),
            new Plan.Fields().u32(fd).u32(kind).str(f.path().toString()));
      } else if (s instanceof Stdio.Inherit && !isTty.test(fd)) {
        plan.add(Op.STDIO, "fd " + fd + " from a pipe copied " + (fd == 0 ? "from" : "to")
            + " the caller's fd " + fd, new Plan.Fields().u32(fd).u32(Op.STDIO_PROXY).str(""));
      }
    }
  }

  private static List<PlanSource> hostSources(SandboxSpec spec, OverlayRoot overlay, boolean shifted) {
    java.util.LinkedHashSet<PlanSource> out = new java.util.LinkedHashSet<>();
    if (overlay != null) {
      out.add(PlanSource.tree(overlay.lower().toString(), shifted, false));
      out.add(PlanSource.tree(overlay.dir().toString(), shifted, false));
    } else {
      out.add(rootKey(spec.root(), shifted));
    }
    for (Mount m : spec.mounts()) {
      if (m instanceof Mount.Bind b) {
        out.add(bindKey(b, shifted));
      } else if (m instanceof Mount.Device d) {
        // Never idmapped: devtmpfs cannot be (EINVAL), and a node needs no owner mapping.
        out.add(PlanSource.host(d.source().toString()));
      } else if (m instanceof Mount.DevMinimal) {
        DEVICES.forEach(d -> out.add(PlanSource.host("/dev/" + d)));
      } else if (m instanceof Mount.Proc) {
        out.add(PlanSource.host(DEV_NULL));
      }
    }
    return List.copyOf(out);
  }

  private static String rootSource(Rootfs root) {
    if (root instanceof Rootfs.HostReadOnly) {
      return "/";
    } else if (root instanceof Rootfs.Directory d) {
      return d.path().toString();
    }
    throw new IllegalStateException("unknown rootfs " + root);
  }

  /** The host root is never idmapped: its root-owned files must stay out of reach. */
  private static PlanSource rootKey(Rootfs root, boolean shifted) {
    return root instanceof Rootfs.HostReadOnly ? PlanSource.host(rootSource(root))
        : PlanSource.tree(rootSource(root), shifted, root instanceof Rootfs.Directory d && d.writable());
  }

  /** @param tmpfsBytes the writable layer's size as a tmpfs, or 0 for the on-disk directory */
  private static void addOverlayRoot(Plan plan, OverlayRoot o, List<PlanSource> sources, boolean shifted,
      long tmpfsBytes) {
    plan.add(Op.OVERLAY, "mount overlay " + o.lower() + " + "
        + (tmpfsBytes > 0 ? "a tmpfs of " + tmpfsBytes + " bytes" : o.upper()) + " -> /",
        new Plan.Fields().str(SCRATCH)
            .u32(sources.indexOf(PlanSource.tree(o.lower().toString(), shifted, false)))
            .u32(sources.indexOf(PlanSource.tree(o.dir().toString(), shifted, false))).u64(tmpfsBytes));
  }

  private static void addRoot(Plan plan, Rootfs root, List<PlanSource> sources, boolean shifted) {
    String src = rootSource(root);
    boolean writable = root instanceof Rootfs.Directory d && d.writable();
    plan.add(Op.ROOT, "mount " + src + " -> / (bind, " + (writable ? "rw" : "ro") + ")",
        new Plan.Fields().str(SCRATCH).str(src).u32(writable ? Op.BIND_NOSUID_NODEV : Op.BIND_RO)
            .u32(sources.indexOf(rootKey(root, shifted))));
  }

  private static void addMount(Plan plan, Mount mount, List<PlanSource> sources, boolean shifted) {
    if (mount instanceof Mount.Bind b) {
      String src = b.source().toString();
      plan.add(Op.BIND, "mount " + src + " -> " + b.destination() + " (bind, "
          + (b.writable() ? "rw" : "ro") + ")", new Plan.Fields().str(src)
          .str(b.destination()).u32(b.writable() ? Op.BIND_NOSUID_NODEV : Op.BIND_RO)
          .u32(sources.indexOf(bindKey(b, shifted))));
    } else if (mount instanceof Mount.Tmpfs t) {
      plan.add(Op.TMPFS, "mount tmpfs on " + t.destination(),
          new Plan.Fields().str(t.destination()).u64(t.sizeBytes()).u32(01777));
    } else if (mount instanceof Mount.Proc p) {
      String dst = p.destination();
      plan.add(Op.PROC, "mount proc on " + dst, new Plan.Fields().str(dst));
      // Kernel-wide knobs and hardware stay read-only even for a uid 0 that maps to the host's
      // root (their write handlers check no capability), and kernel memory, keys and timers
      // stay hidden, whatever the id map.
      for (String sub : PROC_READ_ONLY) {
        String path = dst + "/" + sub;
        plan.add(Op.BIND, "mount " + path + " -> " + path + " (bind, ro)", new Plan.Fields()
            .str(path).str(path).u32(Op.BIND_RO | Op.BIND_SRC_IN_ROOT | Op.BIND_IF_EXISTS).u32(0));
      }
      for (String sub : PROC_MASKED) {
        String path = dst + "/" + sub;
        plan.add(Op.MASK, "mask " + path, new Plan.Fields().str(path).u32(sources.indexOf(PlanSource.host(DEV_NULL))));
      }
    } else if (mount instanceof Mount.DevMinimal d) {
      addDev(plan, d.destination(), sources);
    } else if (mount instanceof Mount.Device d) {
      // As devMinimal's nodes: read-only and nosuid, not nodev; the device still reads and
      // writes as its mode allows (see Mount.Device), and the helper refuses a source that is
      // not a device node by the time it opens it.
      String src = d.source().toString();
      plan.add(Op.BIND, "mount " + src + " -> " + d.destination() + " (bind, device, "
          + (d.writable() ? "rw" : "ro") + ")", new Plan.Fields().str(src).str(d.destination())
          .u32(Op.BIND_DEVICE).u32(sources.indexOf(PlanSource.host(src))));
    } else {
      throw new IllegalStateException("unknown mount " + mount);
    }
  }

  private static void addDev(Plan plan, String dev, List<PlanSource> sources) {
    plan.add(Op.TMPFS, "mount tmpfs on " + dev, new Plan.Fields().str(dev).u64(1 << 20).u32(0755));
    for (String node : DEVICES) {
      // Read-only: the device still reads and writes, but its inode (the host's) cannot be
      // chmod'ed or chown'ed, whatever the id map.
      plan.add(Op.BIND, "mount /dev/" + node + " -> " + dev + "/" + node + " (bind, device, ro)",
          new Plan.Fields().str("/dev/" + node).str(dev + "/" + node).u32(Op.BIND_DEVICE)
              .u32(sources.indexOf(PlanSource.host("/dev/" + node))));
    }
    plan.add(Op.MKDIR, "mkdir " + dev + "/pts", new Plan.Fields().str(dev + "/pts"));
    plan.add(Op.DEVPTS, "mount devpts on " + dev + "/pts", new Plan.Fields().str(dev + "/pts"));
    symlink(plan, "pts/ptmx", dev + "/ptmx");
    plan.add(Op.TMPFS, "mount tmpfs on " + dev + "/shm",
        new Plan.Fields().str(dev + "/shm").u64(64L << 20).u32(01777));
    symlink(plan, "/proc/self/fd", dev + "/fd");
    symlink(plan, "/proc/self/fd/0", dev + "/stdin");
    symlink(plan, "/proc/self/fd/1", dev + "/stdout");
    symlink(plan, "/proc/self/fd/2", dev + "/stderr");
  }

  private static void symlink(Plan plan, String target, String path) {
    plan.add(Op.SYMLINK, "symlink " + path + " -> " + target, new Plan.Fields().str(target).str(path));
  }
}
