package dev.boxkit.sandbox.vm;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Isolation;
import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.SandboxUnavailableException;
import dev.boxkit.sandbox.Stdio;
import dev.boxkit.sandbox.internal.egress.SandboxEgress;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxPool;
import dev.boxkit.sandbox.spi.PoolRuns;
import dev.boxkit.sandbox.spi.SandboxProvider;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Runs sandboxes in micro-VMs: {@link QemuHypervisor} on Linux, {@link VfkitHypervisor} on macOS,
 * booting the kernel named by {@value KernelImage#ENV} (or given) with an initramfs built per
 * sandbox. Registered with {@link java.util.ServiceLoader}: {@code Isolation.VM} (or {@code AUTO}
 * where namespaces are unavailable) selects it; it may also be constructed and called directly.
 *
 * <p>Spec mapping: the root must be a read-only {@link dev.boxkit.sandbox.Rootfs#directory} or an
 * image root (writable, its writes discarded), carried in the initramfs when small and as a
 * read-only EROFS disk from 64 MiB of files (system property {@code boxkit.vm.rootDisk}:
 * {@code auto}, {@code disk} or {@code initramfs});
 * {@code limits.memoryBytes} is the VM's memory (default 512 MiB); {@code limits.timeout} kills
 * the VM. The guest has no network device, only its loopback: published ports ({@link
 * SandboxProcess#mappedPort(int)}) and an egress allow-list's proxy (reached at {@code
 * 127.0.0.1:3128} inside, with {@code HTTP_PROXY} and the like set) are relayed over the control
 * channel, with the same semantics as the namespaces backend, and so are the connections between
 * members of a {@link dev.boxkit.sandbox.SandboxNetwork} (see {@link VmPod}). {@code HOST}
 * network, pid and cpu limits, and stdin other than discard/pipe/file are rejected with an
 * {@link dev.boxkit.sandbox.InvalidSandboxSpecException} naming the field.
 */
public final class VmSandboxProvider implements SandboxProvider {
  /** Fixed hypervisor and kernel, or null: chosen per run by {@value GuestArch#PROPERTY}. */
  private final Backend fixed;
  /** The backends of the default provider, per guest architecture, made on first use. */
  private final Map<GuestArch, Backend> byArch = new ConcurrentHashMap<>();
  /** Finds the default provider's hypervisor for a guest architecture (probing KVM: it starts QEMU). */
  private final Function<GuestArch, Hypervisor> findHypervisor;
  private final int cpus;
  private final InitramfsCache cache = InitramfsCache.fromEnvironment();
  private final RootDiskCache disks = RootDiskCache.fromEnvironment();

  /**
   * What a root on a disk needs of the guest kernel, whatever the hypervisor: the virtio-blk
   * driver, EROFS, and overlayfs for the writable layer over it.
   */
  static final Map<String, String> ROOT_DISK_FEATURES =
      Map.of("VIRTIO_BLK", "virtio_blk", "EROFS_FS", "erofs", "OVERLAY_FS", "overlay");

  /** What boots one guest architecture: the hypervisor, its kernel and that kernel's modules. */
  private static final class Backend {
    final Hypervisor hypervisor;
    final Optional<KernelImage> kernel;
    private final Map<List<Boolean>, List<Path>> modules = new ConcurrentHashMap<>();
    private KernelImage booted; // null until the first run asks

    Backend(Hypervisor hypervisor, Optional<KernelImage> kernel) {
      this.hypervisor = hypervisor;
      this.kernel = kernel;
    }

    /**
     * The kernel as the hypervisor boots it: a {@code bzImage}'s unpacked {@code vmlinux} where the
     * hypervisor boots one ({@link PvhKernel}), found or unpacked once per provider; else as given.
     */
    synchronized KernelImage bootable(KernelImage k) {
      if (booted == null) {
        booted = k.bootableBy(hypervisor);
      }
      return booted;
    }

    /** The kernel's modules for the VM's devices, indexed once per provider and device set. */
    List<Path> modules(KernelImage k, boolean shares, boolean rootDisk) {
      return modules.computeIfAbsent(List.of(shares, rootDisk), d -> {
        Map<String, String> features = new java.util.LinkedHashMap<>(hypervisor.kernelFeatures(shares));
        if (rootDisk) {
          features.putAll(ROOT_DISK_FEATURES);
        }
        return k.modulesFor(features);
      });
    }
  }

  /**
   * The host's hypervisor, one virtual CPU, and a guest of the architecture the system property
   * {@value GuestArch#PROPERTY} names ({@code x86_64} or {@code aarch64}, read on each run; by
   * default the host's), booting the kernel that architecture's variable names
   * ({@code BOXKIT_VM_KERNEL_ARM64}, {@code BOXKIT_VM_KERNEL_AMD64}, or {@value KernelImage#ENV}
   * for the host's architecture). A guest of another architecture runs under QEMU's TCG.
   *
   * <p>The hypervisor is looked for (and KVM probed, which starts QEMU) only when the provider is
   * first asked whether it can run or to run something, so that loading it, as {@link
   * java.util.ServiceLoader} does for every sandbox, costs nothing.
   */
  public VmSandboxProvider() {
    this(VmSandboxProvider::defaultHypervisor);
  }

  /** @param findHypervisor the default provider's hypervisor per guest architecture; called on first need */
  VmSandboxProvider(Function<GuestArch, Hypervisor> findHypervisor) {
    this.fixed = null;
    this.findHypervisor = findHypervisor;
    this.cpus = 1;
  }

  /**
   * @param hypervisor what boots the VMs (its {@link Hypervisor#guestArch()} picks the guest agent)
   * @param kernel the guest kernel, empty when none is configured (the provider is then unavailable)
   * @param cpus virtual CPUs per VM, 1..64
   * @throws IllegalArgumentException on a null argument or a bad cpu count
   */
  public VmSandboxProvider(Hypervisor hypervisor, Optional<KernelImage> kernel, int cpus) {
    if (hypervisor == null || kernel == null || cpus < 1 || cpus > 64) {
      throw new IllegalArgumentException("hypervisor and kernel must not be null; cpus must be 1..64");
    }
    this.fixed = new Backend(hypervisor, kernel);
    this.findHypervisor = arch -> hypervisor;
    this.cpus = cpus;
  }

  private Backend backend() {
    if (fixed != null) {
      return fixed;
    }
    return byArch.computeIfAbsent(GuestArch.configured(),
        arch -> new Backend(findHypervisor.apply(arch), KernelImage.fromEnvironment(arch)));
  }

  private static boolean isMac() {
    return System.getProperty("os.name", "").startsWith("Mac");
  }

  private static Hypervisor defaultHypervisor(GuestArch arch) {
    if (isMac()) {
      return VfkitHypervisor.onHost();
    }
    return QemuHypervisor.forGuest(arch);
  }

  /** @return {@code vm-} and the hypervisor's name, found without looking for the hypervisor */
  @Override
  public String name() {
    if (fixed != null) {
      return "vm-" + fixed.hypervisor.name();
    }
    try {
      GuestArch.configured();
    } catch (InvalidSandboxSpecException e) {
      return "vm"; // a bad boxkit.vm.guestArch: unavailableReason() says so
    }
    return isMac() ? "vm-vfkit" : "vm-qemu";
  }

  /** @return {@link Isolation#VM} */
  @Override
  public Isolation isolation() {
    return Isolation.VM;
  }

  @Override
  public Optional<String> unavailableReason() {
    Backend b;
    try {
      b = backend();
    } catch (InvalidSandboxSpecException e) {
      return Optional.of(e.getMessage());
    }
    Optional<String> hv = b.hypervisor.unavailableReason();
    if (hv.isPresent()) {
      return hv;
    }
    GuestArch arch = b.hypervisor.guestArch();
    if (b.kernel.isEmpty()) {
      return Optional.of("no " + arch.id() + " VM kernel configured: set " + arch.kernelEnv()
          + (arch == GuestArch.hostOrDefault() ? " or " + KernelImage.ENV : "") + " to a vmlinuz (e.g. from"
          + " Debian's linux-image-*-cloud-" + arch.debianArch() + ", extracted with dpkg-deb -x)");
    }
    Optional<GuestArch> imageArch = b.kernel.get().imageArch();
    if (imageArch.isPresent() && imageArch.get() != arch) {
      return Optional.of("VM kernel " + b.kernel.get().kernel() + " is an " + imageArch.get().id() + " kernel but the"
          + " guest is " + arch.id() + ": set " + arch.kernelEnv() + " to an " + arch.id() + " kernel");
    }
    if (!GuestAgent.bundled(arch)) {
      return Optional.of("this build of sdk-sandbox-macos carries no VM guest agent for linux-"
          + arch.id() + ": it was built without a C compiler for that architecture"
          + " (-Dboxkit.native=none-ok, or no cross compiler); released jars carry both linux-x86_64 and"
          + " linux-aarch64");
    }
    return Optional.empty();
  }

  /**
   * Writes the read-only EROFS disk that runs with {@code root} would boot from, or finds it in
   * the disk cache, ahead of the first run (which would otherwise write it): for a large image,
   * the VM's counterpart of a pull. Under the system property {@code boxkit.vm.rootDisk} a root
   * may travel in the initramfs instead (by default, roots with less than 64 MiB of files), and
   * with {@code BOXKIT_VM_CACHE=off} each run writes its own disk; then there is nothing to write
   * ahead.
   *
   * @param root a {@link Rootfs#directory} (read-only) or an image root, unpacked first if needed
   * @return the cached disk, or empty when runs with this root will not boot from a cached disk
   * @throws InvalidSandboxSpecException for a root the VM backend cannot carry, or a bad
   *     {@code boxkit.vm.rootDisk}
   * @throws dev.boxkit.sandbox.SandboxSetupException when an image root cannot be unpacked
   * @throws dev.boxkit.sandbox.SandboxException when the tree cannot be read or the disk written
   */
  public Optional<Path> prepareRootDisk(Rootfs root) {
    if (root == null) {
      throw new InvalidSandboxSpecException("root", "is null");
    }
    if (disks.directory().isEmpty()) {
      return Optional.empty();
    }
    GuestRoot tree = GuestRoot.of(root);
    try {
      Path scratch = Files.createTempDirectory("boxkit-vm-disk-");
      try {
        // A disk written into the scratch directory (the cache could not be written) is not kept.
        return disks.disk(tree, scratch).filter(d -> !d.startsWith(scratch));
      } finally {
        dev.boxkit.oci.io.FileTrees.deleteRecursively(scratch);
      }
    } catch (IOException e) {
      throw new SandboxException("preparing the VM root disk of " + tree.dir() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public ExecResult run(SandboxSpec spec) {
    long start = System.nanoTime();
    if (spec == null) {
      throw new InvalidSandboxSpecException("spec", "is null");
    }
    spec = withNetworkEnv(spec.withUserResolved());
    GuestPlan.compile(spec); // bad input is refused before anything starts
    return runIn(newSession(spec), spec, spec.limits().timeout(), start);
  }

  /**
   * Runs {@code spec} in {@code session} (booted ahead or not), which is closed when it returns
   * or, with {@link VmSession#closeOn}, handed over to be closed.
   *
   * @param spec the run's spec, user and network variables resolved
   * @param timeout wall-clock limit from now, zero = none
   * @param start when the run was requested (System.nanoTime), for the result's duration
   */
  ExecResult runIn(VmSession session, SandboxSpec spec, Duration timeout, long start) {
    VmNetwork network = session.network();
    Capture out = new Capture(spec.captureLimitBytes());
    Capture err = new Capture(spec.captureLimitBytes());
    boolean handedOver = false;
    try (network;
        OutputStream stdout = sink(spec.stdout(), out, FileDescriptor.out);
        OutputStream stderr = sink(spec.stderr(), err, FileDescriptor.err)) {
      GuestPlan plan = network.withNetworkRecords(GuestPlan.compile(spec));
      if (spec.stdin() instanceof Stdio.File f) {
        session.feedStdin(Files.newInputStream(f.path()));
      } else if (spec.stdin() instanceof Stdio.Pipe) {
        session.feedStdin(null); // run() has no writer: the program reads end of file at once
      }
      handedOver = true; // run() closes the session, or has it closed
      VmSession.Outcome o = session.run(plan, stdout, stderr, timeout);
      return new ExecResult(o.exitCode(), o.signal() == 0 ? OptionalInt.empty() : OptionalInt.of(o.signal()),
          out.bytes(), err.bytes(), Duration.ofNanos(System.nanoTime() - start), OptionalLong.empty(), false,
          o.timedOut(), network.denied());
    } catch (IOException e) {
      throw new SandboxException("writing the VM's output: " + e.getMessage(), e);
    } finally {
      if (!handedOver) {
        session.close();
      }
    }
  }

  /** A session (not booted) with its own network, for a spec whose user and network variables are resolved. */
  private VmSession newSession(SandboxSpec spec) {
    Backend b = backend();
    KernelImage k = b.kernel.orElseThrow(() -> new SandboxUnavailableException(unavailableReason().orElse("no kernel")));
    VmNetwork network = VmNetwork.open(spec);
    return new VmSession(b.hypervisor, b.bootable(k), (shares, rootDisk) -> b.modules(k, shares, rootDisk), cache, disks, cpus,
        network);
  }

  /** An allow-list's proxy variables, as the namespaces backend sets them. */
  private static SandboxSpec withNetworkEnv(SandboxSpec spec) {
    return spec.egress().isDenyAll() ? spec : SandboxEgress.withProxyEnv(spec);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The VM boots on a new thread; {@link SandboxProcess#pid()} is the hypervisor's. Writes to a
   * piped {@link SandboxProcess#stdin()} wait until the guest is connected.
   */
  @Override
  public SandboxProcess start(SandboxSpec spec) {
    if (spec == null) {
      throw new InvalidSandboxSpecException("spec", "is null");
    }
    spec = withNetworkEnv(spec.withUserResolved());
    GuestPlan.compile(spec);
    return startIn(newSession(spec), spec, spec.limits().timeout());
  }

  /**
   * Starts {@code spec} in {@code session} (booted ahead or not) on a new thread; the session is
   * closed when the program ends or the process is closed.
   *
   * @param spec the run's spec, user and network variables resolved
   * @param timeout wall-clock limit from now, zero = none
   */
  SandboxProcess startIn(VmSession session, SandboxSpec spec, Duration timeout) {
    try {
      GuestPlan plan = session.network().withNetworkRecords(GuestPlan.compile(spec));
      if (spec.stdin() instanceof Stdio.File f) {
        session.feedStdin(Files.newInputStream(f.path()));
      }
      return VmSandboxProcess.start(session, plan, spec.stdin() instanceof Stdio.Pipe,
          spec.stdout() instanceof Stdio.Pipe, sink(spec.stdout(), null, FileDescriptor.out),
          spec.stderr() instanceof Stdio.Pipe, sink(spec.stderr(), null, FileDescriptor.err), timeout);
    } catch (IOException | RuntimeException e) {
      session.close();
      if (e instanceof RuntimeException re) {
        throw re;
      }
      throw new SandboxException("opening the VM's output files: " + e.getMessage(), e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Each sandbox of the pool is a VM booted ahead with {@code spec}'s root, mounts and memory
   * up to its guest agent waiting on the control channel; a run sends it the whole plan (argv,
   * env, stdin, timeout) and the VM is killed when the run ends (see {@link VmSandboxPool}).
   *
   * @throws InvalidSandboxSpecException naming {@code size} below 1, {@code ports} when the spec
   *     publishes ports (each pooled VM would need its own), {@code stdin} when it is neither a
   *     pipe nor discarded, or any field {@link #run} refuses
   * @throws SandboxUnavailableException when no kernel or hypervisor is available
   */
  @Override
  public SandboxPool pool(SandboxSpec spec, int size) {
    if (spec == null) {
      throw new InvalidSandboxSpecException("spec", "is null");
    }
    PoolRuns.checkSize(size);
    PoolRuns.check(spec, spec);
    if (!spec.ports().isEmpty()) {
      throw new InvalidSandboxSpecException("ports", "a pooled sandbox cannot publish ports"
          + " (got " + spec.ports() + "): start such sandboxes with Sandbox.start");
    }
    SandboxSpec resolved = withNetworkEnv(spec.withUserResolved());
    GuestPlan plan = GuestPlan.compile(resolved);
    Optional<String> why = unavailableReason();
    if (why.isPresent()) {
      throw new SandboxUnavailableException(name() + ": " + why.get());
    }
    return new VmSandboxPool(spec, size, new VmSandboxPool.Members() {
      @Override
      public VmSession create() {
        return newSession(resolved);
      }

      @Override
      public void boot(VmSession session) {
        GuestPlan booted = session.network().withNetworkRecords(plan);
        session.boot(booted);
        session.prepare(booted); // root and mounts set up now, not in the run
      }

      @Override
      public ExecResult run(VmSession session, SandboxSpec run, Duration timeout, long start) {
        return runIn(session, withNetworkEnv(run.withUserResolved()), timeout, start);
      }

      @Override
      public SandboxProcess start(VmSession session, SandboxSpec run, Duration timeout) {
        return startIn(session, withNetworkEnv(run.withUserResolved()), timeout);
      }
    });
  }

  private static OutputStream sink(Stdio stdio, OutputStream capture, FileDescriptor jvmFd) throws IOException {
    if (stdio instanceof Stdio.Pipe) {
      return capture == null ? OutputStream.nullOutputStream() : capture;
    }
    if (stdio instanceof Stdio.File f) {
      return Files.newOutputStream(f.path());
    }
    if (stdio instanceof Stdio.Inherit) {
      // Not closed: the JVM's own stream outlives the sandbox.
      return new FileOutputStream(jvmFd) {
        @Override
        public void close() throws IOException {
          flush();
        }
      };
    }
    return OutputStream.nullOutputStream();
  }

  /** Keeps the first {@code limit} bytes, reads and drops the rest. */
  private static final class Capture extends OutputStream {
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final long limit;

    Capture(long limit) {
      this.limit = limit;
    }

    @Override
    public void write(int b) {
      if (kept.size() < limit) {
        kept.write(b);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) {
      int n = (int) Math.min(len, limit - kept.size());
      if (n > 0) {
        kept.write(b, off, n);
      }
    }

    byte[] bytes() {
      return kept.toByteArray();
    }
  }
}
