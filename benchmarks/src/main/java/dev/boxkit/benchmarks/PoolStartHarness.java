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
 * --die-with-parent} with the same root, /proc and /dev; then, when {@code cc} is installed, the
 * floor under a pooled run ({@link ExecFloor}: a waiting child of a C program execs /bin/true).
 * Each round waits for the pool to refill before timing the cold run and bwrap, so the refill
 * never runs beside them. Prints p50/p99 in ms, the p50 ratios to bwrap and to the cold run, and
 * how far the pooled run's p50 is above the floor's.
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
    List<Double> floor = new ArrayList<>();
    ExecFloor execFloor = ExecFloor.start("/bin/true");
    try (SandboxPool pool = Sandbox.pool(spec, size)) {
      for (int i = -warmup; i < rounds; i++) {
        pause(i);
        double p = time(() -> check(pool.run(spec)));
        pause(i);
        double c = time(() -> check(Sandbox.run(spec)));
        double b = time(() -> runProcess(bwrap));
        double f = 0;
        if (execFloor != null) {
          pause(i);
          f = execFloor.round();
        }
        if (i >= 0) {
          pooled.add(p);
          cold.add(c);
          bw.add(b);
          floor.add(f);
        }
      }
    } finally {
      if (execFloor != null) {
        execFloor.close();
      }
    }
    Collections.sort(pooled);
    Collections.sort(cold);
    Collections.sort(bw);
    Collections.sort(floor);
    double bp50 = pct(bw, 50);
    double cp50 = pct(cold, 50);
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
        "%n/bin/true, %d rounds, %d cores, pool of %d   p50 ms   p99 ms   p50/bwrap   p50/cold%n",
        rounds, Runtime.getRuntime().availableProcessors(), size));
    row(out, "BoxKit pool run", pooled, bp50, cp50);
    row(out, "BoxKit cold run", cold, bp50, cp50);
    row(out, "bwrap", bw, bp50, cp50);
    if (execFloor != null) {
      row(out, "floor: waiting child execs it (C)", floor, bp50, cp50);
      out.append(String.format(Locale.ROOT, "pool run above the floor, p50: %.2f ms%n",
          pct(pooled, 50) - pct(floor, 50)));
    }
    System.out.print(out);
    new ResultRow("sandbox start /bin/true, cold, p50", cp50, "bwrap (same JVM)", bp50, "ms").print();
    new ResultRow("sandbox start /bin/true, cold, p99", pct(cold, 99), "bwrap (same JVM)", pct(bw, 99), "ms").print();
    new ResultRow("sandbox run /bin/true, warm pool, p50", pct(pooled, 50), "bwrap (same JVM)", bp50, "ms").print();
    if (execFloor != null) {
      new ResultRow("sandbox run /bin/true, warm pool, p50, vs floor", pct(pooled, 50), "exec floor (C)",
          pct(floor, 50), "ms").print();
    }
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
