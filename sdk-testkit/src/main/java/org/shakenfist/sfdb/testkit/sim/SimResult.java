package org.shakenfist.sfdb.testkit.sim;

import io.grpc.Status;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a {@link Simulation} measured: calls and failures, latency percentiles (exact, from every call's latency),
 * attempts per call, each instance's share of the attempts over the run and per second of virtual time (by the
 * time the attempt was sent), and for each declared fault how long the instance took to fall to 5 % of the
 * calls and to come back.
 *
 * @param scenario what was simulated (scenario, policy, instances, seed, load, duration)
 * @param calls calls that ended within the run
 * @param failed of which failed (after their retries)
 * @param silent of which were answered OK but empty by an instance with {@link SimInstance#silentFailures}
 * @param latencyMicros p50, p90, p99, p999 and max, in microseconds
 * @param attemptsPerCall mean attempts per ended call (1: no retries)
 * @param maxAttempts most attempts one call took
 * @param perInstance attempts sent to each instance, in instance order
 * @param perSecond attempts sent to each instance in each second of the run (rows: seconds; columns: instances)
 * @param faults the declared faults ({@link Simulation#fault}) and how the policy answered them
 * @param callStartNanos each ended call's start, in virtual time, in the order the calls ended
 * @param callLatencyNanos each ended call's latency, in the same order
 * @param clients client processes simulated ({@link SimulationBuilder#clients})
 * @param load what the clients put on each instance besides calls, in instance order
 */
public record SimResult(String scenario, long calls, long failed, long silent, Map<String, Long> latencyMicros,
    double attemptsPerCall, int maxAttempts, Map<String, Long> perInstance, long[][] perSecond,
    List<FaultOutcome> faults, long[] callStartNanos, long[] callLatencyNanos, int clients,
    List<InstanceLoad> load) {

  /**
   * The load of the clients' connections and health polls on one instance: {@code Health/Check} calls per
   * second after the warm-up (mean) and in its busiest 100 ms (x 10), connection attempts over the run and in
   * the busiest 100 ms after the warm-up (x 10), and the most connections up at once.
   */
  public record InstanceLoad(String instance, double checksPerSecond, long peakChecksPerSecond, long connectAttempts,
      long peakConnectsPerSecond, int maxConnections) {}

  /**
   * The nearest-rank percentile {@code q} (e.g. 0.99) of the latencies of the calls that started in
   * [{@code from}, {@code to}), in microseconds (0 when none did).
   */
  public long latencyMicros(double q, java.time.Duration from, java.time.Duration to) {
    long a = from.toNanos();
    long b = to.toNanos();
    long[] in = new long[callStartNanos.length];
    int n = 0;
    for (int i = 0; i < callStartNanos.length; i++) {
      if (callStartNanos[i] >= a && callStartNanos[i] < b) {
        in[n++] = callLatencyNanos[i];
      }
    }
    long[] sorted = Arrays.copyOf(in, n);
    Arrays.sort(sorted);
    return Recorder.micros(sorted, q);
  }

  /** The status an instance answers a silently failed call with: OK (so the client counts a success). */
  static final Status SILENT = Status.OK.withDescription("OK but empty: the database failed");

  /** The share under which an instance counts as out of the rotation. */
  public static final double LOW_SHARE = 0.05;

  /**
   * One fault and the policy's answer, in seconds of virtual time; {@code toLowSeconds}: from the fault's start
   * to the first moment the instance's share of the last second's attempts is at most {@link #LOW_SHARE}
   * (null: never during the fault); {@code backSeconds}: from the fault's end to the first moment that share is
   * back at 80 % of an even share (null: never within the run); {@code allConnectedSeconds}: from the fault's end
   * to the first moment every client has a connection up to it again (null: never within the run, or none was
   * lost); {@code peakReconnectsPerSecond} and {@code peakChecksPerSecond}: the most connection attempts and
   * health checks it took in 100 ms (x 10) from the fault's end to 1 s after that moment (0 when none was lost):
   * the reconnect storm, and the first polls of the reconnected clients.
   */
  public record FaultOutcome(String instance, double fromSeconds, double toSeconds, Double toLowSeconds,
      Double backSeconds, Double allConnectedSeconds, long peakReconnectsPerSecond, long peakChecksPerSecond) {}

  /** Share of the attempts {@code instance} got over the whole run. */
  public double share(String instance) {
    long total = perInstance.values().stream().mapToLong(Long::longValue).sum();
    return total == 0 ? 0 : perInstance.getOrDefault(instance, 0L) / (double) total;
  }

  /** Share of the attempts {@code instance} got during second {@code s} of the run. */
  public double shareInSecond(String instance, int s) {
    int column = List.copyOf(perInstance.keySet()).indexOf(instance);
    long total = Arrays.stream(perSecond[s]).sum();
    return total == 0 ? 0 : perSecond[s][column] / (double) total;
  }

  /** One JSON object (keys in a fixed order, so equal runs print equal bytes). */
  public String json() {
    StringBuilder b = new StringBuilder("{\"scenario\":\"").append(scenario).append("\",\"clients\":")
        .append(clients).append(",\"calls\":").append(calls)
        .append(",\"failed\":").append(failed).append(",\"silent\":").append(silent).append(",\"latency_us\":{");
    b.append(String.join(",", latencyMicros.entrySet().stream().map(e -> "\"" + e.getKey() + "\":" + e.getValue())
        .toList()));
    b.append(String.format(Locale.ROOT, "},\"attempts_per_call\":%.4f,\"max_attempts\":%d,\"instances\":[",
        attemptsPerCall, maxAttempts));
    List<String> names = List.copyOf(perInstance.keySet());
    List<String> rows = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      InstanceLoad l = load.get(i);
      rows.add(String.format(Locale.ROOT, "{\"name\":\"%s\",\"share\":%.4f,\"calls\":%d,\"checks_per_s\":%.2f,"
          + "\"peak_checks_per_s\":%d,\"connect_attempts\":%d,\"peak_connects_per_s\":%d,\"max_connections\":%d}",
          names.get(i), share(names.get(i)), perInstance.get(names.get(i)), l.checksPerSecond(),
          l.peakChecksPerSecond(), l.connectAttempts(), l.peakConnectsPerSecond(), l.maxConnections()));
    }
    b.append(String.join(",", rows));
    b.append("],\"faults\":[");
    b.append(String.join(",", faults.stream().map(f -> String.format(Locale.ROOT,
        "{\"instance\":\"%s\",\"from_s\":%.1f,\"to_s\":%.1f,\"to_low_s\":%s,\"back_s\":%s,"
        + "\"all_connected_s\":%s,\"peak_reconnects_per_s\":%d,\"peak_checks_per_s\":%d}", f.instance(),
        f.fromSeconds(), f.toSeconds(), seconds(f.toLowSeconds()), seconds(f.backSeconds()),
        seconds(f.allConnectedSeconds()), f.peakReconnectsPerSecond(), f.peakChecksPerSecond())).toList()));
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

  private static String seconds(Double s) {
    return s == null ? "null" : String.format(Locale.ROOT, "%.1f", s);
  }

  /** A short table for people. */
  public String table() {
    StringBuilder b = new StringBuilder(scenario).append('\n');
    b.append(String.format(Locale.ROOT, "calls %d, failed %d, silent %d, attempts/call %.3f (max %d)%n", calls,
        failed, silent, attemptsPerCall, maxAttempts));
    b.append(String.format(Locale.ROOT, "latency us p50 %d p90 %d p99 %d p99.9 %d max %d%n",
        latencyMicros.get("p50"), latencyMicros.get("p90"), latencyMicros.get("p99"), latencyMicros.get("p999"),
        latencyMicros.get("max")));
    int column = 0;
    for (Map.Entry<String, Long> e : perInstance.entrySet()) {
      InstanceLoad l = load.get(column++);
      b.append(String.format(Locale.ROOT, "%-8s %9d calls %6.2f%%  health checks %.1f/s (peak %d/s), "
          + "connects %d (peak %d/s), connections <= %d%n", e.getKey(), e.getValue(), 100 * share(e.getKey()),
          l.checksPerSecond(), l.peakChecksPerSecond(), l.connectAttempts(), l.peakConnectsPerSecond(),
          l.maxConnections()));
    }
    for (FaultOutcome f : faults) {
      b.append(String.format(Locale.ROOT, "fault %s %.0f-%.0f s: share <= 5 %% %s, back %s%s%n", f.instance(),
          f.fromSeconds(), f.toSeconds(), f.toLowSeconds() == null ? "never" : "after " + seconds(f.toLowSeconds()) + " s",
          f.backSeconds() == null ? "never" : "after " + seconds(f.backSeconds()) + " s",
          f.allConnectedSeconds() == null ? "" : ", every client connected after " + seconds(f.allConnectedSeconds())
              + " s (peaks: " + f.peakReconnectsPerSecond() + " connects/s, " + f.peakChecksPerSecond()
              + " health checks/s)"));
    }
    return b.toString();
  }

  /** An SVG timeline of each instance's share per second, the even share dashed, the faults shaded. */
  public String svg() {
    return SimTimeline.svg(this);
  }

  /** Collects a run's outcomes. */
  static final class Recorder {
    private static final long TENTH = 100_000_000L;
    private final List<String> names;
    private final long[] perInstance;
    private final long[][] perSecond;
    private final long[][] perTenth;
    private final List<long[]> faults = new ArrayList<>();
    private long[] latencies = new long[1 << 16];
    private long[] starts = new long[1 << 16];
    private long calls;
    private long failed;
    private long silent;
    private long attempts;
    private int maxAttempts;
    private final int clients;
    private final long warmupNanos;
    private final long durationNanos;
    private final long[][] checksPerTenth;
    private final long[][] connectsPerTenth;
    private final long[] checksAfterWarmup;
    private final long[] connectAttempts;
    private final int[] connectedNow;
    private final int[] maxConnected;
    private final List<List<long[]>> connectedChanges = new ArrayList<>(); // per instance: {nanos, connections}

    Recorder(List<String> names, long durationNanos, int clients, long warmupNanos) {
      this.names = names;
      this.clients = clients;
      this.warmupNanos = warmupNanos;
      this.durationNanos = durationNanos;
      int n = names.size();
      this.perInstance = new long[n];
      this.perSecond = new long[(int) Math.max(1, (durationNanos + 999_999_999) / 1_000_000_000)][n];
      this.perTenth = new long[(int) Math.max(1, (durationNanos + TENTH - 1) / TENTH)][n];
      this.checksPerTenth = new long[perTenth.length][n];
      this.connectsPerTenth = new long[perTenth.length][n];
      this.checksAfterWarmup = new long[n];
      this.connectAttempts = new long[n];
      this.connectedNow = new int[n];
      this.maxConnected = new int[n];
      for (int i = 0; i < n; i++) {
        connectedChanges.add(new ArrayList<>());
      }
    }

    private int tenth(long nanos) {
      return (int) Math.min(perTenth.length - 1, nanos / TENTH);
    }

    /** Instance {@code i} took a Health/Check. */
    void healthCheck(int i, long nanos) {
      checksPerTenth[tenth(nanos)][i]++;
      if (nanos >= warmupNanos) {
        checksAfterWarmup[i]++;
      }
    }

    /** A client tried to connect to instance {@code i}. */
    void connectAttempt(int i, long nanos) {
      connectAttempts[i]++;
      connectsPerTenth[tenth(nanos)][i]++;
    }

    /** A connection to instance {@code i} came up (+1) or went (-1). */
    void connected(int i, int delta, long nanos) {
      connectedNow[i] += delta;
      maxConnected[i] = Math.max(maxConnected[i], connectedNow[i]);
      connectedChanges.get(i).add(new long[] {nanos, connectedNow[i]});
    }

    void fault(int instance, long fromNanos, long toNanos) {
      faults.add(new long[] {instance, fromNanos, toNanos});
    }

    /** An attempt was sent to instance {@code i}. */
    void sent(int i, long nanos) {
      perInstance[i]++;
      perSecond[(int) Math.min(perSecond.length - 1, nanos / 1_000_000_000)][i]++;
      perTenth[(int) Math.min(perTenth.length - 1, nanos / TENTH)][i]++;
    }

    void done(long startNanos, long endNanos, Status status, int callAttempts) {
      if (calls == latencies.length) {
        latencies = Arrays.copyOf(latencies, latencies.length * 2);
        starts = Arrays.copyOf(starts, starts.length * 2);
      }
      starts[(int) calls] = startNanos;
      latencies[(int) calls++] = endNanos - startNanos;
      if (!status.isOk()) {
        failed++;
      } else if (status == SILENT) {
        silent++;
      }
      attempts += callAttempts;
      maxAttempts = Math.max(maxAttempts, callAttempts);
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
      List<FaultOutcome> outcomes = faults.stream().map(f -> outcome((int) f[0], f[1], f[2])).toList();
      List<InstanceLoad> load = new ArrayList<>();
      double seconds = Math.max(1, durationNanos - warmupNanos) / 1e9;
      for (int i = 0; i < names.size(); i++) {
        long peakChecks = 0;
        long peakConnects = 0;
        for (int t = tenth(warmupNanos); t < perTenth.length; t++) {
          peakChecks = Math.max(peakChecks, checksPerTenth[t][i]);
          peakConnects = Math.max(peakConnects, connectsPerTenth[t][i]);
        }
        load.add(new InstanceLoad(names.get(i), checksAfterWarmup[i] / seconds, 10 * peakChecks, connectAttempts[i],
            10 * peakConnects, maxConnected[i]));
      }
      return new SimResult(scenario, calls, failed, silent, lat, calls == 0 ? 0 : attempts / (double) calls,
          maxAttempts, per, perSecond, outcomes, Arrays.copyOf(starts, (int) calls),
          Arrays.copyOf(latencies, (int) calls), clients, List.copyOf(load));
    }

    private FaultOutcome outcome(int instance, long from, long to) {
      int first = (int) (from / TENTH);
      int last = (int) Math.min(perTenth.length, (to + TENTH - 1) / TENTH);
      Double low = null;
      for (int b = first; b < last && low == null; b++) {
        double share = lastSecondShare(instance, b);
        if (share >= 0 && share <= LOW_SHARE) {
          low = ((b + 1) * TENTH - from) / 1e9;
        }
      }
      Double back = null;
      double even = 0.8 / names.size();
      for (int b = last; b < perTenth.length && back == null; b++) {
        if (lastSecondShare(instance, b) >= even) {
          back = ((b + 1) * TENTH - to) / 1e9;
        }
      }
      Double all = allConnected(instance, from, to);
      long reconnects = 0;
      long checks = 0;
      if (all != null) {
        for (int t = tenth(to); t <= tenth(to + (long) (all * 1e9) + 1_000_000_000L); t++) {
          reconnects = Math.max(reconnects, 10 * connectsPerTenth[t][instance]);
          checks = Math.max(checks, 10 * checksPerTenth[t][instance]);
        }
      }
      return new FaultOutcome(names.get(instance), from / 1e9, to / 1e9, low, back, all, reconnects, checks);
    }

    /** From {@code to} to the first moment every client is connected to the instance again (null: see above). */
    private Double allConnected(int instance, long from, long to) {
      int atFrom = 0;
      boolean lost = false;
      for (long[] c : connectedChanges.get(instance)) {
        if (c[0] < from) {
          atFrom = (int) c[1];
          continue;
        }
        lost |= atFrom < clients || c[1] < clients;
        if (lost && c[0] >= to && c[1] == clients) {
          return (c[0] - to) / 1e9;
        }
      }
      return null;
    }

    /** The instance's share of the attempts sent in the second up to the end of tenth {@code b} (-1: none). */
    private double lastSecondShare(int instance, int b) {
      long mine = 0;
      long all = 0;
      for (int t = Math.max(0, b - 9); t <= b; t++) {
        mine += perTenth[t][instance];
        all += Arrays.stream(perTenth[t]).sum();
      }
      return all == 0 ? -1 : mine / (double) all;
    }

    /** The nearest-rank percentile, in microseconds. */
    static long micros(long[] sorted, double q) {
      if (sorted.length == 0) {
        return 0;
      }
      int rank = (int) Math.ceil(q * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, rank))] / 1000;
    }
  }
}
