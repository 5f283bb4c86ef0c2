package org.shakenfist.sfdb.testkit.sim;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a {@link Simulation} measured: calls and failures, latency percentiles from each call's intended start
 * (exact, from every call's latency), each instance's share over the run and per second of virtual time.
 *
 * @param scenario what was simulated (scenario, policy, instances, seed, rate, duration)
 * @param calls calls that ended within the run
 * @param failed of which failed
 * @param latencyMicros p50, p90, p99, p999 and max, in microseconds
 * @param perInstance calls each instance served, in instance order
 * @param perSecond calls each instance served in each second of the run (rows: seconds; columns: instances)
 */
public record SimResult(String scenario, long calls, long failed, Map<String, Long> latencyMicros,
    Map<String, Long> perInstance, long[][] perSecond) {

  /** Share of the calls {@code instance} served over the whole run. */
  public double share(String instance) {
    long total = perInstance.values().stream().mapToLong(Long::longValue).sum();
    return total == 0 ? 0 : perInstance.getOrDefault(instance, 0L) / (double) total;
  }

  /** Share of the calls {@code instance} served during second {@code s} of the run. */
  public double shareInSecond(String instance, int s) {
    int column = List.copyOf(perInstance.keySet()).indexOf(instance);
    long total = Arrays.stream(perSecond[s]).sum();
    return total == 0 ? 0 : perSecond[s][column] / (double) total;
  }

  /** One JSON object (keys in a fixed order, so equal runs print equal bytes). */
  public String json() {
    StringBuilder b = new StringBuilder("{\"scenario\":\"").append(scenario).append("\",\"calls\":").append(calls)
        .append(",\"failed\":").append(failed).append(",\"latency_us\":{");
    b.append(String.join(",", latencyMicros.entrySet().stream().map(e -> "\"" + e.getKey() + "\":" + e.getValue())
        .toList()));
    b.append("},\"instances\":[");
    b.append(String.join(",", perInstance.entrySet().stream().map(e -> String.format(Locale.ROOT,
        "{\"name\":\"%s\",\"share\":%.4f,\"calls\":%d}", e.getKey(), share(e.getKey()), e.getValue())).toList()));
    b.append("],\"share_per_second\":[");
    for (int s = 0; s < perSecond.length; s++) {
      b.append(s == 0 ? "[" : ",[");
      int c = 0;
      for (String i : perInstance.keySet()) {
        b.append(c++ == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.3f", shareInSecond(i, s)));
      }
      b.append(']');
    }
    return b.append("]}").toString();
  }

  /** A short table for people. */
  public String table() {
    StringBuilder b = new StringBuilder(scenario).append('\n');
    b.append(String.format(Locale.ROOT, "calls %d, failed %d; latency us p50 %d p90 %d p99 %d p99.9 %d max %d%n",
        calls, failed, latencyMicros.get("p50"), latencyMicros.get("p90"), latencyMicros.get("p99"),
        latencyMicros.get("p999"), latencyMicros.get("max")));
    perInstance.forEach((name, n) -> b.append(String.format(Locale.ROOT, "%-8s %9d calls %6.2f%%%n", name, n,
        100 * share(name))));
    return b.toString();
  }

  /** Collects a run's outcomes. */
  static final class Recorder {
    private final List<String> names;
    private final long[] perInstance;
    private final long[][] perSecond;
    private long[] latencies = new long[1 << 16];
    private long calls;
    private long failed;

    Recorder(List<String> names, long durationNanos) {
      this.names = names;
      this.perInstance = new long[names.size()];
      this.perSecond = new long[(int) Math.max(1, (durationNanos + 999_999_999) / 1_000_000_000)][names.size()];
    }

    void done(String instance, long intendedNanos, long endNanos, boolean ok) {
      if (calls == latencies.length) {
        latencies = Arrays.copyOf(latencies, latencies.length * 2);
      }
      latencies[(int) calls++] = endNanos - intendedNanos;
      if (!ok) {
        failed++;
      }
      if (instance != null) {
        int i = names.indexOf(instance);
        perInstance[i]++;
        int second = (int) Math.min(perSecond.length - 1, endNanos / 1_000_000_000);
        perSecond[second][i]++;
      }
    }

    SimResult result(String scenario) {
      long[] sorted = Arrays.copyOf(latencies, (int) calls);
      Arrays.sort(sorted);
      Map<String, Long> lat = new LinkedHashMap<>();
      lat.put("p50", micros(sorted, 0.50));
      lat.put("p90", micros(sorted, 0.90));
      lat.put("p99", micros(sorted, 0.99));
      lat.put("p999", micros(sorted, 0.999));
      lat.put("max", sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1000);
      Map<String, Long> per = new LinkedHashMap<>();
      for (int i = 0; i < names.size(); i++) {
        per.put(names.get(i), perInstance[i]);
      }
      return new SimResult(scenario, calls, failed, lat, per, perSecond);
    }

    /** The nearest-rank percentile, in microseconds. */
    private static long micros(long[] sorted, double q) {
      if (sorted.length == 0) {
        return 0;
      }
      int rank = (int) Math.ceil(q * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, rank))] / 1000;
    }
  }
}
