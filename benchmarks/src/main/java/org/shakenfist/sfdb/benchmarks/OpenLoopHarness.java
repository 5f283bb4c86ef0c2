package org.shakenfist.sfdb.benchmarks;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.shakenfist.sfdb.client.CallCounts;
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.DatabaseChannels;
import org.shakenfist.sfdb.proto.ClusterConfigReply;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;

/**
 * Open-loop latency over real sockets: calls sent at Poisson intended times at a fixed rate (below saturation)
 * from one sender thread that never waits for an answer, each call's latency measured from its intended send
 * time (a sender that falls behind is not forgiven: no coordinated omission), into an HdrHistogram.
 *
 * <p>The slow-instance case: 3 Netty loopback instances, one {@link #SLOW_MILLIS} ms late; each policy, and
 * {@code fast_only} (round_robin over the two fast instances alone: the floor any policy can reach on this
 * machine) twice, at each rate, in rounds. The policies of a round run <em>over the same arrivals</em>: each has
 * its own channel, and at every intended time the one sender starts a call on each (in a rotating order), so
 * whatever the machine does meanwhile (a stalled sender, a GC, a JIT compile, another process) falls on every
 * policy's calls of that moment alike; the ratio to {@code fast_only} compares calls made at the same moments, and
 * {@code fast_only again} over {@code fast_only} is the A/A control. The instances run in this JVM, or in a
 * separate one ({@link RemoteTier}).
 */
final class OpenLoopHarness {
  static final int SLOW_MILLIS = 10;
  /** round_robin over the two fast instances alone: the floor any policy can reach on this machine. */
  static final String FAST_ONLY = "fast_only";
  /** The floor measured twice over the same arrivals: the A/A control of the p99 ratios. */
  static final String FAST_ONLY_AGAIN = FAST_ONLY + BenchmarkRunner.AGAIN;
  static final List<String> POLICIES = List.of("round_robin", "least_request", "peak_ewma", FAST_ONLY,
      FAST_ONLY_AGAIN);
  private static final ClusterConfigRequest REQUEST = ClusterConfigRequest.getDefaultInstance();

  private OpenLoopHarness() {}

  /** Standalone: {@code OpenLoopHarness [netty|remote] [rates, e.g. 200,600] [rounds] [seconds per segment]}. */
  public static void main(String[] args) throws Exception {
    String tier = args.length > 0 ? args[0] : "netty";
    List<Integer> rates = args.length > 1 ? java.util.Arrays.stream(args[1].split(",")).map(Integer::valueOf).toList()
        : List.of(200, 600);
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
    Result r = run(tier, rates, rounds, Duration.ofSeconds(1), Duration.ofSeconds(seconds), 1);
    for (Segment s : r.segments()) {
      System.out.println(s.row());
    }
    for (Pooled p : r.pooled()) {
      System.out.println(p.row());
    }
    System.exit(0);
  }

  /**
   * One measured segment: a policy at a rate, its latency percentiles (µs), the slow instance's share, and the
   * first fast instance's share of the calls the two fast ones took ({@code fastSplit}: 0.5 is an even split).
   */
  record Segment(String tier, String policy, int rate, int round, long calls, long failed, double p50, double p90,
      double p99, double p999, double max, double slowShare, double fastSplit) {
    /** The segment as a {@code summary.json} row: its fields, and {@code suite} = {@code openloop}. */
    com.google.gson.JsonObject row() {
      com.google.gson.JsonObject o = new com.google.gson.Gson().toJsonTree(this).getAsJsonObject();
      o.addProperty("suite", "openloop");
      return o;
    }
  }

  /**
   * One policy at one rate over every round: the p99 of all its measured calls together, over the floor's
   * ({@code fast_only}) p99 of all of its calls, and a 95 % bootstrap interval of that ratio (rounds drawn with
   * replacement, 2 000 times, seeded): one round's few tail calls move it much less than a per-round ratio.
   */
  record Pooled(String tier, String policy, int rate, long calls, double p99, double ratio, double low, double high) {
    com.google.gson.JsonObject row() {
      com.google.gson.JsonObject o = new com.google.gson.Gson().toJsonTree(this).getAsJsonObject();
      o.addProperty("suite", "openloop-pooled");
      return o;
    }
  }

  /** The segments, and the pooled figures of each policy and rate. */
  record Result(List<Segment> segments, List<Pooled> pooled) {}

  private record Measured(Segment segment, Histogram histogram) {}

  /**
   * Runs {@code rounds} rounds over {@code tierKind} ({@code netty}: instances in this JVM; {@code remote}: in a
   * separate one), each measuring every policy at every rate for {@code measure} after {@code warm} of load.
   */
  static Result run(String tierKind, List<Integer> rates, int rounds, Duration warm, Duration measure,
      long seed) throws Exception {
    List<Measured> out = new java.util.ArrayList<>();
    List<DatabaseChannel> channels = new java.util.ArrayList<>();
    try (BenchTier tier = BenchTier.start(tierKind, 3, 2, SLOW_MILLIS)) {
      List<String> hosts = tier.hostList();
      // one channel per policy for the whole run (each segment has its own warm-up)
      for (String policy : POLICIES) {
        DatabaseChannelConfig config = policy.startsWith(FAST_ONLY)
            ? tier.config().hosts(hosts.get(0) + "," + hosts.get(1)).build()
            : tier.config().loadBalancingPolicy(policy).build();
        DatabaseChannel channel = DatabaseChannels.fromConfig(config);
        channels.add(channel);
        channel.awaitReady(config.hosts().size(), Duration.ofSeconds(30));
      }
      // a whole round that is not kept: this JVM's first seconds of calls compile grpc's, Netty's and the
      // policies' paths (a first kept round after only 2 s of warm-up still had p99s of 7-8 ms for every policy)
      for (int rate : rates) {
        together(channels, hosts, tierKind, rate, -1, warm, measure, seed - rate);
      }
      for (int round = 0; round < rounds; round++) {
        for (int rate : rates) {
          out.addAll(together(channels, hosts, tierKind, rate, round, warm, measure, seed + round * 31L + rate));
        }
      }
    } finally {
      channels.forEach(DatabaseChannel::close);
    }
    List<Pooled> pooled = new java.util.ArrayList<>();
    int draws = 2000;
    for (int rate : rates) {
      List<Histogram> floor = histograms(out, rate, FAST_ONLY);
      int n = floor.size();
      int[] once = new int[n];
      java.util.Arrays.fill(once, 1);
      // every policy draws the same rounds (the same seed), so the floor's p99 of each draw is computed once
      int[][] times = new int[draws][n];
      SplittableRandom draw = new SplittableRandom(seed * 131 + rate);
      for (int[] t : times) {
        for (int k = 0; k < n; k++) {
          t[draw.nextInt(n)]++;
        }
      }
      Tops floorTops = Tops.of(floor);
      double floorP99 = floorTops.p99(once);
      double[] floorBoot = new double[draws];
      for (int i = 0; i < draws; i++) {
        floorBoot[i] = floorTops.p99(times[i]);
      }
      for (String policy : POLICIES) {
        List<Histogram> mine = histograms(out, rate, policy);
        Tops tops = Tops.of(mine);
        double mineP99 = tops.p99(once);
        double[] boot = new double[draws];
        for (int i = 0; i < draws; i++) {
          boot[i] = tops.p99(times[i]) / floorBoot[i];
        }
        java.util.Arrays.sort(boot);
        long calls = mine.stream().mapToLong(Histogram::getTotalCount).sum();
        pooled.add(new Pooled(tierKind, policy, rate, calls, mineP99 / 1e3, mineP99 / floorP99,
            boot[(int) (0.025 * boot.length)], boot[(int) (0.975 * boot.length) - 1]));
      }
    }
    return new Result(out.stream().map(Measured::segment).toList(), pooled);
  }

  private static List<Histogram> histograms(List<Measured> all, int rate, String policy) {
    return all.stream().filter(m -> m.segment().rate() == rate && m.segment().policy().equals(policy))
        .map(Measured::histogram).toList();
  }

  /**
   * The highest values of each round (HdrHistogram's equivalent values, descending, each as often as recorded),
   * enough of them for the p99 of any draw of the rounds: a bootstrap draw's p99 is then a short merge of their
   * heads, not a sum of whole histograms (which took ~200 µs a draw here).
   */
  private record Tops(long[][] values, long[] totals) {
    static Tops of(List<Histogram> rounds) {
      long most = rounds.stream().mapToLong(Histogram::getTotalCount).max().orElse(0);
      int keep = (int) Math.ceil(0.01 * rounds.size() * most) + 2; // a draw's top 1 %, were it all from one round
      long[][] values = new long[rounds.size()][];
      long[] totals = new long[rounds.size()];
      for (int r = 0; r < rounds.size(); r++) {
        Histogram h = rounds.get(r);
        List<long[]> buckets = new java.util.ArrayList<>();
        for (org.HdrHistogram.HistogramIterationValue v : h.recordedValues()) {
          buckets.add(new long[] {h.highestEquivalentValue(v.getValueIteratedTo()), v.getCountAtValueIteratedTo()});
        }
        long[] top = new long[(int) Math.min(keep, h.getTotalCount())];
        int i = 0;
        for (int b = buckets.size() - 1; b >= 0 && i < top.length; b--) {
          for (long c = 0; c < buckets.get(b)[1] && i < top.length; c++) {
            top[i++] = buckets.get(b)[0];
          }
        }
        values[r] = top;
        totals[r] = h.getTotalCount();
      }
      return new Tops(values, totals);
    }

    /** The p99 (ns) of the rounds taken {@code times[r]} times each, as HdrHistogram's getValueAtPercentile(99). */
    double p99(int[] times) {
      long n = 0;
      for (int r = 0; r < totals.length; r++) {
        n += times[r] * totals[r];
      }
      long rank = n - Math.max(1, (long) Math.ceil(0.99 * n)) + 1; // the p99 is the rank-th highest value
      int[] at = new int[values.length];
      long seen = 0;
      while (true) {
        int best = -1;
        for (int r = 0; r < values.length; r++) {
          if (times[r] > 0 && at[r] < values[r].length && (best < 0 || values[r][at[r]] > values[best][at[best]])) {
            best = r;
          }
        }
        seen += times[best];
        if (seen >= rank) {
          return values[best][at[best]];
        }
        at[best]++;
      }
    }
  }

  /**
   * Every policy at {@code rate} over the same arrivals: one sender thread draws one Poisson schedule and, at each
   * intended time, starts one call on every policy's channel, in an order that rotates by one at every arrival (no
   * policy is always first). A stall of the sender, a GC or a busy core thus delays every policy's calls of that
   * moment alike, and {@code fast_only} against {@code fast_only again} shows what is left of the noise (the A/A).
   */
  private static List<Measured> together(List<DatabaseChannel> channels, List<String> hosts, String tierKind,
      int rate, int round, Duration warm, Duration measure, long seed) throws Exception {
    String slow = hosts.get(2);
    int n = POLICIES.size();
    List<DatabaseServiceGrpc.DatabaseServiceFutureStub> stubs = channels.stream()
        .map(DatabaseServiceGrpc::newFutureStub).toList();
    Recorder[] warmRecorders = new Recorder[n]; // the warm-up's figures are not kept
    AtomicLong[] warmFailed = new AtomicLong[n];
    Recorder[] recorders = new Recorder[n];
    AtomicLong[] failed = new AtomicLong[n];
    for (int p = 0; p < n; p++) {
      warmRecorders[p] = new Recorder(3);
      warmFailed[p] = new AtomicLong();
      recorders[p] = new Recorder(3);
      failed[p] = new AtomicLong();
    }
    load(stubs, rate, warm, warmRecorders, warmFailed, new SplittableRandom(seed ^ 0x5DEECE66DL));
    List<CallCounts> before = channels.stream().map(DatabaseChannel::callCounts).toList();
    load(stubs, rate, measure, recorders, failed, new SplittableRandom(seed));
    List<Measured> out = new java.util.ArrayList<>();
    for (int p = 0; p < n; p++) {
      CallCounts during = channels.get(p).callCounts().minus(before.get(p));
      Histogram h = recorders[p].getIntervalHistogram();
      double share = during.total() == 0 ? 0 : during.get(slow) / (double) during.total();
      long fast = during.get(hosts.get(0)) + during.get(hosts.get(1));
      double split = fast == 0 ? 0 : during.get(hosts.get(0)) / (double) fast;
      out.add(new Measured(new Segment(tierKind, POLICIES.get(p), rate, round, h.getTotalCount(), failed[p].get(),
          h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3,
          h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3, share, split), h));
    }
    return out;
  }

  /**
   * Sends Poisson arrivals at {@code rate} for {@code length}, one call per stub at each; returns when every call
   * has ended.
   */
  private static void load(List<DatabaseServiceGrpc.DatabaseServiceFutureStub> stubs, int rate, Duration length,
      Recorder[] recorders, AtomicLong[] failed, SplittableRandom random) throws InterruptedException {
    long start = System.nanoTime();
    long end = start + length.toNanos();
    long intended = start;
    int n = stubs.size();
    AtomicLong outstanding = new AtomicLong(1);
    CountDownLatch done = new CountDownLatch(1);
    for (int arrival = 0; ; arrival++) {
      intended += (long) (-Math.log(1 - random.nextDouble()) / rate * 1e9);
      if (intended >= end) {
        break;
      }
      long wait;
      while ((wait = intended - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      long sentFor = intended;
      for (int k = 0; k < n; k++) {
        int p = (arrival + k) % n;
        Recorder recorder = recorders[p];
        AtomicLong failures = failed[p];
        outstanding.incrementAndGet();
        Futures.addCallback(stubs.get(p).getClusterConfig(REQUEST), new FutureCallback<ClusterConfigReply>() {
          @Override
          public void onSuccess(ClusterConfigReply r) {
            ended(System.nanoTime() - sentFor, true);
          }

          @Override
          public void onFailure(Throwable t) {
            ended(System.nanoTime() - sentFor, false);
          }

          private void ended(long nanos, boolean ok) {
            recorder.recordValue(Math.max(1, nanos));
            if (!ok) {
              failures.incrementAndGet();
            }
            if (outstanding.decrementAndGet() == 0) {
              done.countDown();
            }
          }
        }, MoreExecutors.directExecutor());
      }
    }
    if (outstanding.decrementAndGet() == 0) {
      done.countDown();
    }
    if (!done.await(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("calls still outstanding 60 s after the load ended");
    }
  }
}
