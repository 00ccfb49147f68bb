package dev.boxkit.sandbox;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * How a sandboxed program ended.
 *
 * @param exitCode the program's exit status 0..255; {@code 128 + signal} when a signal killed it
 * @param signal the signal that killed the program, empty when it exited
 * @param stdout captured standard output (empty unless stdout was {@link Stdio#pipe()} with
 *     {@link Sandbox#run}), at most {@link SandboxSpec#captureLimitBytes()} bytes
 * @param stderr captured standard error, likewise
 * @param wallTime from start request to the sandbox's end
 * @param peakMemoryBytes peak memory use of the whole sandbox in bytes, where the cgroup reports it
 * @param oomKilled whether the kernel's OOM killer killed a process of the sandbox
 * @param timedOut whether {@link ResourceLimits#timeout()} expired and the sandbox was killed
 * @param egressDenied the connection attempts the egress proxy refused, in order (empty without
 *     an allow-list; see {@link SandboxSpec.Builder#egress(EgressPolicy)})
 */
public record ExecResult(
    int exitCode, OptionalInt signal, byte[] stdout, byte[] stderr, Duration wallTime,
    OptionalLong peakMemoryBytes, boolean oomKilled, boolean timedOut,
    java.util.List<EgressEvent> egressDenied) {

  /** @throws InvalidSandboxSpecException when a field is null */
  public ExecResult {
    SandboxPaths.nonNull("signal", signal);
    stdout = SandboxPaths.nonNull("stdout", stdout).clone();
    stderr = SandboxPaths.nonNull("stderr", stderr).clone();
    SandboxPaths.nonNull("wallTime", wallTime);
    SandboxPaths.nonNull("peakMemoryBytes", peakMemoryBytes);
    egressDenied = java.util.List.copyOf(SandboxPaths.nonNull("egressDenied", egressDenied));
  }

  /** As the canonical constructor, with no refused egress. */
  public ExecResult(int exitCode, OptionalInt signal, byte[] stdout, byte[] stderr, Duration wallTime,
      OptionalLong peakMemoryBytes, boolean oomKilled, boolean timedOut) {
    this(exitCode, signal, stdout, stderr, wallTime, peakMemoryBytes, oomKilled, timedOut,
        java.util.List.of());
  }

  /** @return a copy of the captured stdout */
  @Override
  public byte[] stdout() {
    return stdout.clone();
  }

  /** @return a copy of the captured stderr */
  @Override
  public byte[] stderr() {
    return stderr.clone();
  }

  /** @return captured stdout decoded as UTF-8 */
  public String stdoutText() {
    return new String(stdout, StandardCharsets.UTF_8);
  }

  /** @return captured stderr decoded as UTF-8 */
  public String stderrText() {
    return new String(stderr, StandardCharsets.UTF_8);
  }

  /** @return whether the program exited with status 0 */
  public boolean succeeded() {
    return exitCode == 0 && signal.isEmpty() && !timedOut;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ExecResult r && exitCode == r.exitCode && signal.equals(r.signal)
        && Arrays.equals(stdout, r.stdout) && Arrays.equals(stderr, r.stderr)
        && wallTime.equals(r.wallTime) && peakMemoryBytes.equals(r.peakMemoryBytes)
        && oomKilled == r.oomKilled && timedOut == r.timedOut && egressDenied.equals(r.egressDenied);
  }

  @Override
  public int hashCode() {
    return 31 * exitCode + Arrays.hashCode(stdout) + 7 * Arrays.hashCode(stderr) + wallTime.hashCode();
  }

  @Override
  public String toString() {
    return "ExecResult[exitCode=" + exitCode + ", signal=" + signal + ", stdout=" + stdout.length
        + " bytes, stderr=" + stderr.length + " bytes, wallTime=" + wallTime + ", peakMemoryBytes="
        + peakMemoryBytes + ", oomKilled=" + oomKilled + ", timedOut=" + timedOut
        + (egressDenied.isEmpty() ? "" : ", egressDenied=" + egressDenied.size()) + "]";
  }
}
