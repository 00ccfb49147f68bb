package dev.boxkit.cli;

import dev.boxkit.image.Image;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.unpack.RootfsCache;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Isolation;
import dev.boxkit.sandbox.NetworkMode;
import dev.boxkit.sandbox.PortMapping;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code boxkit run}: a program in a sandbox whose root is an image (writable, writes discarded),
 * a directory or the host's {@code /} (both read-only). Stdio passes through; the exit status is the program's.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Run a program in a sandbox; exit with its status (128+N when signal N killed it).")
final class RunCommand implements Callable<Integer> {
  /** Size of each --tmpfs. */
  static final long TMP_SIZE_BYTES = 64L << 20;
  /** How long a program asked to stop (SIGTERM) may take before it is killed: 10 s, as docker stop. */
  static final Duration STOP_GRACE = Duration.ofSeconds(10);
  private static final int SIGTERM = 15;
  private static final int SIGKILL = 9;

  @Spec CommandSpec spec;

  /** Exactly one root. */
  static final class RootChoice {
    @Option(names = "--image", paramLabel = "IMAGE",
        description = "Root from an image, oci:DIR:TAG, docker-archive:FILE or docker://REF: unpacked once into the cache,"
            + " writable with writes discarded (as docker run); its Entrypoint, Cmd, Env, WorkingDir and User apply.")
    SourceRef image;

    @Option(names = "--rootfs", paramLabel = "DIR", description = "Root from a host directory, read-only.")
    Path rootfs;

    @Option(names = "--host-root", description = "Root is the host's /, read-only (the default).")
    boolean hostRoot;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  RootChoice root = new RootChoice();

  @Option(names = "--platform", paramLabel = "OS/ARCH", description = "Platform to pick from an image index.")
  String platform;

  @Option(names = "--bind", paramLabel = "SRC:DST[:ro|rw]", description = "Bind a host path; read-only unless :rw.")
  List<BindArg> binds = new ArrayList<>();

  @Option(names = "--device", paramLabel = "NAME|PATH[:DST]",
      description = "Give the sandbox a device: a CDI name (vendor.com/class=name, e.g."
          + " nvidia.com/gpu=all, from /etc/cdi or /var/run/cdi; NVIDIA GPUs are discovered without"
          + " a spec) or a host device node (e.g. /dev/fuse), at DST or its own path. Repeatable.")
  List<DeviceArg> devices = new ArrayList<>();

  @Option(names = "--tmpfs", paramLabel = "DST", description = "Mount an empty tmpfs (64 MiB) at DST.")
  List<String> tmpfs = new ArrayList<>();

  @Option(names = "--network", paramLabel = "none|host|allow:DEST,...", defaultValue = "none",
      description = "none (default: only lo), host, or allow:DEST[,DEST...]: only those destinations"
          + " (host[:port], *.domain, CIDR), through BoxKit's proxy (HTTP_PROXY is set); refusals"
          + " are printed on stderr.")
  NetworkArg networkArg;

  @Option(names = "--publish", paramLabel = "[HOST:]PORT",
      description = "Reach the sandbox's TCP PORT at the host's 127.0.0.1:HOST (a free port, printed on"
          + " stderr, without HOST). Needs --network none.")
  List<PublishArg> publish = new ArrayList<>();

  @Option(names = "--isolation", paramLabel = "auto|namespaces|vm", defaultValue = "auto",
      description = "auto (default: namespaces on Linux), namespaces, or vm (a QEMU micro-VM; needs "
          + "BOXKIT_VM_KERNEL).")
  Isolation isolation;

  @Option(names = "--memory", paramLabel = "SIZE", description = "Memory limit, e.g. 256m (needs a usable cgroup).")
  ByteSize memory;

  @Option(names = "--pids", paramLabel = "N", description = "Most processes at once (needs a usable cgroup).")
  Long pids;

  @Option(names = "--timeout", paramLabel = "DURATION", description = "Kill the sandbox after this long, e.g. 10s.")
  DurationArg timeout;

  @Option(names = "--env", paramLabel = "K=V", description = "Set an environment variable (over the image's).")
  List<KeyValue> env = new ArrayList<>();

  @Option(names = "--workdir", paramLabel = "DIR", description = "Working directory (over the image's).")
  String workdir;

  @Option(names = "--user", paramLabel = "USER[:GROUP]",
      description = "User (over the image's); names are looked up in the root's /etc/passwd and /etc/group.")
  UserArg user;

  @Mixin CacheOptions cache;

  @Mixin RegistryOptions registry;

  @Parameters(paramLabel = "CMD", description = "The program and its arguments (after --); replaces the image's Cmd.")
  List<String> command = new ArrayList<>();

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    List<Mount> mounts = new ArrayList<>();
    tmpfs.forEach(t -> mounts.add(Mount.tmpfs(t, TMP_SIZE_BYTES)));
    binds.forEach(bind -> mounts.add(bind.toMount()));
    NetworkMode network = networkArg.mode();
    SandboxSpec.Builder b = Sandbox.builder()
        .stdin(Stdio.inherit()).stdout(Stdio.inherit()).stderr(Stdio.inherit())
        .network(network).limits(limits()).isolation(isolation)
        .egress(networkArg.egress())
        .onEgressDenied(e -> {
          err.println("boxkit: egress refused: " + e.host() + ":" + e.port() + " (" + e.reason() + ")");
          err.flush();
        });
    if (root.image != null) {
      // The library's image path: the image's Entrypoint, Cmd, Env (PATH by default), WorkingDir
      // (created when missing) and User, a writable root whose writes are discarded.
      try (OpenedSource source = OpenedSource.open(root.image, registry.clientFor(root.image), cache.store())) {
        Image image = source.load(platform == null ? null : Platform.parse(platform));
        Rootfs.FromImage fromImage = Rootfs.image(image).withCache(RootfsCache.open(cache.rootfs()));
        // Into the rootfs cache while the source is open (a docker archive's blobs live only as
        // long as it); the launch then finds the tree there.
        fromImage.unpack();
        b.image(image).root(fromImage);
      }
    } else if (command.isEmpty()) {
      throw new InvalidInputException("command", null, "nothing to run: give a command after --");
    }
    if (!command.isEmpty()) {
      b.command(command.toArray(String[]::new));
    }
    env.forEach(kv -> b.env(kv.key(), kv.value()));
    if (root.image == null && env.stream().noneMatch(kv -> kv.key().equals("PATH"))) {
      b.env("PATH", SandboxSpec.DEFAULT_PATH);
    }
    if (workdir != null) {
      b.workingDir(workdir);
    }
    if (user != null) {
      b.user(user.toString()); // names are looked up in the root's /etc/passwd at launch
    }
    if (!publish.isEmpty() && network != NetworkMode.NONE) {
      throw new ParameterException(spec.commandLine(), "--publish needs --network none: with "
          + network.name().toLowerCase() + " the program's ports are the host's own");
    }
    publish.forEach(p -> b.publish(p.hostPort(), p.sandboxPort()));
    // After the binds, and after /proc and /dev below: a node lands on the sandbox's /dev.
    devices.forEach(d -> d.addTo(b, mounts));

    if (isolation == Isolation.VM) {
      if (root.image == null && root.rootfs == null) {
        throw new InvalidInputException("--isolation", "vm", "a VM needs --image or --rootfs, not the host root");
      }
      if (root.rootfs != null) {
        b.root(Rootfs.directory(directoryRoot(root.rootfs)));
      }
      // The guest makes its own /proc and /dev; the JVM's stdin cannot be handed to a VM.
      return exitOf(err, runForwardingTermination(build(b.mounts(mounts).stdin(Stdio.discard())), err));
    }
    List<Mount> all = new ArrayList<>(List.of(Mount.proc(), Mount.devMinimal()));
    if (root.image != null) {
      // The image's writable layer takes the mount points the image lacks.
      all.addAll(mounts);
      return exitOf(err, runForwardingTermination(build(b.mounts(all)), err));
    }
    try (MountPoints points = root.rootfs == null
        ? MountPoints.none(Rootfs.hostReadOnly())
        : MountPoints.forTree(directoryRoot(root.rootfs), mounts)) {
      all.addAll(0, points.treeMounts());
      all.addAll(mounts);
      return exitOf(err, runForwardingTermination(build(b.root(points.root()).mounts(all)), err));
    }
  }

  private static Path directoryRoot(Path dir) {
    Path tree = dir.toAbsolutePath().normalize();
    if (!Files.isDirectory(tree)) {
      throw new InvalidInputException("rootfs", dir.toString(), "is not a directory");
    }
    return tree;
  }

  /** Builds the spec; ports it refuses (one published twice) are a bad command line. */
  private SandboxSpec build(SandboxSpec.Builder b) {
    try {
      return b.build();
    } catch (InvalidSandboxSpecException e) {
      if (e.field().equals("ports")) {
        throw new ParameterException(spec.commandLine(), "--publish: " + e.getMessage(), e);
      }
      throw e;
    }
  }

  private int exitOf(PrintWriter err, ExecResult r) {
    if (r.timedOut()) {
      err.println("boxkit: timed out after " + timeout.duration().toString().substring(2).toLowerCase());
    }
    // oomKilled only says the cgroup saw an oom_kill: the victim may have been a child the
    // program survived. Blame the limit for the program's end only when it died of SIGKILL.
    String limit = memory == null ? "the memory limit" : "its memory limit of " + memory.bytes() + " bytes";
    if (r.oomKilled() && !r.timedOut() && r.signal().orElse(0) == SIGKILL) {
      err.println("boxkit: killed for using more than " + limit);
    } else if (r.oomKilled() && r.exitCode() != 0) {
      err.println("boxkit: exited with status " + r.exitCode() + " after the OOM killer killed one of"
          + " its processes for using more than " + limit);
    }
    err.flush();
    return r.exitCode();
  }

  /**
   * Runs {@code spec}; if this JVM is asked to stop (SIGTERM, SIGINT, SIGHUP) meanwhile, the
   * program gets SIGTERM and {@link #STOP_GRACE} to end before the sandbox is killed, as
   * {@code docker stop} does. Without this the sandbox would only be SIGKILLed when the JVM died.
   * Each port published on a free host port is printed on {@code err} once its host side listens.
   */
  private static ExecResult runForwardingTermination(SandboxSpec spec, PrintWriter err) {
    SandboxProcess p = Sandbox.start(spec);
    Thread hook = new Thread(() -> {
      p.signal(SIGTERM);
      if (p.waitFor(STOP_GRACE).isEmpty()) {
        p.kill();
      }
      p.close();
    }, "boxkit-stop-sandbox");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      printMappedPorts(spec, p, err);
      return p.waitFor();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // The hook is running or has run; it closes the sandbox.
      }
      p.close();
    }
  }

  private static void printMappedPorts(SandboxSpec spec, SandboxProcess p, PrintWriter err) {
    for (PortMapping m : spec.ports()) {
      if (m.hostPort() == 0) {
        int host;
        try {
          host = p.mappedPort(m.sandboxPort());
        } catch (SandboxException e) {
          // The sandbox ended before listening: waitFor reports why (a setup step, a status).
          return;
        }
        err.println("boxkit: sandbox port " + m.sandboxPort() + " is at 127.0.0.1:" + host);
      }
    }
    err.flush();
  }

  private ResourceLimits limits() {
    ResourceLimits.Builder l = ResourceLimits.builder();
    if (memory != null) {
      l.memoryBytes(memory.bytes());
    }
    if (pids != null) {
      l.pidsMax(pids);
    }
    if (timeout != null) {
      l.timeout(timeout.duration());
    }
    return l.build();
  }
}
