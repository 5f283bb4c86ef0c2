package org.shakenfist.sfdb.benchmarks;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the suite and writes, into the results directory, {@code summary.json} (compact: every measured
 * iteration of every fork, nothing per call), {@code results.md} (tables, ratios with 99 % intervals, targets)
 * and {@code fanout-shares.svg}; both are generated from {@code summary.json} alone.
 *
 * <p>Ratios are measured side by side: each round runs every setup once (one fork each), in an order that
 * rotates from round to round, so the setups of a ratio share the machine's state; a ratio's interval comes
 * from a bootstrap over rounds and, within each, over iterations ({@link Report}).
 *
 * <p>Arguments: results directory, {@code true} for the long settings, and optionally {@code report-only} to
 * regenerate the Markdown and SVG from an existing {@code summary.json}.
 */
public final class BenchmarkRunner {
  /** Suffix of an A/A control's label: the same setup measured a second time in the round. */
  static final String AGAIN = " again";
  /**
   * Ratio suite, 1 caller thread: the headline setups and two A/A controls (a label ending in {@link #AGAIN};
   * its ratio to the first measurement shows what the method can resolve on the machine).
   */
  static final List<String> ONE_THREAD = List.of("inprocess:bare", "inprocess:bare-deadline", "inprocess:sdk",
      "inprocess:bare" + AGAIN, "netty:bare", "netty:sdk", "netty:bare" + AGAIN, "remote:bare", "remote:sdk");
  /** The in-process breakdown, 1 caller thread, each setup adding one part of the SDK's channel (long run only). */
  static final List<String> BREAKDOWN = List.of("inprocess:bare", "inprocess:bare-deadline", "inprocess:target",
      "inprocess:target-rr", "inprocess:target-health", "inprocess:target-svc", "inprocess:target-svc-coarse",
      "inprocess:sdk-nocount", "inprocess:sdk");
  /** Ratio suite, 8 caller threads. */
  static final List<String> EIGHT_THREADS = List.of("inprocess:bare", "inprocess:bare-deadline", "inprocess:sdk",
      "netty:bare", "netty:sdk", "remote:bare", "remote:sdk");
  /** Slow-instance suite; {@code fast_only} is the floor any policy could reach on the machine. */
  static final List<String> SLOW_POLICIES = List.of("round_robin", "least_request", "fast_only");

  private final Path dir;
  private final boolean longRun;
  private final JsonArray runs = new JsonArray();

  private BenchmarkRunner(Path dir, boolean longRun) {
    this.dir = dir;
    this.longRun = longRun;
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "results").toAbsolutePath();
    boolean longRun = args.length > 1 && Boolean.parseBoolean(args[1]);
    boolean reportOnly = args.length > 2 && "report-only".equals(args[2]);
    Files.createDirectories(dir);
    Path summary = dir.resolve("summary.json");
    if (!reportOnly) {
      new BenchmarkRunner(dir, longRun).runAll(summary);
    }
    JsonObject s = JsonParser.parseString(Files.readString(summary)).getAsJsonObject();
    Report report = new Report(s);
    Files.writeString(dir.resolve("results.md"), report.markdown(), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("fanout-shares.svg"), report.svg(), StandardCharsets.UTF_8);
    System.out.println("\nbenchmark results written to " + dir + ": summary.json, results.md, fanout-shares.svg");
  }

  /** {@code -Dsfdb.bench.smoke=true}: one round of very short iterations, to check the plumbing only. */
  private static final boolean SMOKE = Boolean.getBoolean("sfdb.bench.smoke");

  private int rounds() {
    return SMOKE ? 1 : longRun ? 5 : 3;
  }

  private ChainedOptionsBuilder options(String include) {
    return options(include, true);
  }

  /** {@code ratio}: a setup of the side-by-side suites; the others (fan-out, pick path) get fewer iterations. */
  private ChainedOptionsBuilder options(String include, boolean ratio) {
    return new OptionsBuilder()
        .include(include)
        .forks(1)
        .warmupIterations(SMOKE || !ratio ? 1 : longRun ? 3 : 2)
        .warmupTime(TimeValue.milliseconds(SMOKE ? 200 : longRun ? 2000 : 500))
        .measurementIterations(SMOKE ? 2 : !ratio ? (longRun ? 3 : 2) : longRun ? 5 : 3)
        .measurementTime(TimeValue.milliseconds(SMOKE ? 200 : longRun ? 2000 : 1000))
        .jvmArgsAppend("-Dsfdb.bench.results=" + dir, "-Djava.util.logging.config.file=/dev/null");
  }

  private void runAll(Path summary) throws Exception {
    for (String f : TrialRows.ALL) {
      Files.deleteIfExists(dir.resolve(f));
    }
    long started = System.nanoTime();
    List<String[]> ratioRuns = new ArrayList<>();
    ONE_THREAD.forEach(s -> ratioRuns.add(new String[] {s, "1"}));
    if (longRun) {
      BREAKDOWN.stream().filter(s -> !ONE_THREAD.contains(s)).forEach(s -> ratioRuns.add(new String[] {s, "1"}));
    }
    EIGHT_THREADS.forEach(s -> ratioRuns.add(new String[] {s, "8"}));
    for (int round = 0; round < rounds(); round++) {
      // rotate (and reverse every other round) so no setup always runs first, last or next to the same one
      List<String[]> order = new ArrayList<>(ratioRuns);
      java.util.Collections.rotate(order, -round * order.size() / rounds());
      if (round % 2 == 1) {
        java.util.Collections.reverse(order);
      }
      for (String[] run : order) {
        overhead(run[0], Integer.parseInt(run[1]), round);
      }
      for (String policy : SLOW_POLICIES) {
        slow(policy, round);
      }
    }
    fanOut();
    pickPath();
    JsonObject out = new JsonObject();
    JsonObject meta = new JsonObject();
    meta.addProperty("date", LocalDate.now().toString());
    meta.addProperty("cores", Runtime.getRuntime().availableProcessors());
    meta.addProperty("memGiB", ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getTotalMemorySize() >> 30);
    meta.addProperty("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    meta.addProperty("settings", SMOKE ? "smoke (plumbing check only)"
        : longRun ? "long: 5 rounds, 3x2 s warm-up, 5x2 s measurement per fork, with the in-process breakdown"
        : "short: 3 rounds, 2x0.5 s warm-up, 3x1 s measurement per fork; the in-process breakdown is in the long run");
    out.add("meta", meta);
    out.add("runs", runs);
    out.add("fanout", readLines(dir.resolve(TrialRows.FANOUT)));
    out.add("slowShares", readLines(dir.resolve(TrialRows.SLOW_INSTANCE)));
    out.add("scale", new Gson().toJsonTree(ScaleProbe.run(32)));
    meta.addProperty("minutes", Math.round((System.nanoTime() - started) / 6e9) / 10.0);
    Files.writeString(summary, new GsonBuilder().create().toJson(out) + "\n", StandardCharsets.UTF_8);
    for (String f : TrialRows.ALL) {
      Files.deleteIfExists(dir.resolve(f)); // folded into summary.json
    }
  }

  private void overhead(String setup, int threads, int round) throws Exception {
    String param = setup.endsWith(AGAIN) ? setup.substring(0, setup.length() - AGAIN.length()) : setup;
    for (RunResult r : new Runner(options(OverheadBenchmark.class.getSimpleName() + ".getClusterConfig")
        .param("setup", param).threads(threads).build()).run()) {
      JsonObject row = row("overhead", round);
      row.addProperty("setup", setup);
      row.addProperty("threads", threads);
      row.add("callsPerSecond", iterations(r));
      runs.add(row);
    }
  }

  private void slow(String policy, int round) throws Exception {
    for (RunResult r : new Runner(options(SlowInstanceBenchmark.class.getSimpleName())
        .param("policy", policy).build()).run()) {
      var stats = r.getPrimaryResult().getStatistics();
      JsonObject row = row("slow", round);
      row.addProperty("policy", policy);
      row.addProperty("p50", stats.getPercentile(50));
      row.addProperty("p99", stats.getPercentile(99));
      row.addProperty("p999", stats.getPercentile(99.9));
      row.addProperty("meanMicros", stats.getMean());
      row.addProperty("callsPerSecond", 8 / (stats.getMean() / 1e6)); // closed loop: threads / mean latency
      runs.add(row);
    }
  }

  private void fanOut() throws Exception {
    List<Object[]> plan = List.of(new Object[] {"serial", new String[] {"2", "3", "4", "8"}},
        new Object[] {"threads8", longRun ? new String[] {"2", "3", "4", "8"} : new String[] {"2", "8"}},
        new Object[] {"threads64", new String[] {"1", "32"}});
    for (Object[] p : plan) {
      for (RunResult r : new Runner(options(FanOutBenchmark.class.getSimpleName() + "." + p[0] + "$", false)
          .param("instances", (String[]) p[1]).build()).run()) {
        JsonObject row = row("fanout", 0);
        row.addProperty("benchmark", (String) p[0]);
        row.addProperty("instances", Integer.parseInt(r.getParams().getParam("instances")));
        row.addProperty("threads", r.getParams().getThreads());
        row.addProperty("callsPerSecond", r.getPrimaryResult().getScore() * 1000); // ops/ms
        runs.add(row);
      }
    }
  }

  private void pickPath() throws Exception {
    // nanosecond-scale and JIT-sensitive: 3 forks (one fork's figure can be 5x off), short iterations suffice
    // 1 and 8 threads in the short run, 2 as well in the long one
    Collection<RunResult> results = new Runner(options(PickPathBenchmark.class.getSimpleName()
        + (longRun ? "" : "\\.((accounting|interceptor)[18]|clockPair|timerRecord)$"), false)
        .forks(SMOKE ? 1 : 3).warmupIterations(SMOKE ? 1 : 2).measurementTime(TimeValue.milliseconds(SMOKE ? 200 : 500))
        .build()).run();
    for (RunResult r : results) {
      JsonObject row = row("pickpath", 0);
      row.addProperty("benchmark", r.getParams().getBenchmark().replaceAll(".*\\.", ""));
      row.addProperty("threads", r.getParams().getThreads());
      row.addProperty("nsPerOp", r.getPrimaryResult().getScore());
      row.addProperty("error", r.getPrimaryResult().getScoreError());
      runs.add(row);
    }
  }

  private static JsonObject row(String suite, int round) {
    JsonObject row = new JsonObject();
    row.addProperty("suite", suite);
    row.addProperty("round", round);
    return row;
  }

  /** Every measurement iteration's score (the unit is the benchmark's: calls/s for the overhead suite). */
  private static JsonArray iterations(RunResult r) {
    JsonArray scores = new JsonArray();
    for (BenchmarkResult b : r.getBenchmarkResults()) {
      for (IterationResult i : b.getIterationResults()) {
        scores.add(Math.round(i.getPrimaryResult().getScore()));
      }
    }
    return scores;
  }

  private static JsonArray readLines(Path p) throws IOException {
    JsonArray out = new JsonArray();
    if (Files.exists(p)) {
      for (String line : Files.readAllLines(p)) {
        if (!line.isBlank()) {
          out.add(JsonParser.parseString(line));
        }
      }
    }
    return out;
  }
}
