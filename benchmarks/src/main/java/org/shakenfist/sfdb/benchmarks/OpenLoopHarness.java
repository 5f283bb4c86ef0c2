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
 * machine), at each rate, in rounds that alternate the order. The instances run in this JVM, or in a separate one
 * ({@link RemoteTier}).
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
    for (Segment s : run(tier, rates, rounds, Duration.ofSeconds(1), Duration.ofSeconds(seconds), 1)) {
      System.out.println(s.row());
    }
    System.exit(0);
  }

  /** One measured segment: a policy at a rate, its latency percentiles (µs) and the slow instance's share. */
  record Segment(String tier, String policy, int rate, int round, long calls, long failed, double p50, double p90,
      double p99, double p999, double max, double slowShare) {
    /** The segment as a {@code summary.json} row: its fields, and {@code suite} = {@code openloop}. */
    com.google.gson.JsonObject row() {
      com.google.gson.JsonObject o = new com.google.gson.Gson().toJsonTree(this).getAsJsonObject();
      o.addProperty("suite", "openloop");
      return o;
    }
  }

  /**
   * Runs {@code rounds} rounds over {@code tierKind} ({@code netty}: instances in this JVM; {@code remote}: in a
   * separate one), each measuring every policy at every rate for {@code measure} after {@code warm} of load.
   */
  static List<Segment> run(String tierKind, List<Integer> rates, int rounds, Duration warm, Duration measure,
      long seed) throws Exception {
    List<Segment> out = new java.util.ArrayList<>();
    try (BenchTier tier = BenchTier.start(tierKind, 3, 2, SLOW_MILLIS)) {
      String slow = tier.hostList().get(2);
      for (int round = 0; round < rounds; round++) {
        List<String> order = new java.util.ArrayList<>(POLICIES);
        java.util.Collections.rotate(order, -round);
        if (round % 2 == 1) {
          java.util.Collections.reverse(order);
        }
        for (String policy : order) {
          for (int rate : rates) {
            out.add(segment(tier, tierKind, slow, policy, rate, round, warm, measure, seed + round * 31L + rate));
          }
        }
      }
    }
    return out;
  }

  private static Segment segment(BenchTier tier, String tierKind, String slow, String policy, int rate, int round,
      Duration warm, Duration measure, long seed) throws Exception {
    List<String> hosts = tier.hostList();
    DatabaseChannelConfig config = policy.equals("fast_only")
        ? tier.config().hosts(hosts.get(0) + "," + hosts.get(1)).build()
        : tier.config().loadBalancingPolicy(policy).build();
    try (DatabaseChannel channel = DatabaseChannels.fromConfig(config)) {
      channel.awaitReady(config.hosts().size(), Duration.ofSeconds(30));
      var stub = DatabaseServiceGrpc.newFutureStub(channel);
      Recorder recorder = new Recorder(3);
      AtomicLong failed = new AtomicLong();
      load(stub, rate, warm, new Recorder(3), new AtomicLong(), new SplittableRandom(seed ^ 0x5DEECE66DL));
      CallCounts before = channel.callCounts();
      load(stub, rate, measure, recorder, failed, new SplittableRandom(seed));
      CallCounts during = channel.callCounts().minus(before);
      Histogram h = recorder.getIntervalHistogram();
      double share = during.total() == 0 ? 0 : during.get(slow) / (double) during.total();
      return new Segment(tierKind, policy, rate, round, h.getTotalCount(), failed.get(),
          h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3,
          h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3, share);
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
