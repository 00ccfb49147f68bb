package dev.boxkit.sandbox.linux;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxSetupException;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.SandboxUnavailableException;
import dev.boxkit.sandbox.Stdio;
import dev.boxkit.sandbox.linux.cgroup.CgroupController;
import dev.boxkit.sandbox.linux.cgroup.CgroupException;
import dev.boxkit.sandbox.linux.cgroup.CgroupLimits;
import dev.boxkit.sandbox.linux.cgroup.Cgroups;
import dev.boxkit.sandbox.seccomp.SeccompArch;
import dev.boxkit.sandbox.seccomp.SeccompFilter;
import dev.boxkit.sandbox.spi.SandboxProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;

/**
 * Linux namespaces backend: user, mount, pid, ipc, uts, cgroup and (for {@code NONE}) network
 * namespaces set up by the bundled native helper. Registered for {@link java.util.ServiceLoader}.
 */
public final class LinuxSandboxProvider implements SandboxProvider {
  private final Object lock = new Object();
  private HelperBinary helper;
  private byte[] seccomp;
  private byte[] seccompNoSetId;
  private Cgroups.Detection cgroups;
  /** Once usable, stays so: the checks read files and sit on every sandbox's path. */
  private volatile boolean usable;

  /** Creates the provider; the helper is loaded on first use. */
  public LinuxSandboxProvider() {}

  @Override
  public String name() {
    return "linux-namespaces";
  }

  @Override
  public Optional<String> unavailableReason() {
    if (usable) {
      return Optional.empty();
    }
    Optional<String> why = checkHost();
    usable = why.isEmpty();
    return why;
  }

  private static Optional<String> checkHost() {
    if (HelperBinary.platform().isEmpty()) {
      return Optional.of("needs Linux on x86_64 or aarch64, this is " + System.getProperty("os.name")
          + "/" + System.getProperty("os.arch"));
    }
    if (!HelperBinary.bundled()) {
      return Optional.of("this build of sdk-sandbox-linux carries no native helper for "
          + HelperBinary.platform().get() + ": it was built without a C compiler for that"
          + " architecture (-Dboxkit.native=none-ok, or no cross compiler); released jars carry"
          + " both linux-x86_64 and linux-aarch64, and a build from source needs gcc and libc6-dev"
          + " (plus gcc-aarch64-linux-gnu and libc6-dev-arm64-cross for aarch64 on x86_64)");
    }
    boolean root;
    try {
      root = LibC.INSTANCE.geteuid() == 0;
    } catch (LinkageError e) {
      return Optional.of("JNA cannot call libc (" + e + "); if the JVM's temporary directory is"
          + " mounted noexec, point jna.tmpdir at an executable directory");
    }
    return userNamespaceProblem(root, Path.of("/proc/sys"));
  }

  /**
   * Reads the sysctls that disable user namespaces and says how to enable them.
   *
   * @param root whether the JVM runs as root (unprivileged-only switches do not apply then)
   * @param procSys normally {@code /proc/sys}
   */
  static Optional<String> userNamespaceProblem(boolean root, Path procSys) {
    if (sysctl(procSys, "user/max_user_namespaces").equals(Optional.of("0"))) {
      return Optional.of("user namespaces are disabled (user.max_user_namespaces=0); enable them"
          + " with: sysctl -w user.max_user_namespaces=15000");
    }
    if (!root && sysctl(procSys, "kernel/unprivileged_userns_clone").equals(Optional.of("0"))) {
      return Optional.of("unprivileged user namespaces are disabled"
          + " (kernel.unprivileged_userns_clone=0); enable them with:"
          + " sysctl -w kernel.unprivileged_userns_clone=1");
    }
    if (!root && sysctl(procSys, "kernel/apparmor_restrict_unprivileged_userns").equals(Optional.of("1"))) {
      return Optional.of("AppArmor restricts unprivileged user namespaces"
          + " (kernel.apparmor_restrict_unprivileged_userns=1); allow them with:"
          + " sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile"
          + " granting 'userns,' to the java binary");
    }
    return Optional.empty();
  }

  private static Optional<String> sysctl(Path procSys, String name) {
    try {
      return Optional.of(Files.readString(procSys.resolve(name)).trim());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  @Override
  public ExecResult run(SandboxSpec spec) {
    LinuxSandboxProcess p = launch(spec);
    if (spec.stdin() instanceof Stdio.Pipe) {
      p.closeStdin(); // run() has nothing to send: the program reads end of file
    }
    // As a pooled run does, a sandbox with nothing to measure or release returns at its
    // program's exit record and end of output, and its helper is reaped off this thread while
    // the kernel tears the namespaces down (about 0.3 ms of a /bin/true run here). Not when it
    // can write host trees: a process being killed then could still finish a write there.
    return p.supervise(capture(spec, spec.stdout()), capture(spec, spec.stderr()),
        writesHostTrees(p.launchedSpec()) ? null : REAPER);
  }

  /** Reaps the helpers of cold runs that returned before their namespaces were torn down. */
  private static final java.util.concurrent.ExecutorService REAPER = reaper();

  private static java.util.concurrent.ExecutorService reaper() {
    // One daemon thread, started on demand and gone after a second without work.
    java.util.concurrent.ThreadPoolExecutor e = new java.util.concurrent.ThreadPoolExecutor(1, 1,
        1, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "boxkit-reaper");
          t.setDaemon(true);
          return t;
        });
    e.allowCoreThreadTimeOut(true);
    return e;
  }

  private static LinuxSandboxProcess.Capture capture(SandboxSpec spec, Stdio stdio) {
    return stdio instanceof Stdio.Pipe ? new LinuxSandboxProcess.Capture(spec.captureLimitBytes()) : null;
  }

  @Override
  public SandboxProcess start(SandboxSpec spec) {
    return launch(spec).startWaiter();
  }

  /**
   * A pool whose sandboxes are set up ahead by the helper up to the program's exec (op AWAIT),
   * then handed their program per run (see {@link LinuxSandboxPool}).
   *
   * @throws InvalidSandboxSpecException naming {@code size} below 1, {@code ports} when the spec
   *     publishes ports (each pooled sandbox would need its own), {@code stdin} when it is
   *     neither a pipe nor discarded, or {@code stdout}/{@code stderr} when it is a file
   */
  @Override
  public dev.boxkit.sandbox.SandboxPool pool(SandboxSpec spec, int size) {
    dev.boxkit.sandbox.spi.PoolRuns.checkSize(size);
    dev.boxkit.sandbox.spi.PoolRuns.check(spec, spec);
    if (!spec.ports().isEmpty()) {
      throw new InvalidSandboxSpecException("ports", "a pooled sandbox cannot publish ports"
          + " (got " + spec.ports() + "): start such sandboxes with Sandbox.start");
    }
    for (String field : new String[] {"stdout", "stderr"}) {
      Stdio s = field.equals("stdout") ? spec.stdout() : spec.stderr();
      if (s instanceof Stdio.File) {
        throw new InvalidSandboxSpecException(field, "a pooled sandbox opens its streams when it is"
            + " set up, ahead of its run, so a file would be truncated by the next one: use"
            + " Stdio.pipe() (got " + s + ")");
      }
    }
    Optional<String> why = unavailableReason();
    if (why.isPresent()) {
      throw new SandboxUnavailableException(name() + ": " + why.get());
    }
    return new LinuxSandboxPool(spec, size, this::launchPooled);
  }

  /** A sandbox of a pool: set up, then waiting for its program; stdin is always a pipe. */
  LinuxSandboxProcess launchPooled(SandboxSpec spec) {
    return launch(spec.toBuilder().stdin(Stdio.pipe()).build(), true);
  }

  private LinuxSandboxProcess launch(SandboxSpec spec) {
    return launch(spec, false);
  }

  private LinuxSandboxProcess launch(SandboxSpec spec, boolean pooled) {
    Optional<String> why = unavailableReason();
    if (why.isPresent()) {
      throw new SandboxUnavailableException(name() + ": " + why.get());
    }
    // A user given by name, then CDI devices (mounts and variables), so every check below sees them.
    spec = dev.boxkit.sandbox.spi.Devices.resolve(spec.withUserResolved());
    checkHostPaths(spec);
    if (spec.mounts().stream().anyMatch(m -> m instanceof Mount.Device)) {
      DeviceMounts.check(spec, DeviceMounts.mountinfo()); // read only when there is a node to check
    }
    LibC c = LibC.INSTANCE;
    HelperBinary h = helper();
    byte[] bpf = seccomp(writesHostTrees(spec));
    long uid = Integer.toUnsignedLong(c.geteuid());
    long gid = Integer.toUnsignedLong(c.getegid());
    int holder = 0;
    AutoCloseable lease = null;
    dev.boxkit.sandbox.SandboxNetwork net = spec.sharedNetwork();
    if (net != null) {
      holder = net.backendState(NetworkHolder.class, () -> NetworkHolder.start(h, uid, gid)).pid();
      lease = net.join(spec.hostname());
      // Every member's name is 127.0.0.1: they share one loopback.
      spec = spec.toBuilder().mount(Mount.bind(net.hostsFile(), "/etc/hosts")).build();
    }
    SandboxResources resources;
    try {
      resources = resources(spec.limits());
    } catch (RuntimeException e) {
      closeQuietly(lease);
      throw e;
    }
    if (lease != null) {
      resources = new LeaseResources(resources, lease);
    }
    int egressPort = 0;
    if (!spec.egress().isDenyAll()) {
      spec = EgressResources.withProxyEnv(spec);
      try {
        EgressResources egress = EgressResources.start(spec, resources);
        egressPort = egress.hostPort();
        resources = egress;
      } catch (RuntimeException e) {
        resources.finish();
        throw e;
      }
    }
    try {
      OverlayRoot overlay = null;
      if (spec.root() instanceof Rootfs.FromImage image) {
        overlay = OverlayRoot.create(image, resources);
        resources = overlay;
      }
      Plan plan = PlanCompiler.compile(spec, uid, gid, Optional.of(bpf), overlay,
          fd -> c.isatty(fd) == 1, holder, egressPort, pooled);
      LinuxSandboxProcess p = LinuxSandboxProcess.launch(h, spec, plan, resources, pooled);
      // A pooled sandbox's init reports no READY before its program is sent: no exec into it.
      return pooled ? p : p.execContext(new LinuxSandboxProcess.ExecContext(h, bpf, uid, gid));
    } catch (RuntimeException e) {
      resources.finish();
      throw e;
    }
  }

  /**
   * Refuses host paths with a symbolic link in any component ({@link
   * dev.boxkit.sandbox.spi.HostPaths#check}); the helper opens them again without following
   * links, so a link planted after this check fails there.
   *
   * @throws InvalidSandboxSpecException naming the field, the path and its linked component
   */
  static void checkHostPaths(SandboxSpec spec) {
    dev.boxkit.sandbox.spi.HostPaths.check(spec);
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        org.slf4j.LoggerFactory.getLogger(LinuxSandboxProvider.class).warn("leaving network: {}", e.toString());
      }
    }
  }

  /** Other resources plus a membership of a shared network, given up when the sandbox ends. */
  private static final class LeaseResources extends LayeredResources {
    private final AutoCloseable lease;

    LeaseResources(SandboxResources inner, AutoCloseable lease) {
      super(inner);
      this.lease = lease;
    }

    @Override
    void release() {
      closeQuietly(lease);
    }
  }

  /**
   * Processes of BoxKit's own in a sandbox's cgroup while its program runs: the helper's monitor
   * and the sandbox's init (PID 1). During setup a third, short-lived one may exist before the
   * program starts, which a limit of at least 1 for the program leaves room for.
   */
  static final long HELPER_PROCESSES = 2;

  /** A cgroup when memory, pids or cpu are limited; failing closed when none can be made. */
  private SandboxResources resources(ResourceLimits limits) {
    if (!limits.needsCgroup()) {
      return SandboxResources.NONE;
    }
    Cgroups.Detection d = cgroups();
    CgroupController controller = d.controller().orElseThrow(() -> new SandboxSetupException(
        "cgroup", null, 0, null, "memory, pids and cpu limits need a cgroup this process may"
        + " create (root, or a delegated cgroup v2 subtree); none found: " + d.reasons()));
    // pids.max counts the helper's monitor and the sandbox's init too: the limit the caller gave
    // is for the program's own processes, so theirs is added on top.
    long pids = limits.pidsMax() > 0 ? limits.pidsMax() + HELPER_PROCESSES : 0;
    CgroupLimits cl = new CgroupLimits(limits.memoryBytes(), pids,
        limits.cpuQuotaMicros(), limits.cpuQuotaMicros() > 0 ? limits.cpuPeriodMicros() : 0);
    try {
      return new CgroupResources(controller.create("boxkit-" + UUID.randomUUID(), cl));
    } catch (CgroupException e) {
      throw new SandboxSetupException("cgroup", e.path() == null ? null : e.path().toString(), 0,
          null, "creating the sandbox's cgroup: " + e.getMessage());
    }
  }

  /**
   * Whether the sandbox can write files that outlive it in host trees: a writable bind or a
   * writable directory root. An image root's upper layer is not one: it is deleted, or stripped
   * of set-id bits before it is kept (see {@link OverlayRoot}).
   */
  static boolean writesHostTrees(SandboxSpec spec) {
    return spec.root() instanceof Rootfs.Directory d && d.writable()
        || spec.mounts().stream().anyMatch(m -> m instanceof Mount.Bind b && b.writable());
  }

  private byte[] seccomp(boolean noSetIdFiles) {
    synchronized (lock) {
      if (seccomp == null) {
        seccomp = SeccompFilter.defaultDenyList().compile(SeccompArch.host());
        seccompNoSetId = SeccompFilter.noSetIdFiles().compile(SeccompArch.host());
      }
      return noSetIdFiles ? seccompNoSetId : seccomp;
    }
  }

  private Cgroups.Detection cgroups() {
    synchronized (lock) {
      if (cgroups == null) {
        cgroups = Cgroups.detectWithReasons();
      }
      return cgroups;
    }
  }

  private HelperBinary helper() {
    synchronized (lock) {
      if (helper == null) {
        helper = HelperBinary.load();
      }
      return helper;
    }
  }
}
