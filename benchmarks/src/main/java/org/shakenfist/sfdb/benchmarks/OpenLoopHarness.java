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
 * machine), at each rate, in rounds. The policies of a round run <em>side by side</em>: each has its own channel
 * and sender thread, and all warm up and measure over the same seconds, so whatever the machine does meanwhile
 * (another process, a GC, a JIT compile) falls on every policy alike; the ratio to {@code fast_only} compares
 * calls made at the same moments. The instances run in this JVM, or in a separate one ({@link RemoteTier}).
 */
final class OpenLoopHarness {
  static final int SLOW_MILLIS = 10;
  static final List<String> POLICIES = List.of("round_robin", "least_request", "peak_ewma", "fast_only");
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
    try (BenchTier tier = BenchTier.start(tierKind, 3, 2, SLOW_MILLIS)) {
      String slow = tier.hostList().get(2);
      // a whole round that is not kept: this JVM's first seconds of calls compile grpc's, Netty's and the
      // policies' paths (a first kept round after only 2 s of warm-up still had p99s of 7-8 ms for every policy)
      for (int rate : rates) {
        together(tier, tierKind, slow, rate, -1, warm, measure, seed - rate);
      }
      for (int round = 0; round < rounds; round++) {
        for (int rate : rates) {
          out.addAll(together(tier, tierKind, slow, rate, round, warm, measure, seed + round * 31L + rate));
        }
      }
    }
    List<Pooled> pooled = new java.util.ArrayList<>();
    for (int rate : rates) {
      List<Histogram> floor = histograms(out, rate, "fast_only");
      double floorP99 = p99(floor, null);
      for (String policy : POLICIES) {
        List<Histogram> mine = histograms(out, rate, policy);
        double mineP99 = p99(mine, null);
        SplittableRandom draw = new SplittableRandom(seed * 131 + rate);
        double[] boot = new double[2000];
        for (int i = 0; i < boot.length; i++) {
          int[] pick = new int[mine.size()];
          for (int k = 0; k < pick.length; k++) {
            pick[k] = draw.nextInt(mine.size());
          }
          boot[i] = p99(mine, pick) / p99(floor, pick);
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

  /** The p99 of the rounds {@code pick} (null: every round once) together, in ns. */
  private static double p99(List<Histogram> rounds, int[] pick) {
    Histogram sum = new Histogram(3);
    if (pick == null) {
      rounds.forEach(sum::add);
    } else {
      for (int k : pick) {
        sum.add(rounds.get(k));
      }
    }
    return sum.getValueAtPercentile(99);
  }

  /** Every policy at {@code rate} over the same seconds, each from its own channel and sender thread. */
  private static List<Measured> together(BenchTier tier, String tierKind, String slow, int rate, int round,
      Duration warm, Duration measure, long seed) throws Exception {
    List<String> hosts = tier.hostList();
    java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(POLICIES.size());
    java.util.concurrent.CyclicBarrier measured = new java.util.concurrent.CyclicBarrier(POLICIES.size());
    java.util.concurrent.ExecutorService senders = java.util.concurrent.Executors.newFixedThreadPool(POLICIES.size());
    try {
      List<java.util.concurrent.Future<Measured>> running = new java.util.ArrayList<>();
      for (int p = 0; p < POLICIES.size(); p++) {
        String policy = POLICIES.get(p);
        long policySeed = seed * 7919 + p; // each sender its own arrivals
        running.add(senders.submit(() -> {
          DatabaseChannelConfig config = policy.equals("fast_only")
              ? tier.config().hosts(hosts.get(0) + "," + hosts.get(1)).build()
              : tier.config().loadBalancingPolicy(policy).build();
          try (DatabaseChannel channel = DatabaseChannels.fromConfig(config)) {
            channel.awaitReady(config.hosts().size(), Duration.ofSeconds(30));
            var stub = DatabaseServiceGrpc.newFutureStub(channel);
            Recorder recorder = new Recorder(3);
            AtomicLong failed = new AtomicLong();
            start.await(60, TimeUnit.SECONDS);
            load(stub, rate, warm, new Recorder(3), new AtomicLong(), new SplittableRandom(policySeed ^ 0x5DEECE66DL));
            measured.await(60, TimeUnit.SECONDS); // the measured seconds begin together too
            CallCounts before = channel.callCounts();
            load(stub, rate, measure, recorder, failed, new SplittableRandom(policySeed));
            CallCounts during = channel.callCounts().minus(before);
            Histogram h = recorder.getIntervalHistogram();
            double share = during.total() == 0 ? 0 : during.get(slow) / (double) during.total();
            long fast = during.get(hosts.get(0)) + during.get(hosts.get(1));
            double split = fast == 0 ? 0 : during.get(hosts.get(0)) / (double) fast;
            return new Measured(new Segment(tierKind, policy, rate, round, h.getTotalCount(), failed.get(),
                h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3,
                h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3, share, split), h);
          }
        }));
      }
      List<Measured> out = new java.util.ArrayList<>();
      for (var f : running) {
        out.add(f.get());
      }
      return out;
    } finally {
      senders.shutdownNow();
    }
  }

  /** Sends Poisson arrivals at {@code rate} for {@code length}; returns when every call has ended. */
  private static void load(DatabaseServiceGrpc.DatabaseServiceFutureStub stub, int rate, Duration length,
      Recorder recorder, AtomicLong failed, SplittableRandom random) throws InterruptedException {
    long start = System.nanoTime();
    long end = start + length.toNanos();
    long intended = start;
    AtomicLong outstanding = new AtomicLong(1);
    CountDownLatch done = new CountDownLatch(1);
    while (true) {
      intended += (long) (-Math.log(1 - random.nextDouble()) / rate * 1e9);
      if (intended >= end) {
        break;
      }
      long wait;
      while ((wait = intended - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      long sentFor = intended;
      outstanding.incrementAndGet();
      Futures.addCallback(stub.getClusterConfig(REQUEST), new FutureCallback<ClusterConfigReply>() {
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
            failed.incrementAndGet();
          }
          if (outstanding.decrementAndGet() == 0) {
            done.countDown();
          }
        }
      }, MoreExecutors.directExecutor());
    }
    if (outstanding.decrementAndGet() == 0) {
      done.countDown();
    }
    if (!done.await(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("calls still outstanding 60 s after the load ended");
    }
  }
}
