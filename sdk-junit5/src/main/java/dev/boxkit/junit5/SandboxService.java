package dev.boxkit.junit5;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.NetworkMode;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long-running program in a sandbox (a server, a database), started with {@link Sandbox#start}
 * and waited on until it is {@linkplain Readiness ready}. Its stdout and stderr are read all
 * along (so it never blocks on a full pipe) and their last 64 KiB kept for reports. Closing it
 * kills every process of the sandbox and waits for the end; close is idempotent. Thread-safe.
 *
 * <p><b>Reaching it.</b> A service in a {@link NetworkMode#NONE} sandbox listens on that
 * sandbox's own loopback, which nothing outside can reach. Ways in, best first:
 * <ul>
 *   <li>publish its port ({@link SandboxSpec.Builder#publish(int)}) and connect to {@code
 *       127.0.0.1:}{@link #mappedPort(int)}: the sandbox keeps no network of its own, the host
 *       port is free and chosen for this service, and {@link Readiness#port(int)} checks it;
 *   <li>for a service able to listen on a Unix socket, put the socket in a bind-mounted
 *       directory: the JVM connects to the socket file, and a {@link UnixSocketForwarder} gives
 *       TCP clients a loopback port for it;
 *   <li>or start it with {@link NetworkMode#HOST}: the service then shares the host's network — it
 *       can connect anywhere the host can, and its ports are open to every program of the host.
 *       Use a port chosen for the test ({@link TestSandbox#freePort()}) so that concurrent tests
 *       do not collide. Not recommended where publishing works.
 * </ul>
 */
public final class SandboxService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SandboxService.class);
  /** Bytes of each output stream kept for reports. */
  static final int TAIL_BYTES = 64 * 1024;
  /** Between checks that cost little (a line seen, a connect). */
  private static final Duration POLL = Duration.ofMillis(10);
  /** Between readiness commands: each one is a new sandbox. */
  private static final Duration COMMAND_POLL = Duration.ofMillis(100);
  private static final Duration COMMAND_TRY_LIMIT = Duration.ofSeconds(10);
  /** How long a connection through a published port must stay open to count as taken inside. */
  private static final Duration RELAY_SETTLE = Duration.ofMillis(250);
  /** How long {@link Readiness#immediately()} waits for a failed setup or exec to show. */
  private static final Duration IMMEDIATE_SETTLE = Duration.ofMillis(250);
  private static final Duration HTTP_TRY_LIMIT = Duration.ofSeconds(1);
  /** Longest line given whole to a log consumer. */
  private static final int MAX_LINE_BYTES = 64 * 1024;

  private final SandboxSpec spec;
  private final SandboxProcess process;
  private final OutputTail stdout;
  private final OutputTail stderr;
  private final Thread[] pumps;

  private SandboxService(SandboxSpec spec, SandboxProcess process, Pattern watch, ServiceLogConsumer logs) {
    this.spec = spec;
    this.process = process;
    this.stdout = new OutputTail(TAIL_BYTES, watch);
    this.stderr = new OutputTail(TAIL_BYTES, watch);
    String name = "boxkit-service-" + process.pid();
    // One guard for both streams: a consumer that throws is dropped for the whole service.
    LineSink sink = logs == null ? null : new LineSink(logs, name);
    this.pumps = new Thread[] {
        pump(name + "-stdout", process.stdout(), stdout, sink, ServiceLogLine.Stream.STDOUT),
        pump(name + "-stderr", process.stderr(), stderr, sink, ServiceLogLine.Stream.STDERR)};
  }

  /**
   * Starts {@code spec} and waits until {@code readiness} holds. The spec's stdout and stderr are
   * replaced by pipes (read by this service) and its stdin by nothing.
   *
   * @param spec what to run
   * @param readiness when it counts as started
   * @param timeout longest wait for readiness, &gt; 0
   * @return the ready service; close it when done
   * @throws InvalidSandboxSpecException (field {@code readiness}) when {@code readiness} is a
   *     {@linkplain Readiness#port port} check of a port a {@link NetworkMode#NONE} spec does not
   *     publish
   * @throws ServiceNotReadyException when the service exits first or the timeout expires (it is
   *     stopped before this is thrown)
   * @throws dev.boxkit.sandbox.SandboxUnavailableException when the host cannot run sandboxes
   * @throws dev.boxkit.sandbox.SandboxSetupException when a setup step fails
   */
  public static SandboxService start(SandboxSpec spec, Readiness readiness, Duration timeout) {
    return start(spec, readiness, timeout, null);
  }

  /**
   * Starts {@code spec} as {@link #start(SandboxSpec, Readiness, Duration)} does, giving each line
   * of its stdout and stderr to {@code logs} as it is written (from the start, so readiness output
   * is included), e.g. {@link ServiceLogConsumer#toSlf4j(String)}.
   *
   * @param spec what to run
   * @param readiness when it counts as started
   * @param timeout longest wait for readiness, &gt; 0
   * @param logs receives every output line; null for none (only the tails are kept)
   * @return the ready service; close it when done
   * @throws InvalidSandboxSpecException (field {@code readiness}) as the three-argument form
   * @throws ServiceNotReadyException when the service exits first or the timeout expires
   * @throws dev.boxkit.sandbox.SandboxSetupException when a setup step or the exec fails
   */
  public static SandboxService start(SandboxSpec spec, Readiness readiness, Duration timeout,
      ServiceLogConsumer logs) {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(readiness, "readiness");
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("readiness timeout " + timeout + " is not > 0");
    }
    int checkedPort = readiness instanceof Readiness.TcpPort p ? p.port()
        : readiness instanceof Readiness.Http h ? h.port() : 0;
    if (checkedPort != 0 && spec.network() == NetworkMode.NONE && !publishes(spec, checkedPort)) {
      throw new InvalidSandboxSpecException("readiness", "a service checked on port " + checkedPort
          + " must publish it (SandboxSpec.Builder.publish(" + checkedPort + ")) or use NetworkMode.HOST:"
          + " with NONE it listens on its own loopback, which the JVM cannot reach");
    }
    if (readiness instanceof Readiness.UnixSocket u) {
      hostPath(spec, u.pathInSandbox()); // fails now, not after the timeout
    }
    SandboxSpec piped = spec.toBuilder()
        .stdin(Stdio.discard()).stdout(Stdio.pipe()).stderr(Stdio.pipe()).build();
    Pattern watch = readiness instanceof Readiness.LogLine l ? l.pattern() : null;
    SandboxService service = new SandboxService(piped, Sandbox.start(piped), watch, logs);
    try {
      service.awaitReady(readiness, timeout);
      return service;
    } catch (RuntimeException | Error e) {
      service.close();
      throw e;
    }
  }

  private static Thread pump(String name, InputStream in, OutputTail tail, LineSink sink,
      ServiceLogLine.Stream stream) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[8192];
      java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
      try (in) {
        for (int n; (n = in.read(buf)) >= 0; ) {
          tail.append(buf, 0, n);
          if (sink != null) {
            for (int i = 0; i < n; i++) {
              if (buf[i] == '\n' || line.size() == MAX_LINE_BYTES) {
                sink.emit(stream, line);
                if (buf[i] == '\n') {
                  continue;
                }
              }
              line.write(buf[i]);
            }
          }
        }
      } catch (IOException e) {
        LOG.debug("{}: stream ended: {}", name, e.toString());
      }
      if (sink != null && line.size() > 0) {
        sink.emit(stream, line); // a last line without its newline
      }
    }, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Gives lines to the user's consumer until it throws once. */
  private static final class LineSink {
    private final ServiceLogConsumer consumer;
    private final String name;
    private volatile boolean failed;

    LineSink(ServiceLogConsumer consumer, String name) {
      this.consumer = consumer;
      this.name = name;
    }

    void emit(ServiceLogLine.Stream stream, java.io.ByteArrayOutputStream line) {
      String text = line.toString(java.nio.charset.StandardCharsets.UTF_8);
      line.reset();
      if (failed) {
        return;
      }
      if (text.endsWith("\r")) {
        text = text.substring(0, text.length() - 1);
      }
      try {
        consumer.accept(new ServiceLogLine(stream, text));
      } catch (RuntimeException e) {
        failed = true;
        LOG.warn("{}: the log consumer threw; it gets no more lines", name, e);
      }
    }
  }

  private void awaitReady(Readiness readiness, Duration timeout) {
    if (readiness instanceof Readiness.Immediately) {
      // A failed setup or exec shows as an end with a setup failure, thrown by waitFor.
      process.waitFor(IMMEDIATE_SETTLE);
      return;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (isReady(readiness)) {
        LOG.debug("service {} ready ({})", spec.argv(), readiness);
        return;
      }
      Optional<ExecResult> ended = process.waitFor(Duration.ZERO);
      if (ended.isPresent()) {
        joinPumps();
        throw new ServiceNotReadyException("service " + spec.argv() + " exited before it was ready ("
            + readiness + "): " + state() + "\n" + details());
      }
      if (System.nanoTime() - deadline >= 0) {
        throw new ServiceNotReadyException("service " + spec.argv() + " not ready (" + readiness
            + ") within " + timeout.toMillis() + " ms\n" + details());
      }
      try {
        Thread.sleep((readiness instanceof Readiness.Command ? COMMAND_POLL : POLL).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SandboxException("interrupted while waiting for service " + spec.argv(), e);
      }
    }
  }

  private boolean isReady(Readiness readiness) {
    if (readiness instanceof Readiness.Immediately) {
      return true;
    }
    if (readiness instanceof Readiness.LogLine) {
      return stdout.matched() || stderr.matched();
    }
    if (readiness instanceof Readiness.TcpPort p && publishes(spec, p.port())) {
      return reachesThroughRelay(process.mappedPort(p.port()));
    }
    if (readiness instanceof Readiness.TcpPort p) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(p.host(), p.port()), 200);
        return true;
      } catch (IOException e) {
        return false;
      }
    }
    if (readiness instanceof Readiness.Http h) {
      return answers(h);
    }
    if (readiness instanceof Readiness.UnixSocket u) {
      try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        c.connect(UnixDomainSocketAddress.of(hostPath(spec, u.pathInSandbox())));
        return true;
      } catch (IOException e) {
        return false;
      }
    }
    Readiness.Command c = (Readiness.Command) readiness;
    // The probe publishes nothing, and on a shared network it is a member of its own name.
    SandboxSpec.Builder probe = spec.toBuilder().ports(java.util.List.of());
    if (spec.sharedNetwork() != null) {
      probe.hostname("probe-" + Long.toHexString(System.nanoTime()));
    }
    ExecResult r = Sandbox.run(probe.argv(c.argv())
        .limits(ResourceLimits.builder().timeout(COMMAND_TRY_LIMIT).build())
        .captureLimitBytes(TAIL_BYTES).build());
    return r.succeeded();
  }

  private boolean answers(Readiness.Http h) {
    int port = publishes(spec, h.port()) ? process.mappedPort(h.port()) : h.port();
    HttpClient client = HttpProbe.CLIENT;
    try {
      HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + h.path()))
          .timeout(HTTP_TRY_LIMIT).GET().build(), HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == h.expectedStatus();
    } catch (IOException e) {
      return false; // refused, reset by the relay while nothing listens inside, or timed out
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("interrupted while waiting for service " + spec.argv(), e);
    }
  }

  /** One client (and its threads) for every HTTP probe of the JVM, made on first use. */
  private static final class HttpProbe {
    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(HTTP_TRY_LIMIT).followRedirects(HttpClient.Redirect.NEVER).build();
  }

  private static boolean publishes(SandboxSpec spec, int sandboxPort) {
    return spec.ports().stream().anyMatch(m -> m.sandboxPort() == sandboxPort);
  }

  /**
   * Whether a connection to a published port's host side reaches the service: the relay accepts
   * at once and closes the connection when the service inside refuses it, which takes a few
   * milliseconds; a connection still open after {@link #RELAY_SETTLE} (or one that got data) was
   * taken by the service.
   */
  private static boolean reachesThroughRelay(int hostPort) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", hostPort), 200);
      s.setSoTimeout((int) RELAY_SETTLE.toMillis());
      return s.getInputStream().read() >= 0;
    } catch (java.net.SocketTimeoutException stillOpen) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private void joinPumps() {
    for (Thread t : pumps) {
      try {
        t.join(Duration.ofSeconds(5).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Where a path inside a sandbox lies on the host: under the bind mount of {@code spec} whose
   * destination holds it (the innermost one).
   *
   * @param spec the sandbox's spec
   * @param pathInSandbox absolute path inside the sandbox
   * @return the host path
   * @throws InvalidSandboxSpecException when no bind mount of the spec holds the path
   */
  public static Path hostPath(SandboxSpec spec, String pathInSandbox) {
    Mount.Bind best = null;
    for (Mount m : spec.mounts()) {
      if (m instanceof Mount.Bind b && isUnder(pathInSandbox, b.destination())
          && (best == null || b.destination().length() >= best.destination().length())) {
        best = b;
      }
    }
    if (best == null) {
      throw new InvalidSandboxSpecException("readiness", pathInSandbox
          + " is in no bind mount of the sandbox, so the JVM cannot reach it");
    }
    String rest = pathInSandbox.substring(best.destination().length()).replaceFirst("^/+", "");
    return rest.isEmpty() ? best.source() : best.source().resolve(rest);
  }

  private static boolean isUnder(String path, String dir) {
    return path.equals(dir) || path.startsWith(dir.endsWith("/") ? dir : dir + "/");
  }

  /** @return the spec it runs (stdio replaced by pipes) */
  public SandboxSpec spec() {
    return spec;
  }

  /** @return the host pid of the sandbox's supervising process */
  public long pid() {
    return process.pid();
  }

  /**
   * The host port a published port of the service is reached at, on {@code 127.0.0.1}; see
   * {@link SandboxProcess#mappedPort(int)}.
   *
   * @param sandboxPort a port the spec {@linkplain SandboxSpec.Builder#publish(int) publishes}
   * @return the host port, 1..65535
   * @throws InvalidSandboxSpecException naming {@code ports} when that port was not published
   * @throws SandboxException when the sandbox failed before its host side listened
   */
  public int mappedPort(int sandboxPort) {
    return process.mappedPort(sandboxPort);
  }

  /**
   * Runs a program inside the running service's sandbox, as Testcontainers' {@code
   * execInContainer} or {@code docker exec}: same root, files, network and processes (see {@link
   * SandboxProcess#exec(String...)}). {@link TestSandbox#exec} by contrast starts a new sandbox.
   *
   * @param argv the program and its arguments
   * @return how it ended, with its output
   * @throws SandboxException when the service is no longer running
   */
  public dev.boxkit.sandbox.ExecResult exec(String... argv) {
    return process.exec(argv);
  }

  /** @return whether the service still runs */
  public boolean isRunning() {
    return !process.onExit().isDone();
  }

  /** @return how it ended, empty while it runs */
  public Optional<ExecResult> result() {
    return process.waitFor(Duration.ZERO);
  }

  /** @return the last 64 KiB of its stdout, UTF-8 */
  public String stdoutTail() {
    return stdout.text();
  }

  /** @return the last 64 KiB of its stderr, UTF-8 */
  public String stderrTail() {
    return stderr.text();
  }

  /**
   * Sends a signal to the service's program.
   *
   * @param signal a signal number, e.g. 15 for SIGTERM
   */
  public void signal(int signal) {
    process.signal(signal);
  }

  /** @return the spec, state and output tails, for reports */
  public String describe() {
    return "service " + spec.argv() + " (" + state() + ")\n" + details();
  }

  private String state() {
    try {
      return result().map(r -> "ended: exit " + r.exitCode()
          + r.signal().stream().mapToObj(s -> ", signal " + s).findFirst().orElse("")).orElse("running");
    } catch (SandboxException e) {
      return "failed: " + e.getMessage();
    }
  }

  /** The spec and the output tails, without the headline that {@link #describe()} adds. */
  private String details() {
    return "  spec: " + spec + "\n  stdout: " + indent(stdout.text()) + "\n  stderr: " + indent(stderr.text());
  }

  static String indent(String s) {
    return s.isEmpty() ? "(empty)" : s.strip().replace("\n", "\n    ");
  }

  /** Kills every process of the sandbox, waits for its end and for its output to be read. */
  @Override
  public void close() {
    process.close();
    joinPumps();
  }

  @Override
  public String toString() {
    return "SandboxService[" + spec.argv() + ", pid " + process.pid() + "]";
  }
}
