package dev.boxkit.junit5;

import java.util.List;
import java.util.regex.Pattern;

/**
 * When a {@link SandboxService} counts as ready. Checked every 10 ms (every 100 ms for a
 * {@linkplain #command command}) until it holds, the service exits, or the readiness timeout
 * expires.
 */
public sealed interface Readiness
    permits Readiness.Immediately, Readiness.TcpPort, Readiness.Http, Readiness.UnixSocket,
    Readiness.LogLine, Readiness.Command {

  /**
   * Ready once the program is running: the sandbox was set up and the program exec'd. Waits up
   * to 250 ms for an early end, so that a failed setup or exec (a program not found, say) is
   * thrown by the start as a {@link dev.boxkit.sandbox.SandboxSetupException} instead of being
   * reported as a running service; a program that exits by itself within that time is returned
   * as ended ({@link SandboxService#result()} holds its status).
   */
  static Readiness immediately() {
    return new Immediately();
  }

  /**
   * Ready when the service's TCP {@code port} accepts connections:
   * <ul>
   *   <li>a port the spec {@linkplain dev.boxkit.sandbox.SandboxSpec.Builder#publish(int)
   *       publishes}: the JVM connects to its {@linkplain SandboxService#mappedPort mapped port}
   *       and the connection must reach the service inside. The host side listens before the
   *       program starts and closes a connection the service does not take, so the check counts
   *       a connection that stays open (or gets data) for 250 ms; a service that closes every
   *       connection at once without a word never counts as ready;
   *   <li>with {@link dev.boxkit.sandbox.NetworkMode#HOST}: the JVM connects to {@code
   *       127.0.0.1:port}.
   * </ul>
   * Starting a service with this check is refused for a port a {@code NONE} sandbox does not
   * publish: its loopback is its own, which the JVM cannot reach.
   *
   * @param port the port the service listens on (inside the sandbox when published), 1..65535
   * @throws IllegalArgumentException for a port outside that range
   */
  static Readiness port(int port) {
    return new TcpPort("127.0.0.1", port);
  }

  /**
   * Ready when an HTTP {@code GET} of {@code path} on the service's TCP {@code port} answers
   * {@code 200}; see {@link #http(int, String, int)}.
   *
   * @param port the port the service listens on (inside the sandbox when published), 1..65535
   * @param path the request path, starting with {@code /}
   * @throws IllegalArgumentException for a port outside 1..65535 or a path not starting with /
   */
  static Readiness http(int port, String path) {
    return http(port, path, 200);
  }

  /**
   * Ready when an HTTP/1.1 {@code GET} of {@code http://127.0.0.1:<port><path>} answers with
   * status {@code expectedStatus} (each try times out after 1 s; a refused or reset connection
   * counts as not ready). The port is reached as {@link #port(int)} reaches it: through its
   * {@linkplain SandboxService#mappedPort mapped port} when the spec publishes it, else directly
   * with {@link dev.boxkit.sandbox.NetworkMode#HOST}; refused for a port a {@code NONE} sandbox
   * does not publish.
   *
   * @param port the port the service listens on (inside the sandbox when published), 1..65535
   * @param path the request path and query, starting with {@code /}
   * @param expectedStatus the status that means ready, 100..599
   * @throws IllegalArgumentException for a port, path or status out of range
   */
  static Readiness http(int port, String path, int expectedStatus) {
    return new Http(port, path, expectedStatus);
  }

  /**
   * Ready when the JVM can connect to the Unix socket at {@code pathInSandbox}, which must lie
   * in a bind mount of the service's spec (such as a {@link TestSandbox}'s {@code /tmp}). Socket
   * files work across network namespaces, so this suits services with no network; see {@link
   * UnixSocketForwarder} for TCP clients.
   *
   * @param pathInSandbox absolute path inside the sandbox
   * @throws IllegalArgumentException when the path is not absolute
   */
  static Readiness unixSocket(String pathInSandbox) {
    return new UnixSocket(pathInSandbox);
  }

  /**
   * Ready when a whole line of the service's stdout or stderr contains a match of {@code regex}
   * ({@link java.util.regex.Matcher#find()}).
   *
   * @throws java.util.regex.PatternSyntaxException for a bad pattern
   */
  static Readiness logLine(String regex) {
    return new LogLine(Pattern.compile(regex));
  }

  /**
   * Ready when {@code argv} exits 0, run in a new sandbox made from the service's spec (same
   * root, mounts, env and network; stdio captured; 10 s limit per try). A {@code NONE} network
   * service is not reachable this way over TCP — each sandbox has its own loopback — but files
   * in a shared bind mount are.
   *
   * @throws IllegalArgumentException when argv is empty
   */
  static Readiness command(String... argv) {
    return new Command(List.of(argv));
  }

  /** Ready at once. */
  record Immediately() implements Readiness {}

  /**
   * @param host address the JVM connects to
   * @param port TCP port, 1..65535
   */
  record TcpPort(String host, int port) implements Readiness {
    /** @throws IllegalArgumentException for a port outside 1..65535 or a null host */
    public TcpPort {
      if (host == null || port < 1 || port > 65535) {
        throw new IllegalArgumentException("port " + port + " is outside 1..65535 (host " + host + ")");
      }
    }
  }

  /**
   * @param port TCP port of the service, 1..65535
   * @param path request path, starting with {@code /}
   * @param expectedStatus HTTP status meaning ready, 100..599
   */
  record Http(int port, String path, int expectedStatus) implements Readiness {
    /** @throws IllegalArgumentException for a value out of range (named in the message) */
    public Http {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port " + port + " is outside 1..65535");
      }
      if (path == null || !path.startsWith("/")) {
        throw new IllegalArgumentException("path " + path + " does not start with /");
      }
      if (expectedStatus < 100 || expectedStatus > 599) {
        throw new IllegalArgumentException("expectedStatus " + expectedStatus + " is outside 100..599");
      }
    }
  }

  /** @param pathInSandbox absolute path of the socket inside the sandbox */
  record UnixSocket(String pathInSandbox) implements Readiness {
    /** @throws IllegalArgumentException when the path is null or relative */
    public UnixSocket {
      if (pathInSandbox == null || !pathInSandbox.startsWith("/")) {
        throw new IllegalArgumentException("socket path " + pathInSandbox + " is not absolute");
      }
    }
  }

  /** @param pattern searched in each line of stdout and stderr */
  record LogLine(Pattern pattern) implements Readiness {
    /** @throws IllegalArgumentException when the pattern is null */
    public LogLine {
      if (pattern == null) {
        throw new IllegalArgumentException("pattern must not be null");
      }
    }
  }

  /** @param argv the check's program and arguments, not empty */
  record Command(List<String> argv) implements Readiness {
    /** @throws IllegalArgumentException when argv is empty */
    public Command {
      argv = List.copyOf(argv);
      if (argv.isEmpty()) {
        throw new IllegalArgumentException("a readiness command needs a program");
      }
    }
  }
}
