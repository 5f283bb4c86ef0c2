package org.shakenfist.sfdb.benchmarks;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the suite and writes, into the results directory: {@code jmh-results.json} (JMH),
 * {@code fanout-shares.jsonl} (per-instance shares), {@code results.md} (tables with the SDK/bare ratios and
 * the targets) and {@code fanout-shares.svg} (bar chart of the shares).
 *
 * <p>Arguments: results directory, {@code true} for the long settings, and optionally {@code report-only} to
 * regenerate the Markdown and SVG from an existing {@code jmh-results.json} without running anything.
 */
public final class BenchmarkRunner {
  private BenchmarkRunner() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "results").toAbsolutePath();
    boolean longRun = args.length > 1 && Boolean.parseBoolean(args[1]);
    boolean reportOnly = args.length > 2 && "report-only".equals(args[2]);
    Files.createDirectories(dir);
    Path json = dir.resolve("jmh-results.json");
    if (!reportOnly) {
      run(dir, json, longRun);
    }
    Report report = new Report(JsonParser.parseString(Files.readString(json)).getAsJsonArray(),
        readLines(dir.resolve("fanout-shares.jsonl")), longRun);
    Files.writeString(dir.resolve("results.md"), report.markdown(), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("fanout-shares.svg"), report.svg(), StandardCharsets.UTF_8);
    System.out.println("\nbenchmark results written to " + dir + ": jmh-results.json, fanout-shares.jsonl, results.md, "
        + "fanout-shares.svg");
  }

  private static void run(Path dir, Path json, boolean longRun) throws Exception {
    Files.deleteIfExists(dir.resolve("fanout-shares.jsonl"));
    Options options = new OptionsBuilder()
        .include(OverheadBenchmark.class.getSimpleName())
        .include(FanOutBenchmark.class.getSimpleName())
        .include(PickPathBenchmark.class.getSimpleName())
        .forks(1)
        .warmupIterations(longRun ? 3 : 1)
        .warmupTime(TimeValue.seconds(longRun ? 5 : 2))
        .measurementIterations(longRun ? 5 : 3)
        .measurementTime(TimeValue.seconds(longRun ? 5 : 2))
        .jvmArgsAppend("-Dsfdb.bench.results=" + dir, "-Djava.util.logging.config.file=/dev/null")
        .resultFormat(ResultFormatType.JSON)
        .result(json.toString())
        .build();
    new Runner(options).run();
  }

  private static List<JsonObject> readLines(Path p) throws IOException {
    List<JsonObject> out = new ArrayList<>();
    if (Files.exists(p)) {
      for (String line : Files.readAllLines(p)) {
        if (!line.isBlank()) {
          out.add(JsonParser.parseString(line).getAsJsonObject());
        }
      }
    }
    return out;
  }

  /** Turns JMH's JSON and the share lines into Markdown and SVG. */
  static final class Report {
    private final JsonArray jmh;
    private final List<JsonObject> shares;
    private final boolean longRun;

    Report(JsonArray jmh, List<JsonObject> shares, boolean longRun) {
      this.jmh = jmh;
      this.shares = shares;
      this.longRun = longRun;
    }

    private List<JsonObject> find(String benchmarkSuffix, String mode) {
      List<JsonObject> out = new ArrayList<>();
      for (JsonElement e : jmh) {
        JsonObject o = e.getAsJsonObject();
        if (o.get("benchmark").getAsString().contains(benchmarkSuffix) && o.get("mode").getAsString().equals(mode)) {
          out.add(o);
        }
      }
      return out;
    }

    private static String param(JsonObject o, String name) {
      JsonObject params = o.getAsJsonObject("params");
      return params == null || !params.has(name) ? "" : params.get(name).getAsString();
    }

    private static double score(JsonObject o) {
      return o.getAsJsonObject("primaryMetric").get("score").getAsDouble();
    }

    private static String error(JsonObject o) {
      JsonElement e = o.getAsJsonObject("primaryMetric").get("scoreError");
      return e == null || e.getAsString().equals("NaN") ? "n/a" : String.format(Locale.ROOT, "%.1f", e.getAsDouble());
    }

    /** Throughput error in calls per second. */
    private static String errorPerSecond(JsonObject o) {
      JsonElement e = o.getAsJsonObject("primaryMetric").get("scoreError");
      if (e == null || e.getAsString().equals("NaN")) {
        return "n/a";
      }
      return String.format(Locale.ROOT, "%.0f", perSecond(o) * e.getAsDouble() / score(o));
    }

    /** Throughput in calls per second, whatever JMH's output unit. */
    private static double perSecond(JsonObject o) {
      String unit = o.getAsJsonObject("primaryMetric").get("scoreUnit").getAsString();
      double factor = switch (unit) {
        case "ops/us" -> 1e6;
        case "ops/ms" -> 1e3;
        default -> 1;
      };
      return score(o) * factor;
    }

    /** Sample-mode percentile in microseconds. */
    private static double percentile(JsonObject o, String p) {
      return micros(o, o.getAsJsonObject("primaryMetric").getAsJsonObject("scorePercentiles").get(p).getAsDouble());
    }

    private static double micros(JsonObject o, double value) {
      String unit = o.getAsJsonObject("primaryMetric").get("scoreUnit").getAsString();
      return unit.startsWith("ms") ? value * 1000 : unit.startsWith("ns") ? value / 1000 : value;
    }

    String markdown() {
      StringBuilder b = new StringBuilder();
      int cores = Runtime.getRuntime().availableProcessors();
      long memGiB = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
          .getTotalMemorySize() >> 30;
      b.append("# sfdb-client benchmark results\n\n");
      b.append(String.format(Locale.ROOT, "Run %s on %d cores, %d GiB, %s %s; %s settings (1 fork, %s).%n%n",
          LocalDate.now(), cores, memGiB, System.getProperty("java.vm.name"), System.getProperty("java.version"),
          longRun ? "long" : "short", longRun ? "3x5 s warm-up, 5x5 s measurement" : "1x2 s warm-up, 3x2 s measurement"));

      Map<String, Double> thrpt = new LinkedHashMap<>();
      Map<String, JsonObject> sample = new LinkedHashMap<>();
      for (JsonObject o : find("OverheadBenchmark.getClusterConfig", "thrpt")) {
        thrpt.put(param(o, "setup"), perSecond(o));
      }
      for (JsonObject o : find("OverheadBenchmark.getClusterConfig", "sample")) {
        sample.put(param(o, "setup"), o);
      }
      b.append("## Overhead: unary GetClusterConfig, 1 caller thread\n\n");
      b.append("| setup (transport:kind:instances) | calls/s | ± calls/s (99.9 %) | vs bare | vs bare-deadline | p50 µs "
          + "| p99 µs | mean µs |\n");
      b.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
      for (JsonObject o : find("OverheadBenchmark.getClusterConfig", "thrpt")) {
        String setup = param(o, "setup");
        String transport = setup.split(":")[0];
        Double bare = thrpt.get(transport + ":bare:1");
        Double bareDeadline = thrpt.get(transport + ":bare-deadline:1");
        JsonObject s = sample.get(setup);
        b.append(String.format(Locale.ROOT, "| %s | %.0f | %s | %s | %s | %s | %s | %s |%n", setup, perSecond(o), errorPerSecond(o),
            bare == null ? "" : String.format(Locale.ROOT, "%.3f", perSecond(o) / bare),
            bareDeadline == null ? "" : String.format(Locale.ROOT, "%.3f", perSecond(o) / bareDeadline),
            s == null ? "" : String.format(Locale.ROOT, "%.1f", percentile(s, "50.0")),
            s == null ? "" : String.format(Locale.ROOT, "%.1f", percentile(s, "99.0")),
            s == null ? "" : String.format(Locale.ROOT, "%.1f", micros(s, score(s)))));
      }

      b.append("\n## Cost of per-endpoint counting\n\n");
      b.append("| transport | mean µs with counting | without | difference ns |\n|---|---:|---:|---:|\n");
      for (String t : List.of("inprocess", "netty")) {
        JsonObject with = sample.get(t + ":sdk:1");
        JsonObject without = sample.get(t + ":sdk-nocount:1");
        if (with != null && without != null) {
          double w = micros(with, score(with));
          double wo = micros(without, score(without));
          b.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.0f |%n", t, w, wo, (w - wo) * 1000));
        }
      }

      b.append("\n## Pick path: the SDK's own per-call work (ns/op, contended)\n\n");
      b.append("| benchmark | threads | ns/op | ± |\n|---|---:|---:|---:|\n");
      for (JsonObject o : find("PickPathBenchmark.", "avgt")) {
        String name = o.get("benchmark").getAsString().replaceAll(".*\\.", "");
        b.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %s |%n", name, o.get("threads").getAsInt(), score(o),
            error(o)));
      }

      b.append("\n## Even fan-out (in-process, every call of the trial)\n\n");
      b.append("| N | threads | calls | per-instance share | max abs(share - 1/N) | max deviation (calls) | calls/s |\n");
      b.append("|---:|---:|---:|---|---:|---:|---:|\n");
      Map<String, Double> fanThrpt = new LinkedHashMap<>();
      for (JsonObject o : find("FanOutBenchmark.", "thrpt")) {
        fanThrpt.put(o.get("benchmark").getAsString().replaceAll(".*\\.", "") + ":" + param(o, "instances"), perSecond(o));
      }
      double worst8 = 0;
      double worstSerialCalls = 0;
      for (JsonObject s : shares) {
        int n = s.get("instances").getAsInt();
        int threads = s.get("threads").getAsInt();
        long total = s.get("total").getAsLong();
        List<String> pcts = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : s.getAsJsonObject("perInstance").entrySet()) {
          pcts.add(String.format(Locale.ROOT, "%.2f%%", 100.0 * e.getValue().getAsLong() / total));
        }
        double dev = s.get("maxShareDeviation").getAsDouble();
        double calls = s.get("maxCallDeviation").getAsDouble();
        if (threads == 8) {
          worst8 = Math.max(worst8, dev);
        } else {
          worstSerialCalls = Math.max(worstSerialCalls, calls);
        }
        Double ops = fanThrpt.get(s.get("benchmark").getAsString() + ":" + n);
        b.append(String.format(Locale.ROOT, "| %d | %d | %d | %s | %.4f%% | %.1f | %s |%n", n, threads, total,
            String.join(" / ", pcts), dev * 100, calls, ops == null ? "" : String.format(Locale.ROOT, "%.0f", ops)));
      }
      b.append("\n![per-instance share](fanout-shares.svg)\n");

      b.append("\n## Targets\n\n| target | measured | met |\n|---|---|---|\n");
      Double bareIn = thrpt.get("inprocess:bare:1");
      Double bareDeadlineIn = thrpt.get("inprocess:bare-deadline:1");
      Double sdkIn = thrpt.get("inprocess:sdk:1");
      if (bareIn != null && sdkIn != null) {
        double r = sdkIn / bareIn;
        b.append(String.format(Locale.ROOT, "| SDK 1-instance in-process throughput >= 0.95 x bare | %.3f x | %s |%n", r,
            r >= 0.95 ? "yes" : "no"));
      }
      if (bareDeadlineIn != null && sdkIn != null) {
        double r = sdkIn / bareDeadlineIn;
        b.append(String.format(Locale.ROOT,
            "| (same, against bare with the SDK's 30 s per-call deadline) | %.3f x | %s |%n", r, r >= 0.95 ? "yes" : "no"));
      }
      double counting = Double.NaN;
      for (JsonObject o : find("PickPathBenchmark.accounting1", "avgt")) {
        counting = score(o);
      }
      b.append(String.format(Locale.ROOT, "| counting overhead <= 100 ns/call (accounting, 1 thread) | %.1f ns | %s |%n",
          counting, counting <= 100 ? "yes" : "no"));
      b.append(String.format(Locale.ROOT, "| 8-thread fan-out max deviation <= 1 %% | %.4f %% | %s |%n", worst8 * 100,
          worst8 <= 0.01 ? "yes" : "no"));
      b.append(String.format(Locale.ROOT, "| serial fan-out exact +-1 call | max %.1f calls off | %s |%n",
          worstSerialCalls, worstSerialCalls <= 1.0 ? "yes" : "no"));
      return b.toString();
    }

    /** Grouped bars: one group per (N, threads) scenario, one bar per instance, a line at 1/N. */
    String svg() {
      int groupGap = 30;
      int barW = 14;
      int height = 260;
      int top = 40;
      int plotH = 160;
      int x = 60;
      StringBuilder bars = new StringBuilder();
      String[] colors = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7"};
      for (JsonObject s : shares) {
        int n = s.get("instances").getAsInt();
        long total = s.get("total").getAsLong();
        int start = x;
        int i = 0;
        for (Map.Entry<String, JsonElement> e : s.getAsJsonObject("perInstance").entrySet()) {
          double share = e.getValue().getAsLong() / (double) total;
          int h = (int) Math.round(share / 0.6 * plotH);
          bars.append(String.format(Locale.ROOT,
              "<rect x='%d' y='%d' width='%d' height='%d' fill='%s'><title>%s: %.2f%%</title></rect>%n", x,
              top + plotH - h, barW - 2, h, colors[i % colors.length], e.getKey(), share * 100));
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
          + "fanout-shares.jsonl</text>\n");
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
}
