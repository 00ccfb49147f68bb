package dev.boxkit.benchmarks;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxPool;
import dev.boxkit.sandbox.SandboxSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Time to run {@code /bin/true} to completion from this JVM, three ways interleaved round by
 * round: a run from a warm {@link SandboxPool} (its sandbox set up ahead), a cold {@link
 * Sandbox#run} (the same isolation: user, mount, pid, ipc, uts, cgroup and network namespaces,
 * pivot_root, fresh /proc, minimal /dev, seccomp), and {@code bwrap --unshare-all
 * --die-with-parent} with the same root, /proc and /dev. Each round waits for the pool to refill
 * before timing the cold run and bwrap, so the refill never runs beside them. Prints p50/p99 in
 * ms and the p50 ratios to bwrap and to the cold run.
 *
 * <p>Arguments: {@code [rounds, default 300] [pool size, default 2] [warm-up rounds, default
 * 1000]}: the warm-up rounds, run without pauses and not counted, let the JIT compile both
 * BoxKit paths first, as in a long-running application.
 */
public final class PoolStartHarness {
  private PoolStartHarness() {}

  /** Longer than a refill (one sandbox set up) takes on a loaded 2-core machine. */
  private static final long REFILL_PAUSE_MS = 25;

  public static void main(String[] args) throws Exception {
    // One INFO line per sandbox would bury the results.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    int size = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
    SandboxSpec spec = Sandbox.builder().command("/bin/true").build();
    List<String> bwrap = List.of("bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/",
        "--proc", "/proc", "--dev", "/dev", "/bin/true");
    List<Double> pooled = new ArrayList<>();
    List<Double> cold = new ArrayList<>();
    List<Double> bw = new ArrayList<>();
    try (SandboxPool pool = Sandbox.pool(spec, size)) {
      for (int i = -warmup; i < rounds; i++) {
        pause(i);
        double p = time(() -> check(pool.run(spec)));
        pause(i);
        double c = time(() -> check(Sandbox.run(spec)));
        double b = time(() -> runProcess(bwrap));
        if (i >= 0) {
          pooled.add(p);
          cold.add(c);
          bw.add(b);
        }
      }
    }
    Collections.sort(pooled);
    Collections.sort(cold);
    Collections.sort(bw);
    double bp50 = pct(bw, 50);
    double cp50 = pct(cold, 50);
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
        "%n/bin/true, %d rounds, %d cores, pool of %d   p50 ms   p99 ms   p50/bwrap   p50/cold%n",
        rounds, Runtime.getRuntime().availableProcessors(), size));
    row(out, "BoxKit pool run", pooled, bp50, cp50);
    row(out, "BoxKit cold run", cold, bp50, cp50);
    row(out, "bwrap", bw, bp50, cp50);
    System.out.print(out);
    new ResultRow("sandbox start /bin/true, cold, p50", cp50, "bwrap (same JVM)", bp50, "ms").print();
    new ResultRow("sandbox start /bin/true, cold, p99", pct(cold, 99), "bwrap (same JVM)", pct(bw, 99), "ms").print();
    new ResultRow("sandbox run /bin/true, warm pool, p50", pct(pooled, 50), "bwrap (same JVM)", bp50, "ms").print();
  }

  private static void pause(int round) throws InterruptedException {
    if (round >= 0) {
      Thread.sleep(REFILL_PAUSE_MS);
    }
  }

  private static void row(StringBuilder out, String name, List<Double> sorted, double bwrapP50, double coldP50) {
    double p50 = pct(sorted, 50);
    out.append(String.format(Locale.ROOT, "%-40s %7.2f  %7.2f   %9.2f   %8.2f%n", name, p50, pct(sorted, 99),
        p50 / bwrapP50, p50 / coldP50));
  }

  private interface Body {
    void run() throws Exception;
  }

  private static double time(Body body) throws Exception {
    long t0 = System.nanoTime();
    body.run();
    return (System.nanoTime() - t0) / 1e6;
  }

  private static void check(ExecResult r) {
    if (r.exitCode() != 0) {
      throw new IllegalStateException("sandbox failed: " + r + " " + r.stderrText());
    }
  }

  private static void runProcess(List<String> argv) throws Exception {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    int rc = p.waitFor();
    if (rc != 0) {
      throw new IllegalStateException(argv + " exited " + rc);
    }
  }

  private static double pct(List<Double> sorted, int p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
  }
}
