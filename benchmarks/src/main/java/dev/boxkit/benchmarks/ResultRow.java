package dev.boxkit.benchmarks;

import java.util.Locale;

/**
 * One line of the benchmark table that {@code benchmarks/run-all.sh} gathers from every harness:
 * printed as {@code RESULT|work|boxkit|anchor name|anchor|ratio|unit}, tab-free and
 * grep-able, after the harness's own detailed output. Times are medians in the given unit;
 * ratio is BoxKit / anchor (below 1: BoxKit is faster or smaller), or blank without an anchor.
 *
 * @param work what was measured, e.g. "sandbox start /bin/true (p50)"
 * @param boxkit BoxKit's value
 * @param anchorName the reference tool, e.g. "bwrap", or "" when there is none
 * @param anchor the reference tool's value, or NaN
 * @param unit e.g. "ms", "s", "MiB/s"
 */
public record ResultRow(String work, double boxkit, String anchorName, double anchor, String unit) {
  /** Prints the row on stdout for run-all.sh. */
  public void print() {
    String ratio = Double.isNaN(anchor) || anchor == 0 ? "" : String.format(Locale.ROOT, "%.2f", boxkit / anchor);
    System.out.println(String.join("|", "RESULT", clean(work), number(boxkit), clean(anchorName),
        Double.isNaN(anchor) ? "" : number(anchor), ratio, unit));
  }

  /** The row's separator cannot appear in a field: "tar | gzip" becomes "tar + gzip". */
  private static String clean(String text) {
    return text.replace(" | ", " + ").replace('|', '+');
  }

  private static String number(double v) {
    return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3g", v);
  }
}
