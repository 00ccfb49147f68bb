package dev.boxkit.sandbox.vm;

import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.SandboxSetupException;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Boots one VM (ahead of its plan with {@link #boot}, or on {@link #run}) for one {@link GuestPlan}, streams the program's output to the given sinks and
 * returns how it ended. Everything it creates (a private work directory holding the initramfs
 * and sockets, the hypervisor and helper processes) is gone when {@link #run} returns.
 */
final class VmSession {
  private static final Logger LOG = LoggerFactory.getLogger(VmSession.class);

  /** How long the hypervisor gets to connect the control channel: TCG boots are slow. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(60);

  private static final Map<Integer, String> ERRNO = Map.ofEntries(Map.entry(1, "EPERM"),
      Map.entry(2, "ENOENT"), Map.entry(8, "ENOEXEC"), Map.entry(13, "EACCES"), Map.entry(17, "EEXIST"),
      Map.entry(19, "ENODEV"), Map.entry(20, "ENOTDIR"), Map.entry(22, "EINVAL"), Map.entry(30, "EROFS"),
      Map.entry(36, "ENAMETOOLONG"), Map.entry(71, "EPROTO"));

  /** How the program ended, as the guest reported it. */
  record Outcome(int exitCode, int signal, boolean timedOut) {}

  private final Hypervisor hypervisor;
  private final KernelImage kernel;
  private final BiFunction<Boolean, Boolean, List<Path>> modules;
  private final InitramfsCache cache;
  private final RootDiskCache disks;
  private final int cpus;
  private final VmNetwork network;
  private final CompletableFuture<Process> started = new CompletableFuture<>();
  private final AtomicBoolean killed = new AtomicBoolean();
  private final Object writeLock = new Object();
  private volatile OutputStream toGuest;
  private final CompletableFuture<OutputStream> connected = new CompletableFuture<>();
  /** When the exit status arrived (System.nanoTime), for the phase log. */
  private volatile long exitSeen;
  /** Set by {@link #boot}: the work directory, the processes started (helpers, then the hypervisor). */
  private volatile Path work;
  private final List<Process> processes = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile Process hv;
  /** The control channel once the hypervisor connected it; null before. */
  private volatile SocketChannel ctl;
  private volatile long tConnected;
  private volatile String bootPhases;
  /** Host phases up to the exit status, for the DEBUG log. */
  private volatile String phases;
  private final Object closeLock = new Object();
  private boolean closedSession;
  /** Where {@link #run} hands its teardown; null: it closes the session itself. */
  private volatile Executor teardown;

  /**
   * @param modules the kernel modules the VM's devices need, in load order, given whether it has
   *     shares and whether its root comes on a disk
   * @param cache where built initramfs archives are kept
   * @param disks where root disks are kept, and which roots get one
   * @param network the sandbox's published ports and egress proxy; closed when the run ends
   */
  VmSession(Hypervisor hypervisor, KernelImage kernel, BiFunction<Boolean, Boolean, List<Path>> modules,
      InitramfsCache cache, RootDiskCache disks, int cpus, VmNetwork network) {
    this.hypervisor = hypervisor;
    this.kernel = kernel;
    this.modules = modules;
    this.cache = cache;
    this.disks = disks;
    this.cpus = cpus;
    this.network = network;
  }

  /** @return the sandbox's network (published ports, egress refusals) */
  VmNetwork network() {
    return network;
  }

  /**
   * Boots the VM (if {@link #boot} has not), sends {@code plan} to the guest agent and relays
   * until the program ends; everything the session holds is released before it returns.
   *
   * @param plan what to run; when booted ahead, its root, shares and memory must be the ones the
   *     VM was booted with
   * @param stdout receives the program's stdout
   * @param stderr receives the program's stderr
   * @param timeout wall-clock limit from this call, zero = none
   * @return how the program ended
   * @throws SandboxSetupException when the VM cannot boot or the guest reports a failed step
   */
  Outcome run(GuestPlan plan, OutputStream stdout, OutputStream stderr, Duration timeout) {
    try {
      if (ctl == null) {
        boot(plan);
      }
      long tRequest = System.nanoTime();
      Outcome o = converse(ctl, plan, hv, stdout, stderr, timeout, work);
      phases = (bootPhases == null ? "" : bootPhases + ", ") + "agent waiting to plan sent "
          + ms(tRequest - tConnected) + ", then to the exit status (plan, agent, program) "
          + ms(exitSeen - tRequest);
      return o;
    } catch (RuntimeException e) {
      connected.completeExceptionally(e);
      throw e;
    } catch (IOException e) {
      connected.completeExceptionally(e);
      throw setupFailure(e);
    } finally {
      Executor t = teardown;
      if (t == null) {
        close();
      } else {
        try {
          t.execute(this::close);
        } catch (RejectedExecutionException e) {
          close();
        }
      }
    }
  }

  /**
   * Has {@link #run} hand its {@link #close()} to {@code executor} instead of running it before it
   * returns (killing QEMU takes 15-20 ms under TCG that the caller need not wait for); when the
   * executor refuses it, {@link #run} closes the session itself.
   */
  void closeOn(Executor executor) {
    this.teardown = executor;
  }

  /**
   * Boots the VM for {@code plan}'s root, shares and memory up to its guest agent waiting for a
   * spec on the control channel; {@link #run} then sends it. On failure the caller must still
   * {@link #close()} the session.
   *
   * @throws SandboxSetupException when the VM cannot boot
   * @throws IllegalStateException when called twice
   */
  void boot(GuestPlan plan) {
    if (work != null) {
      throw new IllegalStateException("the VM session was already booted");
    }
    try {
      work = Files.createTempDirectory("boxkit-vm-");
      List<VmConfig.Share> shares = new ArrayList<>();
      for (int i = 0; i < plan.shares().size(); i++) {
        shares.add(new VmConfig.Share("b" + i, plan.shares().get(i), work.resolve("fs" + i + ".sock")));
      }
      long t0 = System.nanoTime();
      // Helpers (virtiofsd) start while the initramfs is built; QEMU waits for their sockets.
      startHelpers(shares, processes, work);
      RootDiskCache.Placement placed = disks.place(plan.root(), work);
      Optional<Path> disk = placed.disk();
      Path initrd = cache.initramfs(GuestAgent.load(hypervisor.guestArch()),
          modules.apply(!shares.isEmpty(), disk.isPresent()), disk.isPresent() ? null : plan.root(), placed.treeKey(), work);
      long tInitrd = System.nanoTime();
      String cmdline = "quiet panic=-1 " + hypervisor.guestArch().bootParameters()
          + (LOG.isDebugEnabled() ? " boxkit.timing=1" : "")
          + (disk.isPresent() ? " boxkit.root=erofs:vda" : "");
      VmConfig vm = new VmConfig(kernel.kernel(), initrd, cmdline, cpus, plan.memoryBytes(),
          work.resolve("ctl.sock"), work.resolve("console.log"), shares, false, disk);
      try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
        server.bind(UnixDomainSocketAddress.of(vm.controlSocket()));
        awaitHelpers(vm, work, processes);
        long tHelpers = System.nanoTime();
        hv = new ProcessBuilder(hypervisor.command(vm))
            .redirectErrorStream(true).redirectOutput(work.resolve("hypervisor.log").toFile()).start();
        processes.add(hv);
        started.complete(hv);
        if (killed.get()) {
          hv.destroyForcibly();
        }
        long tStarted = System.nanoTime();
        LOG.debug("started {} pid {} for {}", hypervisor.name(), hv.pid(), plan.root().dir());
        ctl = accept(server, hv, work);
        tConnected = System.nanoTime();
        bootPhases = (disk.isPresent() ? "root disk and initramfs " : "initramfs ") + ms(tInitrd - t0) + ", helpers " + ms(tHelpers - tInitrd) + ", hypervisor spawn "
            + ms(tStarted - tHelpers) + ", spawn to control socket connected by the hypervisor "
            + ms(tConnected - tStarted);
      }
    } catch (RuntimeException e) {
      started.completeExceptionally(e);
      throw e;
    } catch (IOException e) {
      started.completeExceptionally(e);
      throw setupFailure(e);
    }
  }

  /**
   * Sends {@code plan} to the booted guest's agent ahead of the run, which sets up its root and
   * mounts at once; the plan {@link #run} later sends must differ only in argv, env and stdin. A
   * set-up failure is reported by that run.
   *
   * @throws SandboxSetupException when the control channel is closed
   * @throws IllegalStateException when not booted
   */
  void prepare(GuestPlan plan) {
    if (ctl == null) {
      throw new IllegalStateException("the VM session is not booted");
    }
    try {
      send(channelOut(ctl), ControlProtocol.PREPARE, plan.specFrame());
    } catch (IOException e) {
      throw setupFailure(e);
    }
  }

  private SandboxSetupException setupFailure(IOException e) {
    String logs = work == null ? "" : "; " + hypervisor.name() + ": " + tail(work.resolve("hypervisor.log"))
        + "; console: " + tail(work.resolve("console.log"));
    return new SandboxSetupException("vm", null, 0, null, "running the VM: " + e + logs);
  }

  /**
   * Kills the VM and its helpers, closes the network and the control channel and deletes the
   * work directory. Idempotent; {@link #run} calls it as it ends.
   */
  void close() {
    synchronized (closeLock) {
      if (closedSession) {
        return;
      }
      closedSession = true;
    }
    started.completeExceptionally(new IOException("the VM session is closed"));
    connected.completeExceptionally(new IOException("the VM has ended"));
    network.close();
    for (int i = processes.size() - 1; i >= 0; i--) {
      processes.get(i).destroyForcibly();
      try {
        processes.get(i).waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (ctl != null) {
      try {
        ctl.close();
      } catch (IOException e) {
        LOG.debug("closing the control channel: {}", e.toString());
      }
    }
    if (phases != null && LOG.isDebugEnabled()) {
      LOG.debug("VM phases (host clock, ms): {}, exit status to VM gone {}; guest clock (since the kernel"
          + " started): {}", phases, ms(System.nanoTime() - exitSeen), guestMarks(work.resolve("console.log")));
    }
    if (work != null) {
      deleteTree(work);
    }
  }

  /** Starts the hypervisor's helpers (which depend only on the shares), without waiting for them. */
  private void startHelpers(List<VmConfig.Share> shares, List<Process> processes, Path work) throws IOException {
    if (shares.isEmpty()) {
      return;
    }
    List<List<String>> helpers = hypervisor.helperCommands(shares);
    for (int i = 0; i < helpers.size(); i++) {
      processes.add(new ProcessBuilder(helpers.get(i)).redirectErrorStream(true)
          .redirectOutput(work.resolve("helper" + i + ".log").toFile()).start());
    }
  }

  /** Waits until each helper's socket exists (helpers are the first processes started). */
  private void awaitHelpers(VmConfig vm, Path work, List<Process> processes) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    for (int i = 0; i < vm.shares().size() && i < processes.size(); i++) {
      Path socket = vm.shares().get(i).socket();
      while (!Files.exists(socket)) {
        if (!processes.get(i).isAlive() || System.nanoTime() > deadline) {
          throw new SandboxSetupException("share", vm.shares().get(i).hostDir().toString(), 0, null,
              "virtiofsd did not start: " + tail(work.resolve("helper" + i + ".log")));
        }
        sleep(5);
      }
    }
  }

  private SocketChannel accept(ServerSocketChannel server, Process hv, Path work) throws IOException {
    server.configureBlocking(false);
    long deadline = System.nanoTime() + CONNECT_TIMEOUT.toNanos();
    while (true) {
      SocketChannel ch = server.accept();
      if (ch != null) {
        ch.configureBlocking(true);
        return ch;
      }
      if (!hv.isAlive() || System.nanoTime() > deadline) {
        throw new SandboxSetupException("boot", null, 0, null, hypervisor.name() + " did not connect the"
            + " control channel: " + tail(work.resolve("hypervisor.log")));
      }
      sleep(2);
    }
  }

  private Outcome converse(SocketChannel ctl, GuestPlan plan, Process hv, OutputStream stdout,
      OutputStream stderr, Duration timeout, Path work) throws IOException {
    OutputStream out = channelOut(ctl);
    InputStream in = new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return len == 0 ? 0 : ctl.read(ByteBuffer.wrap(b, off, len));
      }
    };
    DataInputStream fromGuest = new DataInputStream(new BufferedInputStream(in, 1 << 16));
    send(out, ControlProtocol.SPEC, plan.specFrame());
    toGuest = out;
    connected.complete(out);
    network.attach((type, payload) -> send(out, type, payload));
    AtomicBoolean timedOut = new AtomicBoolean();
    if (!timeout.isZero()) {
      CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
        if (hv.isAlive()) {
          timedOut.set(true);
          hv.destroyForcibly();
        }
      });
    }
    while (true) {
      ControlProtocol.Frame f;
      try {
        f = ControlProtocol.read(fromGuest);
      } catch (EOFException | AsynchronousCloseException e) {
        if (timedOut.get() || killed.get()) {
          return new Outcome(128 + 9, 9, timedOut.get());
        }
        throw new SandboxSetupException("vm", null, 0, null, "the VM ended without reporting an exit status;"
            + " console: " + tail(work.resolve("console.log")));
      } catch (IOException e) {
        if (timedOut.get() || killed.get()) {
          return new Outcome(128 + 9, 9, timedOut.get());
        }
        throw e;
      }
      switch (f.type()) {
        case ControlProtocol.STDOUT -> stdout.write(f.payload());
        case ControlProtocol.STDERR -> stderr.write(f.payload());
        case ControlProtocol.EXIT -> {
          exitSeen = System.nanoTime();
          ByteBuffer b = ByteBuffer.wrap(f.payload());
          Outcome o = new Outcome(b.getInt(), b.getInt(), false);
          send(out, ControlProtocol.QUIT, new byte[0]);
          // Not waited for: the agent synced before reporting and every frame before the exit
          // status has been read, so the guest holds nothing the host needs; its power-off (20-60
          // ms under TCG) would only delay the caller. The VM is killed as run() ends.
          return o;
        }
        case ControlProtocol.FAILURE -> throw failure(f.payload(), work);
        default -> {
          if (!network.handle(f)) {
            throw new SandboxSetupException("vm", null, 0, null,
                "unexpected control frame '" + (char) f.type() + "' from the guest");
          }
        }
      }
    }
  }

  /**
   * Not Channels.newOutputStream: that shares the channel's blocking lock with its input stream,
   * so a signal could not be written while the reader waits for output.
   */
  private static OutputStream channelOut(SocketChannel ctl) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b, off, len);
        while (buf.hasRemaining()) {
          ctl.write(buf);
        }
      }
    };
  }

  private void send(OutputStream out, byte type, byte[] payload) throws IOException {
    synchronized (writeLock) {
      ControlProtocol.write(out, type, payload);
    }
  }

  /** @return completes with the hypervisor process once started (exceptionally when set-up failed first) */
  CompletableFuture<Process> started() {
    return started;
  }

  /**
   * Asks the guest agent to send a signal to the program's process group; ignored before the
   * program runs or after it ended.
   */
  void signal(int signal) {
    OutputStream out = toGuest;
    if (out == null) {
      return;
    }
    try {
      send(out, ControlProtocol.SIGNAL, ByteBuffer.allocate(4).putInt(signal).array());
    } catch (IOException e) {
      LOG.debug("signal {} not delivered: {}", signal, e.toString());
    }
  }

  /**
   * Sends bytes to the program's stdin (a pipe in the guest), waiting until the guest is connected.
   *
   * @throws IOException when the VM has ended or could not start
   */
  void writeStdin(byte[] b, int off, int len) throws IOException {
    OutputStream out = awaitConnected();
    for (int done = 0; done < len; ) {
      int n = Math.min(len - done, 1 << 16);
      byte[] chunk = Arrays.copyOfRange(b, off + done, off + done + n);
      send(out, ControlProtocol.STDIN, chunk);
      done += n;
    }
  }

  /**
   * Feeds the program's stdin on a daemon thread once the guest is connected: {@code source} to
   * its end, then end of file; nothing but end of file when {@code source} is null.
   */
  void feedStdin(InputStream source) {
    Thread t = new Thread(() -> {
      try (InputStream in = source == null ? InputStream.nullInputStream() : source) {
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) >= 0; ) {
          writeStdin(buf, 0, n);
        }
        closeStdin();
      } catch (IOException e) {
        LOG.debug("stdin of the VM sandbox not fully delivered: {}", e.toString());
      }
    }, "boxkit-vm-stdin");
    t.setDaemon(true);
    t.start();
  }

  /** Closes the program's stdin (it reads end of file). */
  void closeStdin() throws IOException {
    send(awaitConnected(), ControlProtocol.STDIN, new byte[0]);
  }

  private OutputStream awaitConnected() throws IOException {
    try {
      return connected.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while the VM boots");
    } catch (ExecutionException e) {
      throw new IOException("the VM sandbox did not start: " + e.getCause().getMessage(), e.getCause());
    }
  }

  /** Kills the VM (and so the program): {@link #run} then reports signal 9. Returns at once. */
  void kill() {
    killed.set(true);
    Process hv = started.isDone() && !started.isCompletedExceptionally() ? started.join() : null;
    if (hv != null) {
      hv.destroyForcibly();
    }
  }

  private static SandboxSetupException failure(byte[] payload, Path work) {
    ByteBuffer b = ByteBuffer.wrap(payload);
    int errno = b.getInt();
    String[] parts = new String(payload, 4, payload.length - 4, StandardCharsets.UTF_8).split("\0", 3);
    String step = parts[0];
    String path = parts.length > 1 && !parts[1].isEmpty() ? parts[1] : null;
    String msg = parts.length > 2 ? parts[2] : "";
    return new SandboxSetupException(step, path, errno, ERRNO.get(errno),
        (path != null ? path + ": " : "") + msg + " (in the VM guest)");
  }

  private static long ms(long nanos) {
    return nanos / 1_000_000;
  }

  /** @return the agent's "boxkit-vm-agent: PHASE at S s" console lines, joined (boot.timing) */
  private static String guestMarks(Path console) {
    try {
      if (!Files.exists(console)) {
        return "(no console)";
      }
      StringBuilder marks = new StringBuilder();
      for (String line : Files.readAllLines(console, StandardCharsets.ISO_8859_1)) {
        int at = line.indexOf("boxkit-vm-agent: ");
        if (at >= 0 && line.endsWith(" s")) {
          marks.append(marks.length() == 0 ? "" : ", ").append(line.substring(at + "boxkit-vm-agent: ".length()).strip());
        }
      }
      return marks.toString();
    } catch (IOException e) {
      return "(console unreadable)";
    }
  }

  private static String tail(Path log) {
    try {
      if (!Files.exists(log)) {
        return "(no log)";
      }
      String s = Files.readString(log, StandardCharsets.ISO_8859_1);
      return s.length() > 2000 ? "..." + s.substring(s.length() - 2000) : s;
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("interrupted while starting the VM");
    }
  }

  private static void deleteTree(Path dir) {
    dev.boxkit.oci.io.FileTrees.deleteQuietly(dir, LOG, "VM work directory");
  }
}
