package dev.boxkit.junit5;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.NetworkMode;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.SandboxSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One test's sandbox environment, given by {@link BoxKitExtension} to a {@link Sandboxed} field
 * or parameter. Every {@link #exec} runs a fresh sandbox from the same root (an image's tree, or
 * the host's {@code /}, read-only) with {@code /proc}, a minimal {@code /dev}, the chosen network,
 * and {@code /tmp} bound read-write to a scratch directory of this test ({@link #hostTmp()}), so
 * files left in {@code /tmp} by one program are seen by the next and by the test. Services
 * started here run until the test ends.
 *
 * <p>After the test, {@link #close()} stops every service and deletes the scratch directory.
 * Programs run as uid 0 inside the sandbox, which is the JVM's own user outside it. Thread-safe.
 */
public final class TestSandbox implements AutoCloseable {
  /** Default limit on waiting for a service's readiness. */
  public static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(30);
  private static final int TRANSCRIPT_ENTRIES = 32;
  private static final int REPORT_TAIL_BYTES = 4096;

  private final String description;
  private final Rootfs root;
  private final Map<String, String> env;
  private final String workingDir;
  private final NetworkMode network;
  private final Duration execTimeout;
  private final Path scratch;
  private final Path hostTmp;
  private final Deque<String> transcript = new ArrayDeque<>();
  private final List<SandboxService> services = new ArrayList<>();
  private final List<UnixSocketForwarder> forwarders = new ArrayList<>();
  private boolean closed;
  private SharedServices shared;

  TestSandbox(String description, Rootfs root, Map<String, String> env, String workingDir,
      NetworkMode network, Duration execTimeout, Path tempRoot) {
    this.description = description;
    this.root = root;
    this.env = new LinkedHashMap<>(env);
    this.workingDir = workingDir;
    this.network = network;
    this.execTimeout = execTimeout;
    try {
      Files.createDirectories(tempRoot);
      this.scratch = Files.createTempDirectory(tempRoot, "boxkit-test-");
      // Owned by an unprivileged id when the JVM is root: a root JVM lets no sandbox write as root.
      this.hostTmp = dev.boxkit.sandbox.SandboxDirectories.createWritable(scratch.resolve("tmp"));
      // World-writable like /tmp, for programs that switch to another uid inside.
      Files.setPosixFilePermissions(hostTmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    } catch (IOException e) {
      throw new SandboxException("creating a scratch directory under " + tempRoot + ": " + e, e);
    }
  }

  /**
   * A spec builder preset for this sandbox — root, mounts, env, working directory, network and
   * the exec time limit — to adjust before passing it to {@link #run}.
   *
   * @param argv the program and its arguments
   * @return a new builder
   */
  public SandboxSpec.Builder spec(String... argv) {
    SandboxSpec.Builder b = Sandbox.builder()
        .root(root)
        .command(argv)
        .workingDir(workingDir)
        .mounts(List.of(Mount.proc(), Mount.devMinimal(), Mount.bind(hostTmp, "/tmp").readWrite()))
        .network(network)
        .limits(ResourceLimits.builder().timeout(execTimeout).build());
    env.forEach(b::env);
    return b;
  }

  /**
   * Runs a program in a fresh sandbox and waits for its end; output is captured.
   *
   * @param argv the program and its arguments
   * @return how it ended, with its stdout and stderr
   * @throws dev.boxkit.sandbox.SandboxSetupException when a setup step or the exec fails
   */
  public ExecResult exec(String... argv) {
    return run(spec(argv).build());
  }

  /**
   * Runs {@code spec} (usually from {@link #spec}) and records it for the failure report.
   *
   * @return how it ended
   * @throws dev.boxkit.sandbox.SandboxSetupException when a setup step or the exec fails
   */
  public ExecResult run(SandboxSpec spec) {
    checkOpen();
    ExecResult r;
    try {
      r = Sandbox.run(spec);
    } catch (SandboxException e) {
      record("$ " + spec.argv() + "\n  spec: " + spec + "\n  failed: " + e.getMessage());
      throw e;
    }
    record("$ " + spec.argv() + " -> exit " + r.exitCode()
        + (r.timedOut() ? " (timed out)" : "") + " in " + r.wallTime().toMillis() + " ms"
        + "\n  spec: " + spec
        + "\n  stdout: " + SandboxService.indent(OutputTail.tail(r.stdout(), REPORT_TAIL_BYTES))
        + "\n  stderr: " + SandboxService.indent(OutputTail.tail(r.stderr(), REPORT_TAIL_BYTES)));
    return r;
  }

  /**
   * Starts a long-running program and waits up to {@link #DEFAULT_READY_TIMEOUT} until it is
   * ready. It is stopped when the test ends.
   *
   * @param readiness when it counts as started; a {@linkplain Readiness#port port} check needs
   *     {@code @Sandboxed(network = NetworkMode.HOST)} here (to publish the port instead, use
   *     {@link #startService(SandboxSpec, Readiness, Duration)} with {@code spec(argv).publish(port)})
   * @param argv the program and its arguments
   * @return the ready service
   * @throws ServiceNotReadyException when it exits first or is not ready in time
   * @throws dev.boxkit.sandbox.InvalidSandboxSpecException for a port check without host network
   */
  public SandboxService startService(Readiness readiness, String... argv) {
    return startService(spec(argv).limits(ResourceLimits.NONE).build(), readiness, DEFAULT_READY_TIMEOUT);
  }

  /**
   * Starts {@code spec} as a service (see {@link SandboxService#start}); it is stopped when the
   * test ends.
   *
   * @param timeout longest wait for readiness, &gt; 0
   * @return the ready service
   * @throws ServiceNotReadyException when it exits first or is not ready in time
   */
  public SandboxService startService(SandboxSpec spec, Readiness readiness, Duration timeout) {
    return startService(spec, readiness, timeout, null);
  }

  /**
   * Starts {@code spec} as a service whose output lines go to {@code logs} as they are written
   * (see {@link SandboxService#start(SandboxSpec, Readiness, Duration, ServiceLogConsumer)}); it is
   * stopped when this sandbox closes — after the test, or after the class for a class-scoped one.
   *
   * @param spec what to run, usually from {@link #spec}
   * @param readiness when it counts as started
   * @param timeout longest wait for readiness, &gt; 0
   * @param logs receives every line of its stdout and stderr, e.g. {@link
   *     ServiceLogConsumer#toSlf4j(String)}; null for none
   * @return the ready service
   * @throws ServiceNotReadyException when it exits first or is not ready in time
   * @throws dev.boxkit.sandbox.SandboxSetupException when a setup step or the exec fails
   */
  public SandboxService startService(SandboxSpec spec, Readiness readiness, Duration timeout,
      ServiceLogConsumer logs) {
    checkOpen();
    try {
      SandboxService s = SandboxService.start(spec, readiness, timeout, logs);
      synchronized (this) {
        services.add(s);
      }
      return s;
    } catch (ServiceNotReadyException e) {
      record(e.getMessage());
      throw e;
    } catch (SandboxException e) {
      record("service " + spec.argv() + " failed to start: " + e.getMessage() + "\n  spec: " + spec);
      throw e;
    }
  }

  /**
   * A service started once for the whole test run and shared by every test and class that asks
   * for an equal spec and readiness — an expensive database started once, as Testcontainers'
   * reusable containers are. It is stopped when the run ends, not after this test, so give it a
   * spec that names nothing of one test (build it with {@link dev.boxkit.sandbox.Sandbox#builder()},
   * not {@link #spec}, which binds this test's {@code /tmp}). A service that stopped meanwhile is
   * started again.
   *
   * @param spec what to run; equal specs (record equality) share one service
   * @param readiness when it counts as started
   * @param timeout longest wait for readiness, &gt; 0
   * @return the running, ready service
   * @throws ServiceNotReadyException when it exits first or is not ready in time
   * @throws IllegalStateException when this sandbox was made outside the extension
   */
  public SandboxService sharedService(SandboxSpec spec, Readiness readiness, Duration timeout) {
    checkOpen();
    if (shared == null) {
      throw new IllegalStateException("shared services need a sandbox made by BoxKitExtension");
    }
    return shared.get(spec, readiness, timeout);
  }

  /** Set by the extension: where run-wide services live. */
  void shareServicesThrough(SharedServices services) {
    this.shared = services;
  }

  /**
   * A TCP port that was free on the host's loopback a moment ago, for a {@link NetworkMode#HOST}
   * service to listen on. Another program may take it in between; distinct calls in one JVM
   * rarely return the same port.
   *
   * @return a port number, 1..65535
   */
  public int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new SandboxException("finding a free port" + ": " + e, e);
    }
  }

  /**
   * A loopback TCP port of the host forwarded to the Unix socket {@code socketInSandbox} under
   * {@code /tmp}: how TCP clients of the test reach a service that has no network. The
   * forwarder is closed when the test ends.
   *
   * @param socketInSandbox e.g. {@code "/tmp/app.sock"}
   * @return the forwarder; connect to {@code 127.0.0.1:}{@link UnixSocketForwarder#port()}
   * @throws dev.boxkit.sandbox.InvalidSandboxSpecException when the path is not under {@code /tmp}
   */
  public UnixSocketForwarder forwardUnixSocket(String socketInSandbox) {
    checkOpen();
    UnixSocketForwarder f = UnixSocketForwarder.open(SandboxService.hostPath(spec("true").build(), socketInSandbox));
    synchronized (this) {
      forwarders.add(f);
    }
    return f;
  }

  /** @return the host directory seen as {@code /tmp} inside; deleted when the test ends */
  public Path hostTmp() {
    return hostTmp;
  }

  /** @return the network of this sandbox's programs */
  public NetworkMode network() {
    return network;
  }

  /** @return the root, env and network, then what ran (last 32 programs) and the services */
  public String report() {
    return report(null);
  }

  /**
   * The report, leaving out what {@code shown} (a test's failure) already prints: an entry equal
   * to the message of it or of one of its causes becomes a one-line reference to it.
   */
  synchronized String report(Throwable shown) {
    java.util.Set<String> printed = new java.util.HashSet<>();
    for (Throwable t = shown; t != null && printed.size() < 16; t = t.getCause()) {
      if (t.getMessage() != null) {
        printed.add(t.getMessage());
      }
    }
    StringBuilder b = new StringBuilder("BoxKit sandbox ").append(description)
        .append(", network ").append(network).append('\n');
    for (String t : transcript) {
      b.append(printed.contains(t) ? "(" + t.lines().findFirst().orElse("") + ": as in the failure above)" : t)
          .append('\n');
    }
    for (SandboxService s : services) {
      b.append(s.describe()).append('\n');
    }
    return b.toString();
  }

  private synchronized void record(String entry) {
    if (transcript.size() == TRANSCRIPT_ENTRIES) {
      transcript.removeFirst();
    }
    transcript.addLast(entry);
  }

  private synchronized void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the sandbox of a finished test was used: " + description);
    }
  }

  /**
   * Closes the forwarders, stops every service (last started first) and deletes the scratch
   * directory. Idempotent.
   *
   * @throws dev.boxkit.sandbox.SandboxException when the scratch directory cannot be deleted
   */
  @Override
  public void close() {
    List<SandboxService> toStop;
    List<UnixSocketForwarder> toClose;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      toStop = new ArrayList<>(services);
      toClose = new ArrayList<>(forwarders);
    }
    toClose.forEach(UnixSocketForwarder::close);
    RuntimeException first = null;
    for (int i = toStop.size() - 1; i >= 0; i--) {
      try {
        toStop.get(i).close();
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
    }
    deleteTree(scratch);
    if (first != null) {
      throw first;
    }
  }

  private static void deleteTree(Path dir) {
    try {
      dev.boxkit.oci.io.FileTrees.deleteRecursively(dir);
    } catch (IOException e) {
      throw new SandboxException("deleting the test's scratch directory " + dir + ": " + e, e);
    }
  }

  @Override
  public String toString() {
    return "TestSandbox[" + description + ", " + network + ", /tmp = " + hostTmp + "]";
  }
}
