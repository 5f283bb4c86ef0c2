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
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.profile.GCProfiler;
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
   * CPU-bound suite, 1 caller thread, direct executors (a call runs on the caller's thread): bare twice (the A/A
   * control), bare with the SDK's deadline and round_robin, the SDK. {@link #rounds} rounds, alternating.
   */
  static final List<String> DIRECT = List.of("direct:bare", "direct:target-rr-deadline", "direct:sdk",
      "direct:bare" + AGAIN);
  /** The direct breakdown (long run only), each setup adding one part of the SDK's channel. */
  static final List<String> BREAKDOWN = List.of("direct:bare", "direct:bare-deadline", "direct:bare-deadline-coarse",
      "direct:target-rr-deadline", "direct:target-svc", "direct:target-svc-coarse", "direct:sdk-wire",
      "direct:sdk-nocount", "direct:sdk-noeject", "direct:sdk");
  /**
   * Default executors (grpc's thread hand-offs), the same minimal server, 1 caller thread: interleaved in each fork
   * ({@link InterleavedOverhead}), the forks pinned to one CPU.
   */
  static final List<String> DEFAULT_EXECUTORS = List.of("minimal:bare", "minimal:sdk", "minimal:bare" + AGAIN);
  /** Long run only: the direct suite's setups interleaved too, to check that one JVM for all of them moves nothing. */
  static final List<String> DIRECT_INTERLEAVED = List.of("direct:bare", "direct:sdk", "direct:bare" + AGAIN);
  /** Long run only: the testkit's fake over in-process, Netty loopback and a separate server JVM, 1 and 8 threads. */
  static final List<String> TRANSPORTS = List.of("inprocess:bare", "inprocess:sdk", "netty:bare", "netty:sdk",
      "netty:bare" + AGAIN, "remote:bare", "remote:sdk");
  /** Open-loop rates of the slow-instance suite, calls/s (below saturation on 2 cores). */
  static final List<Integer> OPEN_LOOP_RATES = List.of(200, 600);

  /**
   * The side-by-side setups' heap: fixed, and touched before the fork starts. With the JVM's default sizing the heap
   * grew in steps through the measured iterations (388 MB to 900 MB in 6 s at 1.5 GB/s of allocation), and the
   * iteration in which it grew was its fork's slowest in 13 of the 14 forks whose heap grew while measured (GC log
   * against iteration times): the new regions' first touch was paid by the calls, on this VM up to 80 % of an
   * iteration. The SDK's forks, with more survivors per collection, grew later, into their measured iterations,
   * more often than bare's: the suite's direct SDK / bare read 0.59 when the median of its iterations was 0.73.
   */
  static final List<String> FIXED_HEAP = List.of("-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch");

  private final Path dir;
  private final boolean longRun;
  private final JsonArray runs = new JsonArray();
  /** The default-executor forks' launcher ({@link #pinnedJava()}), made only when benchmarks run. */
  private final String pinnedJava = pinnedJava();

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

  /** Rounds of the CPU-bound suite (the interleaved ones: {@link #interleavedForks}; others: {@link #fewRounds()}). */
  private int rounds() {
    return SMOKE ? 1 : longRun ? 12 : 10;
  }

  /** Forks of an interleaved suite ({@link InterleavedOverhead}); each runs every setup in every round. */
  private int interleavedForks(boolean check) {
    return SMOKE ? 1 : !longRun ? 4 : check ? 4 : 10;
  }

  private int fewRounds() {
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
        // a fork's JIT needs ~4 s to settle here; every setup gets the same, alternating, so ratios stay fair
        .warmupIterations(SMOKE || !ratio ? 1 : longRun ? 5 : 3)
        .warmupTime(TimeValue.milliseconds(SMOKE ? 200 : 1000))
        .measurementIterations(SMOKE ? 2 : !ratio ? (longRun ? 3 : 2) : longRun ? 5 : 4)
        .measurementTime(TimeValue.milliseconds(SMOKE ? 200 : longRun ? 1000 : 500))
        .jvmArgsAppend(forkArgs(ratio));
  }

  private String[] forkArgs(boolean ratio) {
    List<String> args = new ArrayList<>(List.of("-Dsfdb.bench.results=" + dir, "-Djava.util.logging.config.file=/dev/null"));
    if (ratio) {
      args.addAll(FIXED_HEAP);
    }
    return args.toArray(String[]::new);
  }

  private void runAll(Path summary) throws Exception {
    for (String f : TrialRows.ALL) {
      Files.deleteIfExists(dir.resolve(f));
    }
    long started = System.nanoTime();
    List<String[]> cpu = new ArrayList<>();
    (longRun ? java.util.stream.Stream.concat(DIRECT.stream(), BREAKDOWN.stream()).distinct().toList() : DIRECT)
        .forEach(setup -> cpu.add(new String[] {setup, "1"}));
    for (int round = 0; round < rounds(); round++) {
      for (String[] run : rotated(cpu, round, rounds())) {
        overhead(run[0], Integer.parseInt(run[1]), round);
      }
    }
    interleaved(DEFAULT_EXECUTORS, pinnedJava, interleavedForks(false));
    if (longRun) {
      interleaved(DIRECT_INTERLEAVED, null, interleavedForks(true));
      List<String[]> transports = new ArrayList<>();
      TRANSPORTS.forEach(setup -> transports.add(new String[] {setup, "1"}));
      TRANSPORTS.stream().filter(t -> !t.endsWith(AGAIN)).forEach(setup -> transports.add(new String[] {setup, "8"}));
      for (int round = 0; round < fewRounds(); round++) {
        for (String[] run : rotated(transports, round, fewRounds())) {
          overhead(run[0], Integer.parseInt(run[1]), round);
        }
      }
    }
    Duration segment = Duration.ofMillis(SMOKE ? 500 : 8000);
    for (String tier : longRun ? List.of("netty", "remote") : List.of("netty")) {
      OpenLoopHarness.Result open = OpenLoopHarness.run(tier, OPEN_LOOP_RATES, SMOKE ? 2 : 6,
          Duration.ofMillis(SMOKE ? 200 : 1000), segment, 1);
      open.segments().forEach(seg -> runs.add(seg.row()));
      open.pooled().forEach(p -> runs.add(p.row()));
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
        : longRun ? "long: CPU-bound suite 12 rounds (5x1 s warm-up, 5x1 s measurement per fork, 1 GiB heap touched "
            + "first) with the direct breakdown; default executors interleaved in 10 forks" + pinning()
            + " (8 s warm-up, 60 rounds of 200 ms blocks per setup), and the direct setups interleaved in 4 forks "
            + "(unpinned) as the check of that instrument; transports 5 rounds; open loop 6 rounds x 8 s (policies over the same "
            + "arrivals), in this JVM and a separate one"
        : "short: CPU-bound suite 10 rounds (3x1 s warm-up, 4x0.5 s measurement per fork, 1 GiB heap touched first); "
            + "default executors interleaved in 4 forks" + pinning() + " (6 s warm-up, 40 rounds of 150 ms blocks per "
            + "setup); open loop 6 rounds x 8 s (policies over the same arrivals); the breakdown, the transports and "
            + "the interleaved direct check are in the long run");
    out.add("meta", meta);
    out.add("runs", runs);
    out.add("fanout", readLines(dir.resolve(TrialRows.FANOUT)));
    out.add("scale", new Gson().toJsonTree(ScaleProbe.run(32)));
    meta.addProperty("minutes", Math.round((System.nanoTime() - started) / 6e9) / 10.0);
    Files.writeString(summary, new GsonBuilder().create().toJson(out) + "\n", StandardCharsets.UTF_8);
    for (String f : TrialRows.ALL) {
      Files.deleteIfExists(dir.resolve(f)); // folded into summary.json
    }
  }

  private String pinning() {
    return pinnedJava == null ? " (unpinned: no taskset)" : " (pinned to one CPU)";
  }

  /** The setups of a round: rotated (and reversed every other round), so none always runs first or next to one. */
  private static List<String[]> rotated(List<String[]> setups, int round, int rounds) {
    List<String[]> order = new ArrayList<>(setups);
    java.util.Collections.rotate(order, -round * order.size() / rounds);
    if (round % 2 == 1) {
      java.util.Collections.reverse(order);
    }
    return order;
  }

  /**
   * A launcher that runs the JVM on this machine's last CPU alone ({@code taskset}), or null without taskset. The
   * default-executor setups run pinned: their hand-offs are then context switches on one core; unpinned, a
   * cross-core wake-up cost this VM 15-45 k calls/s from iteration to iteration (A/A 1.082 [0.848, 1.359]).
   */
  private static String pinnedJava() {
    Path taskset = Path.of("/usr/bin/taskset");
    if (!Files.isExecutable(taskset)) {
      return null;
    }
    try {
      Path script = Files.createTempFile("sfdb-bench-pinned-java", ".sh");
      script.toFile().deleteOnExit();
      int cpu = Runtime.getRuntime().availableProcessors() - 1;
      Files.writeString(script, "#!/bin/sh\nexec " + taskset + " -c " + cpu + " '"
          + Path.of(System.getProperty("java.home"), "bin", "java") + "' \"$@\"\n");
      script.toFile().setExecutable(true);
      return script.toString();
    } catch (IOException e) {
      return null;
    }
  }

  private void overhead(String setup, int threads, int round) throws Exception {
    String param = setup.endsWith(AGAIN) ? setup.substring(0, setup.length() - AGAIN.length()) : setup;
    ChainedOptionsBuilder o = options(OverheadBenchmark.class.getSimpleName() + ".getClusterConfig")
        .param("setup", param).threads(threads);
    if (param.startsWith("minimal:") && pinnedJava != null) {
      o.jvm(pinnedJava);
    }
    boolean profiled = param.startsWith("direct:");
    if (profiled) {
      o.addProfiler(GCProfiler.class); // bytes per call: deterministic, and what a breakdown's claims rest on
    }
    for (RunResult r : new Runner(o.build()).run()) {
      JsonObject row = row("overhead", round);
      row.addProperty("setup", setup);
      row.addProperty("threads", threads);
      row.add("callsPerSecond", iterations(r));
      if (profiled) {
        r.getSecondaryResults().forEach((name, result) -> {
          if (name.endsWith("gc.alloc.rate.norm")) {
            row.addProperty("bytesPerCall", result.getScore());
          }
        });
      }
      runs.add(row);
    }
  }

  /**
   * Forks of {@link InterleavedOverhead} over {@code setups} (their order rotating from fork to fork), each on the
   * fixed heap, launched by {@code launcher} (the pinned one) or plain java; one row per fork and setup.
   */
  private void interleaved(List<String> setups, String launcher, int forks) throws Exception {
    String javaCommand = launcher != null ? launcher : Path.of(System.getProperty("java.home"), "bin", "java").toString();
    double warmupSeconds = SMOKE ? 0.5 : longRun ? 8 : 6;
    int roundsPerFork = SMOKE ? 4 : longRun ? 60 : 40;
    int blockMillis = SMOKE ? 50 : longRun ? 200 : 150;
    for (int fork = 0; fork < forks; fork++) {
      List<String> order = new ArrayList<>(setups);
      java.util.Collections.rotate(order, -fork);
      List<String> command = new ArrayList<>(List.of(javaCommand));
      command.addAll(List.of(forkArgs(true))); // a side-by-side fork: the fixed heap, as the JMH ones
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), InterleavedOverhead.class.getName(),
          String.join(",", order), String.valueOf(warmupSeconds), String.valueOf(roundsPerFork),
          String.valueOf(blockMillis)));
      Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int rc = p.waitFor();
      String last = out.strip().lines().reduce((a, b) -> b).orElse("");
      if (rc != 0 || !last.startsWith("{")) {
        throw new IOException("interleaved fork " + fork + " of " + setups + " failed (exit " + rc + "): " + out);
      }
      JsonObject result = JsonParser.parseString(last).getAsJsonObject();
      for (String setup : order) {
        JsonObject row = row("interleaved", fork);
        row.addProperty("setup", setup);
        row.addProperty("pinned", launcher != null);
        row.add("callsPerSecond", result.getAsJsonObject("callsPerSecond").get(setup));
        row.add("cpuNsPerCall", result.getAsJsonObject("cpuNsPerCall").get(setup));
        runs.add(row);
      }
      System.out.println("interleaved fork " + fork + ": " + result.getAsJsonObject("cpuNsPerCall"));
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
        + (longRun ? "" : "\\.((accounting|interceptor)[18]|clockPair|timerRecord|deadlineTimer\\w+)$"), false)
        .forks(SMOKE ? 1 : longRun ? 3 : 2).warmupIterations(SMOKE ? 1 : 2).measurementTime(TimeValue.milliseconds(SMOKE ? 200 : 500))
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
