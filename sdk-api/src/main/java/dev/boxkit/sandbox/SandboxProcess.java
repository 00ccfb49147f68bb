package dev.boxkit.sandbox;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A running sandbox started with {@link Sandbox#start}. Closing it kills every process in the
 * sandbox and removes what was created for it (cgroup, temporary directories); close is
 * idempotent. Thread-safe.
 */
public interface SandboxProcess extends AutoCloseable {

  /** @return the host pid of the sandbox's supervising process (signals sent here are forwarded) */
  long pid();

  /**
   * @return the program's stdin when it is {@link Stdio#pipe()}
   * @throws IllegalStateException when stdin is not a pipe
   */
  OutputStream stdin();

  /**
   * @return the program's stdout when it is {@link Stdio#pipe()}
   * @throws IllegalStateException when stdout is not a pipe
   */
  InputStream stdout();

  /**
   * @return the program's stderr when it is {@link Stdio#pipe()}
   * @throws IllegalStateException when stderr is not a pipe
   */
  InputStream stderr();

  /**
   * Waits until the sandbox has ended. The result's stdout/stderr are empty: piped streams are
   * the caller's to read.
   *
   * @return how it ended
   * @throws SandboxSetupException when a setup step or the exec of the program failed
   * @throws SandboxException when interrupted (the sandbox keeps running)
   */
  ExecResult waitFor();

  /**
   * Waits at most {@code timeout}.
   *
   * @param timeout how long to wait, &gt;= 0
   * @return how it ended, or empty when it is still running
   * @throws SandboxSetupException when a setup step or the exec of the program failed
   */
  Optional<ExecResult> waitFor(Duration timeout);

  /** @return completes with the result when the sandbox ends (exceptionally on setup failure) */
  CompletableFuture<ExecResult> onExit();

  /**
   * Sends a signal to the sandboxed program (forwarded by the sandbox's init).
   *
   * @param signal a signal number, e.g. 15 for SIGTERM
   */
  void signal(int signal);

  /**
   * Runs another program inside this running sandbox and waits for it, as {@code docker exec}
   * does: the same root, mounts, network, processes and ids as the sandbox's program (the spec's
   * env, working directory, uid and gid), the same restrictions; its processes count against the
   * sandbox's limits. Its output is captured, its stdin is empty.
   *
   * @param argv the program and its arguments; a name without {@code /} is looked up on the
   *     spec's {@code PATH}
   * @return how it ended, with its output
   * @throws SandboxException when the sandbox is not running, or this backend cannot exec (on
   *     Linux: a JVM without root cannot, since the sandbox's init is not dumpable)
   * @throws SandboxSetupException naming the step that failed, e.g. {@code exec}
   */
  default ExecResult exec(String... argv) {
    throw new SandboxException("this sandbox backend cannot run another program in a running sandbox");
  }

  /**
   * The host port a published sandbox port is reached at, on {@code 127.0.0.1}, as
   * Testcontainers' {@code getMappedPort}. Waits until the host side listens (it does before the
   * program starts), so a connection made right after this call is queued, not refused.
   *
   * @param sandboxPort a port given to {@link SandboxSpec.Builder#publish(int)}
   * @return the host port, 1..65535
   * @throws InvalidSandboxSpecException naming {@code ports} when that port was not published
   * @throws SandboxException when the sandbox failed before listening, or this backend cannot
   *     publish ports
   */
  default int mappedPort(int sandboxPort) {
    throw new SandboxException("this sandbox backend does not publish ports");
  }

  /** Kills every process in the sandbox with SIGKILL. Returns without waiting. */
  void kill();

  /** Kills the sandbox if it still runs, waits for its end and releases everything it held. */
  @Override
  void close();
}
