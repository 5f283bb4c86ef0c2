package org.shakenfist.sfdb.benchmarks;

import static org.shakenfist.sfdb.benchmarks.RatioStats.fmt;
import static org.shakenfist.sfdb.benchmarks.RatioStats.median;
import static org.shakenfist.sfdb.benchmarks.RatioStats.medianOfAll;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Turns {@code summary.json} into Markdown tables (the fan-out chart: {@link FanOutChart}). */
final class Report {
  private final JsonObject summary;
  private final List<JsonObject> runs = new ArrayList<>();
  private final List<String> targets = new ArrayList<>();

  Report(JsonObject summary) {
    this.summary = summary;
    summary.getAsJsonArray("runs").forEach(e -> runs.add(e.getAsJsonObject()));
  }

  String svg() {
    return new FanOutChart(summary).svg();
  }

  /** Per round, the iterations of one overhead setup at one thread count. */
  private List<double[]> rounds(String setup, int threads) {
    Map<Integer, double[]> byRound = new TreeMap<>();
    for (JsonObject r : overheadRows(setup, threads)) {
      byRound.put(r.get("round").getAsInt(), doubles(r.getAsJsonArray("callsPerSecond")));
    }
    return new ArrayList<>(byRound.values());
  }

  private List<JsonObject> overheadRows(String setup, int threads) {
    return runs.stream().filter(r -> r.get("suite").getAsString().equals("overhead")
        && r.get("setup").getAsString().equals(setup) && r.get("threads").getAsInt() == threads).toList();
  }

  /** Median bytes allocated per call over the rounds (null when not profiled). */
  private Double bytesPerCall(String setup) {
    double[] b = overheadRows(setup, 1).stream().filter(r -> r.has("bytesPerCall"))
        .mapToDouble(r -> r.get("bytesPerCall").getAsDouble()).toArray();
    return b.length == 0 ? null : median(b);
  }

  private double[] ratio(String num, String den, int threads) {
    return RatioStats.ratio(rounds(num, threads), rounds(den, threads));
  }

  String markdown() {
    JsonObject meta = summary.getAsJsonObject("meta");
    StringBuilder b = new StringBuilder("# sfdb-client benchmark results\n\n");
    b.append(String.format(Locale.ROOT, "Run %s on %d cores, %d GiB, %s; %s; %s minutes. Generated from "
        + "`summary.json`.%n%n", meta.get("date").getAsString(), meta.get("cores").getAsInt(),
        meta.get("memGiB").getAsInt(), meta.get("jvm").getAsString(), meta.get("settings").getAsString(),
        meta.get("minutes").getAsString()));
    cpuBound(b);
    defaultExecutors(b);
    transports(b);
    openLoop(b);
    b.append("\n## Even fan-out (in-process, every call of the trial)\n\n");
    b.append("| N | threads | calls | per-instance share | max abs(share - 1/N) | max deviation (calls) | calls/s |\n");
    b.append("|---:|---:|---:|---|---:|---:|---:|\n");
    double worst8 = 0;
    double worstSerialCalls = 0;
    for (JsonElement e : summary.getAsJsonArray("fanout")) {
      JsonObject s = e.getAsJsonObject();
      int n = s.get("instances").getAsInt();
      int threads = s.get("threads").getAsInt();
      long total = s.get("total").getAsLong();
      List<String> pcts = new ArrayList<>();
      for (Map.Entry<String, JsonElement> p : s.getAsJsonObject("perInstance").entrySet()) {
        pcts.add(String.format(Locale.ROOT, "%.2f%%", 100.0 * p.getValue().getAsLong() / total));
      }
      double dev = s.get("maxShareDeviation").getAsDouble();
      double calls = s.get("maxCallDeviation").getAsDouble();
      if (threads == 8) {
        worst8 = Math.max(worst8, dev);
      } else if (threads == 1) {
        worstSerialCalls = Math.max(worstSerialCalls, calls);
      }
      String shares = n > 8 ? String.format(Locale.ROOT, "%d instances, %.2f%% to %.2f%%", pcts.size(),
          s.getAsJsonObject("perInstance").entrySet().stream().mapToDouble(p -> 100.0 * p.getValue().getAsLong() / total).min().orElse(0),
          s.getAsJsonObject("perInstance").entrySet().stream().mapToDouble(p -> 100.0 * p.getValue().getAsLong() / total).max().orElse(0))
          : String.join(" / ", pcts);
      double ops = runs.stream().filter(r -> r.get("suite").getAsString().equals("fanout")
              && r.get("benchmark").getAsString().equals(s.get("benchmark").getAsString())
              && r.get("instances").getAsInt() == n).mapToDouble(r -> r.get("callsPerSecond").getAsDouble())
          .findFirst().orElse(Double.NaN);
      b.append(String.format(Locale.ROOT, "| %d | %d | %d | %s | %.4f%% | %.1f | %.0f |%n", n, threads, total, shares,
          dev * 100, calls, ops));
    }
    b.append("\n![per-instance share](fanout-shares.svg)\n");

    b.append("\n## Scale: 32 instances\n\n");
    JsonObject scale = summary.getAsJsonObject("scale");
    double t1 = fanoutCalls("threads64", 1);
    double t32 = fanoutCalls("threads64", 32);
    b.append("| figure | value |\n|---|---|\n");
    b.append(String.format(Locale.ROOT, "| calls/s, 64 caller threads, in-process: N = 1 / N = 32 | %.0f / %.0f |%n", t1, t32));
    b.append(String.format(Locale.ROOT, "| extra time per call with 32 instances (machine time, 1/calls/s) | %.2f µs |%n",
        1e6 / t32 - 1e6 / t1));
    if (scale != null) {
      b.append(String.format(Locale.ROOT, "| heap retained per ready channel over 32 instances | %.0f KiB |%n",
          scale.get("heapBytesPerChannel").getAsDouble() / 1024));
      double[] ready = scale.getAsJsonArray("fromEnvToReadyMillis").asList().stream()
          .mapToDouble(JsonElement::getAsDouble).toArray();
      b.append(String.format(Locale.ROOT, "| `fromEnv` to all 32 READY and SERVING (Netty loopback), median of %d "
          + "| %.0f ms (%.0f to %.0f) |%n", ready.length, median(ready), Arrays.stream(ready).min().orElse(0),
          Arrays.stream(ready).max().orElse(0)));
    }

    b.append("\n## Pick path: the SDK's own per-call work (ns/op)\n\n");
    b.append("| benchmark | threads | ns/op | ± (99.9 %) |\n|---|---:|---:|---:|\n");
    Map<String, Double> pick = new HashMap<>();
    for (JsonObject r : runs) {
      if (r.get("suite").getAsString().equals("pickpath")) {
        b.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f |%n", r.get("benchmark").getAsString(),
            r.get("threads").getAsInt(), r.get("nsPerOp").getAsDouble(), r.get("error").getAsDouble()));
        pick.put(r.get("benchmark").getAsString(), r.get("nsPerOp").getAsDouble());
      }
    }

    b.append("\n## Targets\n\n| target | measured | met |\n|---|---|---|\n");
    targets.forEach(b::append);
    // accounting1 = tracer + counting + attempt timer; the timer is its clock pair plus Micrometer's record
    double timer = pick.getOrDefault("clockPair", Double.NaN) + pick.getOrDefault("timerRecord", Double.NaN);
    double counting = pick.getOrDefault("accounting1", Double.NaN) - timer;
    b.append(String.format(Locale.ROOT, "| counting overhead <= 100 ns/call (accounting1 - clockPair - timerRecord) "
        + "| %.1f ns | %s |%n", counting, counting <= 100 ? "yes" : "no"));
    b.append(String.format(Locale.ROOT, "| deadline task on the SDK's timer (schedule + cancel) <= 100 ns | %.1f ns "
        + "(grpc's default timer: %.1f ns) | %s |%n", pick.getOrDefault("deadlineTimerCoarse", Double.NaN),
        pick.getOrDefault("deadlineTimerGrpc", Double.NaN), pick.getOrDefault("deadlineTimerCoarse", 1e9) <= 100
            ? "yes" : "no"));
    b.append(String.format(Locale.ROOT, "| 8-thread fan-out max deviation <= 1 %% | %.4f %% | %s |%n", worst8 * 100,
        worst8 <= 0.01 ? "yes" : "no"));
    b.append(String.format(Locale.ROOT, "| serial fan-out exact +-1 call | max %.1f calls off | %s |%n",
        worstSerialCalls, worstSerialCalls <= 1.0 ? "yes" : "no"));
    return b.toString();
  }

  private void cpuBound(StringBuilder b) {
    b.append("## CPU-bound overhead: direct executors (1 caller thread)\n\n");
    b.append("Unary GetClusterConfig against a minimal in-process server; server and client on "
        + "`directExecutor()`, so a call runs on the caller's thread and calls/s is CPU work per call. The "
        + "server's deadline tasks run on a timer wheel in every setup (grpc's default timer would wake a thread "
        + "per call). calls/s: median over every measured iteration of every round; ratios: median of the "
        + "per-round ratios [99 % bootstrap interval].\n\n");
    b.append("| setup | calls/s | µs per call | bytes per call | / bare [99 %] |\n|---|---:|---:|---:|---|\n");
    List<String> setups = new ArrayList<>(BenchmarkRunner.BREAKDOWN);
    String previous = null;
    for (String s : setups) {
      List<double[]> r = rounds(s, 1);
      if (r.isEmpty()) {
        continue;
      }
      Double bytes = bytesPerCall(s);
      b.append(String.format(Locale.ROOT, "| %s | %.0f | %.2f%s | %s | %s |%n", s.substring("direct:".length()),
          medianOfAll(r), 1e6 / medianOfAll(r), previous == null ? "" : String.format(Locale.ROOT, " (%+.2f)",
              1e6 / medianOfAll(r) - 1e6 / medianOfAll(rounds(previous, 1))),
          bytes == null ? "" : String.format(Locale.ROOT, "%.0f", bytes), fmt(ratio(s, "direct:bare", 1))));
      previous = s;
    }
    b.append("\nIn brackets: µs added by the part that setup adds (the short run measures bare, "
        + "target-rr-deadline and sdk only).\n\n");
    b.append(String.format(Locale.ROOT, "A/A control (bare measured twice per round): %s.%n",
        fmt(ratio("direct:bare" + BenchmarkRunner.AGAIN, "direct:bare", 1))));
    target("SDK >= 0.95 x bare with the same deadline and round_robin (direct)",
        ratio("direct:sdk", "direct:target-rr-deadline", 1), 0.95);
    target("SDK >= 0.65 x bare (direct)", ratio("direct:sdk", "direct:bare", 1), 0.65);
  }

  /** Per fork, the rounds of one interleaved setup. */
  private List<double[]> forks(String setup) {
    Map<Integer, double[]> byFork = new TreeMap<>();
    for (JsonObject r : interleavedRows(setup)) {
      byFork.put(r.get("round").getAsInt(), doubles(r.getAsJsonArray("callsPerSecond")));
    }
    return new ArrayList<>(byFork.values());
  }

  private List<JsonObject> interleavedRows(String setup) {
    return runs.stream().filter(r -> r.get("suite").getAsString().equals("interleaved")
        && r.get("setup").getAsString().equals(setup)).toList();
  }

  private static double[] doubles(JsonArray a) {
    double[] v = new double[a.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = a.get(i).getAsDouble();
    }
    return v;
  }

  /** The interleaved suite over {@code setups}: calls/s, ratio to the first, per-fork ratios, CPU per call by thread. */
  private void interleavedTable(StringBuilder b, List<String> setups) {
    String prefix = setups.get(0).substring(0, setups.get(0).indexOf(':') + 1);
    List<double[]> base = forks(setups.get(0));
    TreeMap<String, Boolean> threadNames = new TreeMap<>();
    for (String s : setups) {
      interleavedRows(s).forEach(r -> r.getAsJsonObject("cpuNsPerCall").keySet().forEach(k -> threadNames.put(k, true)));
    }
    b.append("| setup | calls/s | / bare [99 %] | per fork |");
    threadNames.keySet().forEach(t -> b.append(" CPU ns/call: ").append(t).append(" |"));
    b.append("\n|---|---:|---|---|").append("---:|".repeat(threadNames.size())).append("\n");
    for (String s : setups) {
      List<double[]> f = forks(s);
      StringBuilder perFork = new StringBuilder();
      for (int i = 0; i < Math.min(f.size(), base.size()); i++) {
        perFork.append(i == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.3f",
            RatioStats.mean(f.get(i)) / RatioStats.mean(base.get(i))));
      }
      b.append(String.format(Locale.ROOT, "| %s | %.0f | %s | %s |", s.substring(prefix.length()), medianOfAll(f),
          fmt(RatioStats.pairedRatio(f, base)), perFork));
      for (String t : threadNames.keySet()) {
        double[] ns = interleavedRows(s).stream().filter(r -> r.getAsJsonObject("cpuNsPerCall").has(t))
            .mapToDouble(r -> r.getAsJsonObject("cpuNsPerCall").get(t).getAsDouble()).toArray();
        b.append(ns.length == 0 ? " |" : String.format(Locale.ROOT, " %.0f |", median(ns)));
      }
      b.append("\n");
    }
  }

  private void defaultExecutors(StringBuilder b) {
    List<double[]> bare = forks("minimal:bare");
    List<double[]> sdk = forks("minimal:sdk");
    if (bare.isEmpty() || sdk.isEmpty()) {
      return;
    }
    boolean pinned = interleavedRows("minimal:bare").get(0).get("pinned").getAsBoolean();
    b.append("\n## Default executors (1 caller thread), interleaved\n\n");
    b.append("The same minimal server and calls on grpc's default executors (a hand-off to a pool thread on each "
        + "side), " + (pinned ? "each fork pinned to one CPU" : "unpinned (no taskset)") + ". In separate JMH forks "
        + "each fork settled into one of a few speeds (±5 %, decided by its hand-off pattern); so here every setup "
        + "runs in every fork, in alternating blocks of calls, and the rounds of a fork are paired. calls/s: median "
        + "of every block; ratios: median of the per-fork ratios [99 % bootstrap over forks, then paired rounds]; "
        + "CPU: each thread group's CPU time over the setup's calls, median over forks (the caller is `main`, grpc's "
        + "pools `grpc-default-executor-N`, the timer wheel `sfdb-coarse-timer`; GC and JIT threads are not "
        + "counted).\n\n");
    interleavedTable(b, BenchmarkRunner.DEFAULT_EXECUTORS);
    target("SDK >= 0.95 x bare (default executors)", RatioStats.pairedRatio(sdk, bare), 0.95);
    List<String> check = BenchmarkRunner.DIRECT_INTERLEAVED;
    if (!forks(check.get(0)).isEmpty()) {
      b.append("\nThe instrument checked: the direct setups interleaved the same way (unpinned), against their "
          + "separate JMH forks above. One JVM shares the call path's JIT profiles between the setups; this shows "
          + "what that moves.\n\n");
      interleavedTable(b, check);
      b.append(String.format(Locale.ROOT, "%nSDK / bare, direct: interleaved %s, separate JMH forks %s.%n",
          fmt(RatioStats.pairedRatio(forks("direct:sdk"), forks("direct:bare"))),
          fmt(ratio("direct:sdk", "direct:bare", 1))));
    }
  }

  private void transports(StringBuilder b) {
    if (rounds("netty:bare", 1).isEmpty()) {
      return;
    }
    b.append("\n## Over the transports (the testkit's fake instance; long run)\n\n");
    b.append("| transport | threads | bare calls/s | SDK calls/s | SDK / bare |\n|---|---:|---:|---:|---|\n");
    for (String t : List.of("inprocess", "netty", "remote")) {
      for (int threads : List.of(1, 8)) {
        List<double[]> bare = rounds(t + ":bare", threads);
        List<double[]> sdk = rounds(t + ":sdk", threads);
        if (!bare.isEmpty() && !sdk.isEmpty()) {
          b.append(String.format(Locale.ROOT, "| %s | %d | %.0f | %.0f | %s |%n", t, threads, medianOfAll(bare),
              medianOfAll(sdk), fmt(RatioStats.ratio(sdk, bare))));
        }
      }
    }
    b.append(String.format(Locale.ROOT, "%nA/A control, Netty, 1 thread: %s.%n",
        fmt(ratio("netty:bare" + BenchmarkRunner.AGAIN, "netty:bare", 1))));
  }

  private void openLoop(StringBuilder b) {
    List<JsonObject> rows = runs.stream().filter(r -> r.get("suite").getAsString().equals("openloop")).toList();
    if (rows.isEmpty()) {
      return;
    }
    b.append(String.format(Locale.ROOT, "%n## One slow instance, open loop (3 Netty instances, one %d ms late)%n%n",
        OpenLoopHarness.SLOW_MILLIS));
    b.append("Poisson arrivals at a fixed rate from a sender that never waits; latency from each call's intended "
        + "send time (HdrHistogram). `fast_only`: round_robin over the two fast instances alone, the floor any "
        + "policy can reach, measured twice (`fast_only again`: the A/A control); the policies of a round run over "
        + "the same arrivals (one sender starts a call on every policy's channel at each intended time, in a "
        + "rotating order). Medians over rounds; p99 / floor: median of the per-round ratios [lowest, highest "
        + "round].\n\n");
    b.append("| instances | calls/s | policy | p50 µs | p99 µs | p99.9 µs | slow instance's share | p99 / floor |\n");
    b.append("|---|---:|---|---:|---:|---:|---:|---|\n");
    for (String tier : List.of("netty", "remote")) {
      for (int rate : BenchmarkRunner.OPEN_LOOP_RATES) {
        double[] floor = p99s(rows, tier, rate, OpenLoopHarness.FAST_ONLY);
        for (String policy : OpenLoopHarness.POLICIES) {
          List<JsonObject> seg = segments(rows, tier, rate, policy);
          if (seg.isEmpty()) {
            continue;
          }
          double[] perRound = RatioStats.perRound(p99s(rows, tier, rate, policy), floor);
          b.append(String.format(Locale.ROOT, "| %s | %d | %s | %.0f | %.0f | %.0f | %.2f %% | %s |%n",
              tier.equals("netty") ? "this JVM" : "separate JVM", rate, policy, median(col(seg, "p50")),
              median(col(seg, "p99")), median(col(seg, "p999")), 100 * median(col(seg, "slowShare")),
              perRound == null ? "" : String.format(Locale.ROOT, "%.2f [%.2f, %.2f]", perRound[0], perRound[1],
                  perRound[2])));
          if (policy.equals("peak_ewma") && perRound != null) {
            // the median of ratios of calls made at the same moments: one disturbed round moves it little
            target(String.format(Locale.ROOT, "peak_ewma p99 <= 1.2 x the fast-only floor (%s, %d calls/s; "
                + "median [lowest, highest round], side by side)", tier, rate), perRound, 1.2, true);
          }
        }
      }
    }
    List<JsonObject> pooled = runs.stream().filter(r -> r.get("suite").getAsString().equals("openloop-pooled"))
        .toList();
    if (pooled.isEmpty()) {
      return;
    }
    b.append("\nPooled: the p99 of all a policy's measured calls over every round, over the floor's "
        + "[95 % bootstrap interval, rounds drawn with replacement]. The policies ran side by side, so a round's "
        + "noise fell on all of them; a pooled p99 is set by the most disturbed round, so the target above uses "
        + "the per-round median.\n\n| instances | calls/s | policy | calls | p99 µs | p99 / floor |\n"
        + "|---|---:|---|---:|---:|---|\n");
    for (JsonObject r : pooled) {
      String tier = r.get("tier").getAsString();
      String policy = r.get("policy").getAsString();
      int rate = r.get("rate").getAsInt();
      b.append(String.format(Locale.ROOT, "| %s | %d | %s | %d | %.0f | %.2f [%.2f, %.2f] |%n",
          tier.equals("netty") ? "this JVM" : "separate JVM", rate, policy, r.get("calls").getAsLong(),
          r.get("p99").getAsDouble(), r.get("ratio").getAsDouble(), r.get("low").getAsDouble(),
          r.get("high").getAsDouble()));
    }
  }

  private static List<JsonObject> segments(List<JsonObject> rows, String tier, int rate, String policy) {
    return rows.stream().filter(r -> r.get("tier").getAsString().equals(tier) && r.get("rate").getAsInt() == rate
        && r.get("policy").getAsString().equals(policy)).sorted(java.util.Comparator.comparingInt(
            (JsonObject r) -> r.get("round").getAsInt())).toList();
  }

  private static double[] p99s(List<JsonObject> rows, String tier, int rate, String policy) {
    List<JsonObject> seg = segments(rows, tier, rate, policy);
    return seg.isEmpty() ? null : col(seg, "p99");
  }

  /** A ratio target is met when the median meets it; the interval says how sure that is. */
  private void target(String what, double[] r, double min) {
    target(what, r, min, false);
  }

  private void target(String what, double[] r, double bound, boolean atMost) {
    if (r == null) {
      return;
    }
    boolean median = atMost ? r[0] <= bound : r[0] >= bound;
    boolean whole = atMost ? r[2] <= bound : r[1] >= bound;
    targets.add(String.format(Locale.ROOT, "| %s | %s x | %s |%n", what, fmt(r),
        median ? (whole ? "yes" : "yes (the estimate; the interval reaches past it)") : "no"));
  }

  private double fanoutCalls(String benchmark, int n) {
    return runs.stream().filter(r -> r.get("suite").getAsString().equals("fanout")
            && r.get("benchmark").getAsString().equals(benchmark) && r.get("instances").getAsInt() == n)
        .mapToDouble(r -> r.get("callsPerSecond").getAsDouble()).findFirst().orElse(Double.NaN);
  }

  private static double[] col(List<JsonObject> rows, String field) {
    return rows.stream().mapToDouble(r -> r.get(field).getAsDouble()).toArray();
  }
}
