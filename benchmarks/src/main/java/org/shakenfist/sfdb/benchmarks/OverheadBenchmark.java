package org.shakenfist.sfdb.benchmarks;

import io.grpc.Channel;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
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
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.client.DatabaseChannels;
import org.shakenfist.sfdb.client.Transport;
import org.shakenfist.sfdb.client.internal.SfdbTargets;
import org.shakenfist.sfdb.proto.ClusterConfigReply;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;
import org.shakenfist.sfdb.testkit.DatabaseTier;

/**
 * Unary GetClusterConfig through: a bare grpc-java channel to one instance (the limit), the same with the
 * 30 s per-call deadline the SDK applies ({@code bare-deadline}: grpc's cost of a deadline), the SDK channel
 * to 1/2/4/8 instances, the SDK channel with per-endpoint counting off, and a peer channel (the sfdb
 * resolver with round_robin + health, but none of the SDK's interceptor, tracer or metadata) — in-process
 * and over Netty loopback. Setup format: {@code transport:kind:instances}.
 *
 * <p>Uses {@code client.internal.SfdbTargets} (not API) on purpose: the peer channel must use the very
 * target the SDK builds, without the SDK's channel, to separate the SDK's own cost from grpc's.
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class OverheadBenchmark {
  private static final ClusterConfigRequest REQUEST = ClusterConfigRequest.getDefaultInstance();

  @Param({
      "inprocess:bare:1", "inprocess:bare-deadline:1", "inprocess:sdk:1", "inprocess:sdk-nocount:1", "inprocess:sdk:2", "inprocess:sdk:4",
      "inprocess:sdk:8", "inprocess:peer:8",
      "netty:bare:1", "netty:bare-deadline:1", "netty:sdk:1", "netty:sdk-nocount:1", "netty:sdk:2", "netty:peer:2"})
  public String setup;

  private DatabaseTier tier;
  private ManagedChannel plain;
  private DatabaseChannel sdk;
  private DatabaseServiceGrpc.DatabaseServiceBlockingStub stub;
  private boolean deadline;

  @Setup(Level.Trial)
  public void start() throws Exception {
    String[] p = setup.split(":");
    Transport transport = "netty".equals(p[0]) ? Transport.NETTY : Transport.IN_PROCESS;
    String kind = p[1];
    int n = Integer.parseInt(p[2]);
    tier = DatabaseTier.builder().instances(n).transport(transport).metricsHttp(false).start();
    Channel channel;
    switch (kind) {
      case "bare", "bare-deadline" -> {
        var instance = tier.instance(0);
        plain = transport == Transport.NETTY
            ? NettyChannelBuilder.forAddress("127.0.0.1", instance.port()).usePlaintext().build()
            : InProcessChannelBuilder.forName(instance.name()).build();
        channel = plain;
      }
      case "peer" -> {
        String target = SfdbTargets.target(transport, tier.channelConfigBuilder().build().hosts()); // the SDK's target
        plain = transport == Transport.NETTY
            ? NettyChannelBuilder.forTarget(target, InsecureChannelCredentials.create()).build()
            : InProcessChannelBuilder.forTarget(target).build();
        channel = plain;
      }
      case "sdk", "sdk-nocount" -> {
        sdk = DatabaseChannels.fromConfig(tier.channelConfigBuilder().endpointCounting("sdk".equals(kind)).build());
        sdk.awaitReady(n, Duration.ofSeconds(30));
        channel = sdk;
      }
      default -> throw new IllegalArgumentException(setup);
    }
    stub = DatabaseServiceGrpc.newBlockingStub(channel);
    deadline = "bare-deadline".equals(kind);
    for (int i = 0; i < 2000; i++) {
      stub.getClusterConfig(REQUEST); // connect every instance before measuring
    }
  }

  @Benchmark
  public ClusterConfigReply getClusterConfig() {
    if (deadline) {
      // the same per-call 30 s deadline the SDK's service config gives every call
      return stub.withDeadlineAfter(30, TimeUnit.SECONDS).getClusterConfig(REQUEST);
    }
    return stub.getClusterConfig(REQUEST);
  }

  @TearDown(Level.Trial)
  public void stop() throws InterruptedException {
    if (plain != null) {
      plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (sdk != null) {
      sdk.close();
    }
    tier.close();
  }
}
