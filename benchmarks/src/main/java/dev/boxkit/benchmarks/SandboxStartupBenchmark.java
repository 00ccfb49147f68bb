package dev.boxkit.benchmarks;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxSpec;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Time to run {@code /bin/true} to completion: in a BoxKit sandbox (user, mount, pid, ipc, uts,
 * cgroup and network namespaces, pivot_root, fresh /proc and minimal /dev, seccomp), with
 * {@code bwrap --unshare-all --die-with-parent} doing the same, and bare, each started from this
 * JVM. {@link #main} prints p50/p99 and the ratios.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SandboxStartupBenchmark {
  private final SandboxSpec spec = Sandbox.builder().command("/bin/true").build();

  /** @return the sandboxed run's result */
  @Benchmark
  public ExecResult boxkit() {
    ExecResult r = Sandbox.run(spec);
    if (r.exitCode() != 0) {
      throw new IllegalStateException("sandbox failed: " + r);
    }
    return r;
  }

  /** @return bwrap's exit status */
  @Benchmark
  public int bwrap() throws IOException, InterruptedException {
    return run(List.of("bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/",
        "--proc", "/proc", "--dev", "/dev", "/bin/true"));
  }

  /** @return /bin/true's exit status */
  @Benchmark
  public int processBuilder() throws IOException, InterruptedException {
    return run(List.of("/bin/true"));
  }

  private static int run(List<String> argv) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    int rc = p.waitFor();
    if (rc != 0) {
      throw new IllegalStateException(argv + " exited " + rc);
    }
    return rc;
  }

  /**
   * Runs the three benchmarks and prints p50/p99 in ms with the ratios to BoxKit.
   *
   * @param args unused
   * @throws RunnerException when JMH fails
   */
  public static void main(String[] args) throws RunnerException {
    Collection<RunResult> results = new Runner(new OptionsBuilder()
        .include(SandboxStartupBenchmark.class.getSimpleName()).build()).run();
    Map<String, double[]> pct = new TreeMap<>();
    for (RunResult r : results) {
      String name = r.getParams().getBenchmark().replaceAll(".*\\.", "");
      var stats = r.getPrimaryResult().getStatistics();
      pct.put(name, new double[] {stats.getPercentile(50), stats.getPercentile(99)});
    }
    double[] box = pct.get("boxkit");
    StringBuilder out = new StringBuilder("\n/bin/true, ms      p50      p99   p50 ratio to boxkit\n");
    pct.forEach((name, v) -> out.append(String.format("%-15s %8.3f %8.3f   %6.2f%n", name, v[0], v[1], v[0] / box[0])));
    System.out.print(out);
  }
}
