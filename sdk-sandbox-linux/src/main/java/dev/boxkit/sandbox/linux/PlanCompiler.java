package dev.boxkit.sandbox.linux;

import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.NetworkMode;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxSpec;
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

  /** Where the helper mounts its scratch tmpfs, in its own mount namespace only. */
  static final String SCRATCH = "/tmp";

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
    if (spec.workingDir().equals("/proc") || spec.workingDir().startsWith("/proc/")) {
      // A cwd reached through /proc/<pid>/fd or /proc/<pid>/cwd can lie outside the root (CVE-2024-21626).
      throw new InvalidSandboxSpecException("workingDir", "\"" + spec.workingDir() + "\" is under /proc");
    }
    Plan plan = new Plan();
    if (spec.dieWithParent()) {
      plan.add(Op.WATCH_PARENT, "watch the JVM");
    }
    long flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
        | CLONE_NEWCGROUP | (spec.network() == NetworkMode.NONE ? CLONE_NEWNET : 0);
    plan.add(Op.CLONE, "create namespaces", new Plan.Fields().u64(flags));
    boolean privileged = hostUid == 0;
    if (privileged) {
      plan.add(Op.UID_MAP, Op.PARENT, "write uid_map", new Plan.Fields().str("0 0 4294967295\n"));
      plan.add(Op.GID_MAP, Op.PARENT, "write gid_map", new Plan.Fields().str("0 0 4294967295\n"));
      plan.add(Op.SYNC, "wait for the id maps");
    } else {
      plan.add(Op.SYNC, "wait for the monitor");
      plan.add(Op.UID_MAP, "write uid_map", new Plan.Fields().str(spec.uid() + " " + hostUid + " 1\n"));
      plan.add(Op.SETGROUPS_DENY, "deny setgroups");
      plan.add(Op.GID_MAP, "write gid_map", new Plan.Fields().str(spec.gid() + " " + hostGid + " 1\n"));
    }
    plan.add(Op.NOT_DUMPABLE, "PR_SET_DUMPABLE 0");
    // Host sources are opened before the scratch tmpfs or any mount could hide them.
    List<String> sources = hostSources(spec);
    for (String src : sources) {
      plan.add(Op.OPEN_SOURCE, "open " + src, new Plan.Fields().str(src));
    }
    addRoot(plan, spec.root(), sources);
    for (Mount m : spec.mounts()) {
      addMount(plan, m, sources);
    }
    plan.add(Op.HOSTNAME, "sethostname " + spec.hostname(), new Plan.Fields().str(spec.hostname()));
    if (spec.network() == NetworkMode.NONE) {
      plan.add(Op.LOOPBACK_UP, "bring lo up");
    }
    plan.add(Op.PIVOT_ROOT, "pivot_root into the new root");
    plan.add(Op.FORK_INIT, "fork the program under init");
    plan.add(Op.SETSID, "setsid");
    plan.add(Op.RLIMIT, "RLIMIT_CORE 0", new Plan.Fields().u32(RLIMIT_CORE).u64(0).u64(0));
    long nofile = spec.limits().openFiles();
    if (nofile > 0) {
      plan.add(Op.RLIMIT, "RLIMIT_NOFILE " + nofile,
          new Plan.Fields().u32(RLIMIT_NOFILE).u64(nofile).u64(nofile));
    }
    plan.add(Op.CHDIR, "chdir " + spec.workingDir(), new Plan.Fields().str(spec.workingDir()));
    plan.add(Op.CAPS_BOUNDING, "drop the capability bounding set");
    plan.add(Op.SETIDS, "set uid " + spec.uid() + " gid " + spec.gid(), new Plan.Fields()
        .u32(spec.uid()).u32(spec.gid()).u32(privileged ? Op.SETIDS_CLEAR_GROUPS : 0));
    plan.add(Op.CAPS_CLEAR, "clear capabilities");
    plan.add(Op.NO_NEW_PRIVS, "PR_SET_NO_NEW_PRIVS");
    seccompBpf.ifPresent(bpf -> plan.add(Op.SECCOMP, "load seccomp filter", new Plan.Fields().blob(bpf)));
    Plan.Fields exec = new Plan.Fields().u32(spec.argv().size());
    spec.argv().forEach(exec::str);
    exec.u32(spec.env().size());
    for (Map.Entry<String, String> e : spec.env().entrySet()) {
      exec.str(e.getKey() + "=" + e.getValue());
    }
    plan.add(Op.EXEC, "exec " + spec.argv().get(0), exec);
    return plan;
  }

  /** Every host path the plan binds, in first-use order; a path's index is its source number. */
  static List<String> hostSources(SandboxSpec spec) {
    java.util.LinkedHashSet<String> out = new java.util.LinkedHashSet<>();
    out.add(rootSource(spec.root()));
    for (Mount m : spec.mounts()) {
      if (m instanceof Mount.Bind b) {
        out.add(b.source().toString());
      } else if (m instanceof Mount.DevMinimal) {
        DEVICES.forEach(d -> out.add("/dev/" + d));
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

  private static void addRoot(Plan plan, Rootfs root, List<String> sources) {
    String src = rootSource(root);
    boolean writable = root instanceof Rootfs.Directory d && d.writable();
    plan.add(Op.ROOT, "mount " + src + " -> / (bind, " + (writable ? "rw" : "ro") + ")",
        new Plan.Fields().str(SCRATCH).str(src).u32(writable ? 0 : Op.BIND_RO).u32(sources.indexOf(src)));
  }

  private static void addMount(Plan plan, Mount mount, List<String> sources) {
    if (mount instanceof Mount.Bind b) {
      String src = b.source().toString();
      plan.add(Op.BIND, "mount " + src + " -> " + b.destination() + " (bind, "
          + (b.writable() ? "rw" : "ro") + ")", new Plan.Fields().str(src)
          .str(b.destination()).u32(b.writable() ? Op.BIND_NOSUID_NODEV : Op.BIND_RO)
          .u32(sources.indexOf(src)));
    } else if (mount instanceof Mount.Tmpfs t) {
      plan.add(Op.TMPFS, "mount tmpfs on " + t.destination(),
          new Plan.Fields().str(t.destination()).u64(t.sizeBytes()).u32(01777));
    } else if (mount instanceof Mount.Proc p) {
      String dst = p.destination();
      plan.add(Op.PROC, "mount proc on " + dst, new Plan.Fields().str(dst));
      // Kernel-wide knobs stay read-only even for a uid 0 that maps to the host's root.
      for (String sub : List.of("sys", "sysrq-trigger")) {
        String path = dst + "/" + sub;
        plan.add(Op.BIND, "mount " + path + " -> " + path + " (bind, ro)", new Plan.Fields()
            .str(path).str(path).u32(Op.BIND_RO | Op.BIND_SRC_IN_ROOT | Op.BIND_IF_EXISTS).u32(0));
      }
    } else if (mount instanceof Mount.DevMinimal d) {
      addDev(plan, d.destination(), sources);
    } else {
      throw new IllegalStateException("unknown mount " + mount);
    }
  }

  private static void addDev(Plan plan, String dev, List<String> sources) {
    plan.add(Op.TMPFS, "mount tmpfs on " + dev, new Plan.Fields().str(dev).u64(1 << 20).u32(0755));
    for (String node : DEVICES) {
      plan.add(Op.BIND, "mount /dev/" + node + " -> " + dev + "/" + node + " (bind)",
          new Plan.Fields().str("/dev/" + node).str(dev + "/" + node).u32(0)
              .u32(sources.indexOf("/dev/" + node)));
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
