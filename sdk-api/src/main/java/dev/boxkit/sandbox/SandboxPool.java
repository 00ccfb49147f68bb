package dev.boxkit.sandbox;

import java.util.List;

/**
 * Sandboxes set up ahead of time for one {@link SandboxSpec}, each used for exactly one run and
 * then discarded: a run only sends its program to a sandbox that is already isolated, which
 * saves the set-up (namespaces, mounts, seccomp) from the run's latency. Nothing a run leaves
 * behind (files in a writable layer or tmpfs, processes, environment) is seen by the next run.
 * The pool refills in the background; {@link #close()} stops that, kills the sandboxes still
 * waiting and leaves no thread or file descriptor behind. Get one from {@link Sandbox#pool}.
 *
 * <p>A run's spec is the pool's {@link #spec()} with only the {@link #PER_RUN_FIELDS} changed,
 * usually built with {@code pool.spec().toBuilder()}; any other difference is refused with an
 * {@link InvalidSandboxSpecException} naming the field. Thread-safe: several threads may run at
 * once; a run waits for a ready sandbox when all are in use.
 *
 * <pre>{@code
 * try (SandboxPool pool = Sandbox.pool(Sandbox.builder().command("/bin/true").build(), 4)) {
 *   ExecResult r = pool.run("/bin/echo", "hi");
 * }
 * }</pre>
 */
public interface SandboxPool extends AutoCloseable {

  /**
   * The fields a run may change: {@code argv} (the program), {@code env} (the whole
   * environment, typically the pool's with additions), {@code stdin} ({@link Stdio#pipe()} or
   * {@link Stdio#discard()} only) and {@code limits.timeout} (measured from the run's request).
   * Every other field, the rest of {@code limits} included, is fixed by the pool.
   */
  List<String> PER_RUN_FIELDS = List.of("argv", "env", "stdin", "limits.timeout");

  /** @return the spec every sandbox of this pool is set up with; never null */
  SandboxSpec spec();

  /** @return how many sandboxes the pool keeps ready, at least 1 */
  int size();

  /**
   * Runs {@code argv} with the pool's spec otherwise and waits for its end.
   *
   * @param argv the program and its arguments, not empty
   * @return how it ended, output captured as {@link Sandbox#run} captures it
   * @throws InvalidSandboxSpecException for a bad argv
   * @throws SandboxSetupException when the sandbox's set-up failed, or its program could not be
   *     executed (step {@code exec})
   * @throws SandboxException when the pool is closed
   */
  default ExecResult run(String... argv) {
    return run(spec().toBuilder().command(argv).build());
  }

  /**
   * Runs one program in a ready sandbox and waits for its end.
   *
   * @param run the pool's spec with only {@link #PER_RUN_FIELDS} changed
   * @return how it ended; the timeout counts from the run's request
   * @throws InvalidSandboxSpecException naming the first field that differs from the pool's
   *     outside {@link #PER_RUN_FIELDS}, or {@code stdin} when it is neither a pipe nor discarded
   * @throws SandboxSetupException when the sandbox's set-up failed, or its program could not be
   *     executed (step {@code exec})
   * @throws SandboxException when the pool is closed
   */
  ExecResult run(SandboxSpec run);

  /**
   * Starts one program in a ready sandbox and returns at once.
   *
   * @param run the pool's spec with only {@link #PER_RUN_FIELDS} changed
   * @return the running sandbox, which the caller must close; it is not returned to the pool
   * @throws InvalidSandboxSpecException as for {@link #run(SandboxSpec)}
   * @throws SandboxSetupException when the sandbox's set-up failed
   * @throws SandboxException when the pool is closed
   */
  SandboxProcess start(SandboxSpec run);

  /**
   * Stops refilling, kills the sandboxes still waiting and releases what they held; runs
   * already handed out go on and end as usual. Idempotent.
   */
  @Override
  void close();
}
