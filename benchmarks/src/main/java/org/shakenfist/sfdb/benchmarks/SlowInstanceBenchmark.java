package org.shakenfist.sfdb.benchmarks;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.shakenfist.sfdb.client.CallCounts;
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.DatabaseChannels;
import org.shakenfist.sfdb.proto.ClusterConfigReply;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;

/**
 * Where round_robin is weakest: 3 Netty loopback instances, one answering 5 ms late (testkit {@code delay}),
 * 8 caller threads, latency distribution per policy ({@code round_robin}, {@code least_request}). The slow
 * instance's share of the calls is appended to {@code slow-instance.jsonl}.
 *
 * <p>{@code fast_only} is the control: round_robin over the two fast instances alone, i.e. what a policy
 * that never picked the slow instance would get on this machine. Its p99 is the floor for any policy.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SlowInstanceBenchmark {
  private static final ClusterConfigRequest REQUEST = ClusterConfigRequest.getDefaultInstance();

  @Param({"round_robin", "least_request", "fast_only"})
  public String policy;

  private BenchTier tier;
  private DatabaseChannel channel;
  private DatabaseServiceGrpc.DatabaseServiceBlockingStub stub;
  private CallCounts start;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    tier = BenchTier.start("netty", 3);
    DatabaseChannelConfig config = policy.equals("fast_only")
        ? tier.config().hosts(tier.instance(0).gatewayHost() + "," + tier.instance(1).gatewayHost()).build()
        : tier.config().loadBalancingPolicy(policy).build();
    channel = DatabaseChannels.fromConfig(config);
    channel.awaitReady(config.hosts().size(), Duration.ofSeconds(30));
    stub = DatabaseServiceGrpc.newBlockingStub(channel);
    for (int i = 0; i < 1000; i++) {
      stub.getClusterConfig(REQUEST);
    }
    tier.instance(2).delay(Duration.ofMillis(5));
    start = channel.callCounts();
  }

  @Benchmark
  @Threads(8)
  public ClusterConfigReply getClusterConfig() {
    return stub.getClusterConfig(REQUEST);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    CallCounts delta = channel.callCounts().minus(start);
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("policy", policy);
    row.put("slowShare", delta.get(tier.instance(2).gatewayHost().toString()) / (double) delta.total());
    row.put("calls", delta.total());
    TrialRows.append(TrialRows.SLOW_INSTANCE, row);
    channel.close();
    tier.close();
  }
}
