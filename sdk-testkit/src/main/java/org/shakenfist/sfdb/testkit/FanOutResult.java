package org.shakenfist.sfdb.testkit;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.shakenfist.sfdb.testkit.internal.PrometheusText;

/**
 * The outcome of one {@link FanOut} run: per-instance counter deltas and shares, and the verdict.
 *
 * @param instances instances, in source order
 * @param before counters per instance before the run
 * @param after counters per instance after the run
 * @param delta calls each instance served during the run (counter resets handled)
 * @param calls calls driven
 * @param failedCalls calls that threw
 * @param firstError the first call failure, or {@code null}
 * @param floor minimum share each instance had to serve
 * @param skipReason why the check did not apply (fewer than 2 instances), or {@code null}
 * @param problems why the check failed; empty when it passed
 */
public record FanOutResult(List<String> instances, Map<String, Map<String, Double>> before,
    Map<String, Map<String, Double>> after, Map<String, Long> delta, int calls, int failedCalls, String firstError,
    double floor, String skipReason, List<String> problems) {

  /** True when the tier fanned out: every instance served at least the floor share. */
  public boolean passed() {
    return skipReason == null && problems.isEmpty();
  }

  /** True when the check could not apply (N &lt; 2). */
  public boolean skipped() {
    return skipReason != null;
  }

  /** Sum of the deltas. */
  public long total() {
    return delta.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Share of the calls served by one instance (0 when nothing was counted). */
  public double share(String instance) {
    long t = total();
    return t == 0 ? 0 : delta.getOrDefault(instance, 0L) / (double) t;
  }

  /** A table (instance, before, after, delta, share) and the verdict, with raw counters when it failed. */
  public String report() {
    StringBuilder b = new StringBuilder();
    String verdict = skipped() ? "SKIPPED: " + skipReason
        : passed() ? "PASSED: every instance served >= " + pct(floor) + " of " + total() + " counted calls"
        : "FAILED: " + String.join("; ", problems);
    b.append("fan-out check ").append(verdict).append('\n');
    b.append(String.format(Locale.ROOT, "%-28s %10s %10s %8s %8s  %s%n", "instance", "before", "after", "delta",
        "share", "bar"));
    for (String i : instances) {
      b.append(String.format(Locale.ROOT, "%-28s %10s %10s %8d %8s  %s%n", i, sum(before.get(i)), sum(after.get(i)),
          delta.getOrDefault(i, 0L), pct(share(i)), "#".repeat((int) Math.round(share(i) * 40))));
    }
    b.append("calls driven: ").append(calls).append(", failed: ").append(failedCalls);
    if (firstError != null) {
      b.append(" (first: ").append(firstError).append(')');
    }
    b.append('\n');
    if (!passed()) {
      b.append("before counters: ").append(before).append('\n');
      b.append("after counters: ").append(after).append('\n');
    }
    return b.toString();
  }

  @Override
  public String toString() {
    return report();
  }

  private static String sum(Map<String, Double> counters) {
    return counters == null ? "n/a" : String.valueOf((long) PrometheusText.sumOperations(counters));
  }

  static String pct(double share) {
    return String.format(Locale.ROOT, "%.1f%%", share * 100);
  }
}
