package org.shakenfist.sfdb.benchmarks;

import com.google.gson.Gson;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Several {@link OverheadBenchmark} setups in ONE JVM, measured in alternating blocks of calls: the instrument for
 * setups whose JMH forks each settle into one of a few speeds (grpc's default executors on one CPU: a fork's
 * hand-off pattern decides it, and it is ±5 % from fork to fork). Here every setup of a round shares the fork's
 * state, so their ratio cancels it; the rounds of a fork are paired (each round runs every setup once, the order
 * rotating and reversing), and the runner bootstraps over forks and over rounds within them.
 *
 * <p>What one JVM costs the comparison: the call path's code is shared, so JIT profiles see every setup's channel
 * (one fork per setup sees one). The runner checks that this moves nothing: with direct executors the same
 * setups read the same SDK / bare here as in separate JMH forks (the long run measures both).
 *
 * <p>Arguments: setups (comma separated; a label ending in {@link BenchmarkRunner#AGAIN} is the same setup a
 * second time, its own channel and server), warm-up seconds (alternating blocks, not recorded), rounds, block
 * milliseconds. Prints one JSON object: per setup its calls/s per round and its threads' CPU ns per call (thread
 * names with digits folded; from {@link ThreadMXBean}, taken between blocks).
 */
public final class InterleavedOverhead {
  private InterleavedOverhead() {}

  /** The result of one fork: per setup label, calls/s per round and CPU ns per call by thread group. */
  record Fork(Map<String, double[]> callsPerSecond, Map<String, Map<String, Double>> cpuNsPerCall) {}

  public static void main(String[] args) throws Exception {
    List<String> labels = List.of(args[0].split(","));
    long warmupNanos = (long) (Double.parseDouble(args[1]) * 1e9);
    int rounds = Integer.parseInt(args[2]);
    long blockNanos = (long) (Double.parseDouble(args[3]) * 1e6);
    System.out.println(new Gson().toJson(run(labels, warmupNanos, rounds, blockNanos)));
    System.out.flush();
    System.exit(0); // the setups' servers and channels are closed; grpc's pool threads need not linger
  }

  static Fork run(List<String> labels, long warmupNanos, int rounds, long blockNanos) throws Exception {
    List<OverheadBenchmark> setups = new ArrayList<>();
    try {
      for (String label : labels) {
        OverheadBenchmark b = new OverheadBenchmark();
        b.setup = label.endsWith(BenchmarkRunner.AGAIN)
            ? label.substring(0, label.length() - BenchmarkRunner.AGAIN.length()) : label;
        b.start();
        setups.add(b);
      }
      int n = setups.size();
      for (long end = System.nanoTime() + warmupNanos; System.nanoTime() < end; ) {
        for (OverheadBenchmark b : setups) {
          block(b, blockNanos);
        }
      }
      double[][] calls = new double[n][rounds];
      double[] totalCalls = new double[n];
      List<Map<String, Long>> cpu = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        cpu.add(new TreeMap<>());
      }
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < n; k++) {
          int s = r % 2 == 0 ? (k + r) % n : n - 1 - (k + r) % n; // rotated, and reversed every other round
          Map<String, Long> before = threadCpu(threads);
          double[] block = block(setups.get(s), blockNanos);
          Map<String, Long> after = threadCpu(threads);
          calls[s][r] = block[0] * 1e9 / block[1];
          totalCalls[s] += block[0];
          after.forEach((name, ns) -> cpu.get(s).merge(name, ns - before.getOrDefault(name, 0L), Long::sum));
        }
      }
      Map<String, double[]> perRound = new LinkedHashMap<>();
      Map<String, Map<String, Double>> perCall = new LinkedHashMap<>();
      for (int s = 0; s < n; s++) {
        perRound.put(labels.get(s), calls[s]);
        Map<String, Double> ns = new TreeMap<>();
        double c = totalCalls[s];
        cpu.get(s).forEach((name, t) -> {
          if (t / c >= 1) { // threads that did a nanosecond or more per call
            ns.put(name, Math.round(t / c * 10) / 10.0);
          }
        });
        perCall.put(labels.get(s), ns);
      }
      return new Fork(perRound, perCall);
    } finally {
      for (OverheadBenchmark b : setups) {
        b.stop();
      }
    }
  }

  /** Calls made in about {@code nanos}, and the nanoseconds they took. */
  private static double[] block(OverheadBenchmark b, long nanos) {
    long start = System.nanoTime();
    long deadline = start + nanos;
    long calls = 0;
    long now;
    do {
      for (int i = 0; i < 32; i++) {
        b.getClusterConfig();
      }
      calls += 32;
    } while ((now = System.nanoTime()) < deadline);
    return new double[] {calls, now - start};
  }

  /** CPU time of every live thread, summed by name with digits folded ({@code grpc-default-executor-N}). */
  private static Map<String, Long> threadCpu(ThreadMXBean threads) {
    Map<String, Long> byName = new TreeMap<>();
    for (long id : threads.getAllThreadIds()) {
      ThreadInfo info = threads.getThreadInfo(id);
      long ns = threads.getThreadCpuTime(id);
      if (info != null && ns > 0) {
        byName.merge(info.getThreadName().replaceAll("[0-9]+", "N"), ns, Long::sum);
      }
    }
    return byName;
  }
}
