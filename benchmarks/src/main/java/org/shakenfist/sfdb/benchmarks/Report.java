package org.shakenfist.sfdb.benchmarks;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/** Turns {@code summary.json} into Markdown tables and the fan-out SVG. */
final class Report {
  private static final int RESAMPLES = 10_000;
  private final JsonObject summary;
  private final List<JsonObject> runs = new ArrayList<>();

  Report(JsonObject summary) {
    this.summary = summary;
    summary.getAsJsonArray("runs").forEach(e -> runs.add(e.getAsJsonObject()));
  }

  /** Per round, the iterations of one overhead setup at one thread count. */
  private List<double[]> rounds(String setup, int threads) {
    Map<Integer, double[]> byRound = new TreeMap<>();
    for (JsonObject r : runs) {
      if (r.get("suite").getAsString().equals("overhead") && r.get("setup").getAsString().equals(setup)
          && r.get("threads").getAsInt() == threads) {
        JsonArray a = r.getAsJsonArray("callsPerSecond");
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = a.get(i).getAsDouble();
        }
        byRound.put(r.get("round").getAsInt(), v);
      }
    }
    return new ArrayList<>(byRound.values());
  }

  private static double mean(double[] v) {
    return Arrays.stream(v).average().orElse(Double.NaN);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  private static double medianOfAll(List<double[]> rounds) {
    return median(rounds.stream().flatMapToDouble(Arrays::stream).toArray());
  }

  /**
   * Ratio num/den of two setups measured in the same rounds: the median of the per-round ratios of means, and
   * a 99 % percentile-bootstrap interval (rounds resampled, then iterations within each resampled round; the
   * two setups share the resampled round, as they shared the machine).
   */
  static double[] ratio(List<double[]> num, List<double[]> den) {
    int rounds = Math.min(num.size(), den.size());
    if (rounds == 0) {
      return null;
    }
    double[] perRound = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      perRound[r] = mean(num.get(r)) / mean(den.get(r));
    }
    Random random = new Random(42);
    double[] boot = new double[RESAMPLES];
    for (int b = 0; b < RESAMPLES; b++) {
      double sumN = 0;
      double sumD = 0;
      int countN = 0;
      int countD = 0;
      for (int k = 0; k < rounds; k++) {
        int r = random.nextInt(rounds);
        double[] n = num.get(r);
        double[] d = den.get(r);
        for (int i = 0; i < n.length; i++) {
          sumN += n[random.nextInt(n.length)];
        }
        for (int i = 0; i < d.length; i++) {
          sumD += d[random.nextInt(d.length)];
        }
        countN += n.length;
        countD += d.length;
      }
      boot[b] = (sumN / countN) / (sumD / countD);
    }
    Arrays.sort(boot);
    return new double[] {median(perRound), boot[(int) (0.005 * RESAMPLES)], boot[(int) (0.995 * RESAMPLES) - 1], rounds};
  }

  private static String fmt(double[] r) {
    return r == null ? "n/a" : String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", r[0], r[1], r[2]);
  }

  private double[] ratio(String num, String den, int threads) {
    return ratio(rounds(num, threads), rounds(den, threads));
  }

  String markdown() {
    JsonObject meta = summary.getAsJsonObject("meta");
    StringBuilder b = new StringBuilder("# sfdb-client benchmark results\n\n");
    b.append(String.format(Locale.ROOT, "Run %s on %d cores, %d GiB, %s; %s; %s minutes. Generated from "
        + "`summary.json`.%n%n", meta.get("date").getAsString(), meta.get("cores").getAsInt(),
        meta.get("memGiB").getAsInt(), meta.get("jvm").getAsString(), meta.get("settings").getAsString(),
        meta.get("minutes").getAsString()));

    b.append("## SDK against bare grpc-java, side by side\n\n");
    b.append("Unary GetClusterConfig, one instance. calls/s: median over every measured iteration of every round. "
        + "Ratio: median of the per-round ratios [99 % bootstrap interval].\n\n");
    b.append("| transport | threads | bare calls/s | bare + 30 s deadline | SDK calls/s | SDK / bare | SDK / bare + deadline |\n");
    b.append("|---|---:|---:|---:|---:|---|---|\n");
    for (String t : List.of("inprocess", "netty", "remote")) {
      for (int threads : List.of(1, 8)) {
        List<double[]> bare = rounds(t + ":bare", threads);
        List<double[]> sdk = rounds(t + ":sdk", threads);
        if (bare.isEmpty() || sdk.isEmpty()) {
          continue;
        }
        List<double[]> deadline = rounds(t + ":bare-deadline", threads);
        b.append(String.format(Locale.ROOT, "| %s | %d | %.0f | %s | %.0f | %s | %s |%n", t, threads,
            medianOfAll(bare), deadline.isEmpty() ? "" : String.format(Locale.ROOT, "%.0f", medianOfAll(deadline)),
            medianOfAll(sdk), fmt(ratio(sdk, bare)), deadline.isEmpty() ? "" : fmt(ratio(sdk, deadline))));
      }
    }
    b.append("\n`netty`: loopback, gateway instances in the benchmark's JVM; `remote`: loopback, instances in a "
        + "separate JVM (as in production).\n");
    b.append("\nA/A control: the same bare setup measured twice in every round, as two setups. Its ratio would be "
        + "1.000 with a perfect method; its interval is what a ratio of this run can resolve.\n\n");
    b.append("| setup | threads | bare (second) / bare [99 %] |\n|---|---:|---|\n");
    for (String s : BenchmarkRunner.ONE_THREAD) {
      if (s.endsWith(BenchmarkRunner.AGAIN)) {
        String base = s.substring(0, s.length() - BenchmarkRunner.AGAIN.length());
        b.append(String.format(Locale.ROOT, "| %s | 1 | %s |%n", base, fmt(ratio(s, base, 1))));
      }
    }

    b.append("\n## Where the in-process time goes (1 caller thread)\n\n");
    b.append("Each setup adds one part of the SDK's channel to the one above it (long run only; setups a run "
        + "did not measure are left out).\n\n");
    b.append("| setup | calls/s | µs per call | vs previous, µs | / bare [99 %] |\n|---|---:|---:|---:|---|\n");
    String previous = null;
    for (String s : BenchmarkRunner.BREAKDOWN) {
      List<double[]> r = rounds(s, 1);
      if (r.isEmpty()) {
        continue;
      }
      double us = 1e6 / medianOfAll(r);
      String delta = "";
      if (previous != null && !s.equals("inprocess:target")) {
        delta = String.format(Locale.ROOT, "%+.2f", us - 1e6 / medianOfAll(rounds(previous, 1)));
      } else if (s.equals("inprocess:target")) {
        delta = String.format(Locale.ROOT, "%+.2f (vs bare)", us - 1e6 / medianOfAll(rounds("inprocess:bare", 1)));
      }
      b.append(String.format(Locale.ROOT, "| %s | %.0f | %.2f | %s | %s |%n", s.substring("inprocess:".length()),
          medianOfAll(r), us, delta, fmt(ratio(s, "inprocess:bare", 1))));
      previous = s;
    }

    b.append("\n## One slow instance (3 Netty instances, one 5 ms late, 8 caller threads)\n\n");
    b.append("| policy | rounds | p50 µs | p99 µs | p99.9 µs | calls/s | slow instance's share |\n");
    b.append("|---|---:|---:|---:|---:|---:|---:|\n");
    Map<String, double[]> p99 = new TreeMap<>();
    for (String policy : BenchmarkRunner.SLOW_POLICIES) {
      List<JsonObject> rows = runs.stream().filter(r -> r.get("suite").getAsString().equals("slow")
          && r.get("policy").getAsString().equals(policy)).toList();
      if (rows.isEmpty()) {
        continue;
      }
      double[] shares = summary.getAsJsonArray("slowShares").asList().stream().map(JsonElement::getAsJsonObject)
          .filter(o -> o.get("policy").getAsString().equals(policy)).mapToDouble(o -> o.get("slowShare").getAsDouble())
          .toArray();
      p99.put(policy, rows.stream().mapToDouble(r -> r.get("p99").getAsDouble()).toArray());
      b.append(String.format(Locale.ROOT, "| %s | %d | %.0f | %.0f | %.0f | %.0f | %.2f %% |%n", policy, rows.size(),
          median(col(rows, "p50")), median(col(rows, "p99")), median(col(rows, "p999")),
          median(col(rows, "callsPerSecond")), 100 * median(shares)));
    }
    double[] lrOverRr = perRound(p99.get("least_request"), p99.get("round_robin"));
    double[] floor = perRound(p99.get("fast_only"), p99.get("round_robin"));
    if (lrOverRr != null) {
      b.append(String.format(Locale.ROOT, "%nMedians over rounds. p99 least_request / round_robin: %.3f (per round "
          + "%.3f to %.3f).%n", lrOverRr[0], lrOverRr[1], lrOverRr[2]));
    }
    if (floor != null) {
      b.append(String.format(Locale.ROOT, "%n`fast_only` is the control: round_robin over the two fast instances "
          + "alone, i.e. a policy that never picks the slow one. p99 fast_only / round_robin: %.3f (per round %.3f "
          + "to %.3f), the floor for any policy on this machine.%n", floor[0], floor[1], floor[2]));
    }

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
    target(b, "SDK in-process >= 0.95 x bare (1 thread)", ratio("inprocess:sdk", "inprocess:bare", 1), 0.95);
    target(b, "SDK in-process >= 0.95 x bare (8 threads)", ratio("inprocess:sdk", "inprocess:bare", 8), 0.95);
    target(b, "SDK in-process >= 1.0 x bare with 30 s deadline (1 thread)",
        ratio("inprocess:sdk", "inprocess:bare-deadline", 1), 1.0);
    target(b, "SDK in-process >= 1.0 x bare with 30 s deadline (8 threads)",
        ratio("inprocess:sdk", "inprocess:bare-deadline", 8), 1.0);
    target(b, "SDK Netty loopback >= 0.95 x bare (1 thread)", ratio("netty:sdk", "netty:bare", 1), 0.95);
    target(b, "SDK Netty loopback >= 0.95 x bare (8 threads)", ratio("netty:sdk", "netty:bare", 8), 0.95);
    target(b, "SDK Netty, separate server JVM >= 0.95 x bare (1 thread)", ratio("remote:sdk", "remote:bare", 1), 0.95);
    target(b, "SDK Netty, separate server JVM >= 0.95 x bare (8 threads)", ratio("remote:sdk", "remote:bare", 8), 0.95);
    if (lrOverRr != null) {
      b.append(String.format(Locale.ROOT, "| p99 with one slow instance, least_request <= 0.5 x round_robin | %.3f x%s | %s |%n",
          lrOverRr[0], floor == null ? "" : String.format(Locale.ROOT, " (floor, fast_only: %.3f x)", floor[0]),
          lrOverRr[0] <= 0.5 ? "yes" : "no"));
    }
    // accounting1 = tracer + counting + attempt timer; the timer is its clock pair plus Micrometer's record
    double timer = pick.getOrDefault("clockPair", Double.NaN) + pick.getOrDefault("timerRecord", Double.NaN);
    double counting = pick.getOrDefault("accounting1", Double.NaN) - timer;
    b.append(String.format(Locale.ROOT, "| counting overhead <= 100 ns/call (accounting1 - clockPair - timerRecord) "
        + "| %.1f ns | %s |%n", counting, counting <= 100 ? "yes" : "no"));
    b.append(String.format(Locale.ROOT, "| attempt timer <= 100 ns/call (clockPair + timerRecord) | %.1f ns | %s |%n",
        timer, timer <= 100 ? "yes" : "no"));
    b.append(String.format(Locale.ROOT, "| 8-thread fan-out max deviation <= 1 %% | %.4f %% | %s |%n", worst8 * 100,
        worst8 <= 0.01 ? "yes" : "no"));
    b.append(String.format(Locale.ROOT, "| serial fan-out exact +-1 call | max %.1f calls off | %s |%n",
        worstSerialCalls, worstSerialCalls <= 1.0 ? "yes" : "no"));
    return b.toString();
  }

  /** A ratio target is met when the median meets it; the interval says how sure that is. */
  private static void target(StringBuilder b, String what, double[] r, double min) {
    if (r == null) {
      return;
    }
    b.append(String.format(Locale.ROOT, "| %s | %s x | %s |%n", what, fmt(r),
        r[0] >= min ? (r[1] >= min ? "yes" : "yes (median; interval reaches below)") : "no"));
  }

  /** Median, min and max over rounds of num[i] / den[i]; null when either is missing. */
  private static double[] perRound(double[] num, double[] den) {
    if (num == null || den == null) {
      return null;
    }
    int n = Math.min(num.length, den.length);
    double[] r = new double[n];
    for (int i = 0; i < n; i++) {
      r[i] = num[i] / den[i];
    }
    return new double[] {median(r), Arrays.stream(r).min().orElse(Double.NaN), Arrays.stream(r).max().orElse(Double.NaN)};
  }

  private double fanoutCalls(String benchmark, int n) {
    return runs.stream().filter(r -> r.get("suite").getAsString().equals("fanout")
            && r.get("benchmark").getAsString().equals(benchmark) && r.get("instances").getAsInt() == n)
        .mapToDouble(r -> r.get("callsPerSecond").getAsDouble()).findFirst().orElse(Double.NaN);
  }

  private static double[] col(List<JsonObject> rows, String field) {
    return rows.stream().mapToDouble(r -> r.get(field).getAsDouble()).toArray();
  }

  /** Grouped bars: one group per (N, threads) scenario of up to 8 instances, one bar per instance. */
  String svg() {
    int groupGap = 30;
    int barW = 14;
    int height = 260;
    int top = 40;
    int plotH = 160;
    int x = 60;
    StringBuilder bars = new StringBuilder();
    String[] colors = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7"};
    for (JsonElement e : summary.getAsJsonArray("fanout")) {
      JsonObject s = e.getAsJsonObject();
      int n = s.get("instances").getAsInt();
      if (n < 2 || n > 8) {
        continue;
      }
      long total = s.get("total").getAsLong();
      int start = x;
      int i = 0;
      for (Map.Entry<String, JsonElement> p : s.getAsJsonObject("perInstance").entrySet()) {
        double share = p.getValue().getAsLong() / (double) total;
        int h = (int) Math.round(share / 0.6 * plotH);
        bars.append(String.format(Locale.ROOT,
            "<rect x='%d' y='%d' width='%d' height='%d' fill='%s'><title>%s: %.2f%%</title></rect>%n", x,
            top + plotH - h, barW - 2, h, colors[i % colors.length], p.getKey(), share * 100));
        x += barW;
        i++;
      }
      int ideal = top + plotH - (int) Math.round((1.0 / n) / 0.6 * plotH);
      bars.append(String.format(Locale.ROOT,
          "<line x1='%d' x2='%d' y1='%d' y2='%d' stroke='black' stroke-dasharray='3,2'/>%n", start - 2, x, ideal, ideal));
      bars.append(String.format(Locale.ROOT,
          "<text x='%d' y='%d' font-size='11' text-anchor='middle'>N=%d, %d thr</text>%n", (start + x) / 2,
          top + plotH + 16, n, s.get("threads").getAsInt()));
      x += groupGap;
    }
    int width = x + 20;
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT,
        "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif'>%n", width, height));
    svg.append("<rect width='100%' height='100%' fill='white'/>\n");
    svg.append("<text x='10' y='20' font-size='14'>Per-instance share of calls (dashed: 1/N), generated from "
        + "summary.json</text>\n");
    for (int pct = 0; pct <= 60; pct += 10) {
      int y = top + plotH - (int) Math.round(pct / 60.0 * plotH);
      svg.append(String.format(Locale.ROOT,
          "<line x1='50' x2='%d' y1='%d' y2='%d' stroke='#ddd'/><text x='45' y='%d' font-size='10' "
              + "text-anchor='end'>%d%%</text>%n", width - 10, y, y, y + 3, pct));
    }
    svg.append(bars);
    svg.append("</svg>\n");
    return svg.toString();
  }
}
