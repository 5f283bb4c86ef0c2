package org.shakenfist.sfdb.benchmarks;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
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
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.DatabaseChannels;
import org.shakenfist.sfdb.client.Transport;
import org.shakenfist.sfdb.client.internal.channel.CoarseTimer;
import org.shakenfist.sfdb.client.internal.resolve.ResolverServiceConfig;
import org.shakenfist.sfdb.client.internal.channel.ServiceConfigs;
import org.shakenfist.sfdb.client.internal.resolve.SfdbTargets;
import org.shakenfist.sfdb.proto.ClusterConfigReply;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;

/**
 * Unary GetClusterConfig against one fake gateway instance, through channels that add the SDK's parts one at
 * a time. Setup {@code transport:kind}; transport {@code inprocess}, {@code netty} (loopback, server in this
 * JVM) or {@code remote} (loopback, server in a separate JVM started by {@link RemoteTier}, as in
 * production), {@code direct} (a minimal in-process server, server and client on {@code directExecutor()}: a
 * call runs on the caller's thread with no hand-off, so the figure is CPU work per call) or {@code minimal} (the
 * same server and client on grpc's default executors). Kinds, each adding to the one before:
 * <ul>
 *   <li>{@code bare}: a plain grpc-java channel to the instance (the limit);
 *   <li>{@code bare-deadline}: the same with the SDK's 30 s deadline on every call;
 *   <li>{@code bare-deadline-coarse}: the same with the deadline tasks on the SDK's coarse timer;
 *   <li>{@code target-rr-deadline}: the SDK's {@code sfdb:} target and resolver, round_robin and the 30 s deadline as
 *       method config, on grpc's own timer: "bare with the same deadline and round_robin";
 *   <li>{@code target}: the SDK's {@code sfdb:} target and resolver, pick_first, no deadline;
 *   <li>{@code target-rr}: + round_robin;
 *   <li>{@code target-health}: + the SDK's tier policy ({@code sfdb_tier}: round_robin over one pick_first per
 *       instance, unary health polls; its defaults, as no SDK channel hands it a policy);
 *   <li>{@code target-svc}: + the whole service config (the 30 s deadline as method config);
 *   <li>{@code target-svc-coarse}: + the SDK's coarse timer for the deadline tasks;
 *   <li>{@code sdk-wire}: {@code DatabaseChannels.fromConfig} with {@code deadlineOnWire(true)} (all of the
 *       above + interceptor, metadata, per-endpoint accounting; grpc's deadline, on the coarse timer);
 *   <li>{@code sdk}: the SDK's defaults: as {@code sdk-wire}, but the default deadline is the SDK's own (one
 *       task on its coarse timer, no {@code grpc-timeout} header, no server deadline context);
 *   <li>{@code sdk-nocount}: the SDK with {@code endpointCounting(false)} (no accounting tracer, no meters);
 *   <li>{@code sdk-noeject}: the SDK with {@code ejectAfterFailures(0)} (round_robin's picks then carry no tracer).
 * </ul>
 * The runner sets the thread count and alternates setups and forks (see {@link BenchmarkRunner}); the
 * {@code minimal} setups run interleaved in shared forks instead ({@link InterleavedOverhead}).
 *
 * <p>Uses {@code client.internal} classes (not API) on purpose: the partial channels must be built from the
 * very pieces the SDK uses, without the SDK's channel, to attribute its cost.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class OverheadBenchmark {
  private static final ClusterConfigRequest REQUEST = ClusterConfigRequest.getDefaultInstance();

  @Param({"inprocess:bare"})
  public String setup;

  private BenchTier tier;
  private ManagedChannel plain;
  private DatabaseChannel sdk;
  private ScheduledExecutorService coarse;
  private DatabaseServiceGrpc.DatabaseServiceBlockingStub stub;
  private boolean deadline;

  @Setup(Level.Trial)
  public void start() throws Exception {
    String[] p = setup.split(":");
    String kind = p[1];
    tier = BenchTier.start(p[0], 1);
    DatabaseChannelConfig config = tier.config().build();
    Channel channel;
    boolean direct = p[0].equals("direct");
    if (kind.equals("bare") || kind.startsWith("bare-deadline")) {
      InProcessChannelBuilder inProcess = InProcessChannelBuilder.forName(config.hosts().get(0).host());
      if (kind.equals("bare-deadline-coarse")) {
        coarse = CoarseTimer.lease();
        inProcess.scheduledExecutorService(coarse);
      }
      plain = tier.transport() == Transport.IN_PROCESS
          ? (direct ? inProcess.directExecutor() : inProcess).build()
          : NettyChannelBuilder.forTarget(config.hosts().get(0).toString()).usePlaintext().build();
      channel = plain;
    } else if (kind.startsWith("target")) {
      // grpc enforces the deadline in these setups (it is in the service config), as with DEADLINE_ON_WIRE=true
      Map<String, Object> full = ServiceConfigs.forConfig(config.toBuilder().deadlineOnWire(true).build());
      Map<String, ?> sc = switch (kind) {
        case "target" -> Map.of("loadBalancingConfig", List.of(Map.of("pick_first", Map.of())));
        case "target-rr" -> Map.of("loadBalancingConfig", List.of(Map.of("round_robin", Map.of())));
        case "target-rr-deadline" -> Map.of("loadBalancingConfig", List.of(Map.of("round_robin", Map.of())),
            "methodConfig", full.get("methodConfig"));
        case "target-health" -> Map.of("loadBalancingConfig", full.get("loadBalancingConfig"));
        case "target-svc", "target-svc-coarse" -> full;
        default -> throw new IllegalArgumentException(setup);
      };
      String target = SfdbTargets.target(tier.transport(), config.hosts());
      if (tier.transport() == Transport.IN_PROCESS) {
        InProcessChannelBuilder b = InProcessChannelBuilder.forTarget(target);
        if (direct) {
          b.directExecutor();
        }
        if (kind.equals("target-svc-coarse")) {
          coarse = CoarseTimer.lease();
          b.scheduledExecutorService(coarse);
        }
        plain = b.setNameResolverArg(ResolverServiceConfig.KEY, new ResolverServiceConfig(sc)).build();
      } else {
        plain = NettyChannelBuilder.forTarget(target).usePlaintext()
            .setNameResolverArg(ResolverServiceConfig.KEY, new ResolverServiceConfig(sc)).build();
      }
      channel = plain;
    } else if (kind.equals("sdk") || kind.equals("sdk-nocount") || kind.equals("sdk-wire")
        || kind.equals("sdk-noeject")) {
      var sdkConfig = (kind.equals("sdk-nocount") ? tier.config().endpointCounting(false) : tier.config())
          .deadlineOnWire(kind.equals("sdk-wire"));
      if (kind.equals("sdk-noeject")) {
        sdkConfig.ejectAfterFailures(0);
      }
      if (direct) {
        sdkConfig.channelCustomizer(b -> b.directExecutor());
      }
      sdk = DatabaseChannels.fromConfig(sdkConfig.build());
      sdk.awaitReady(1, Duration.ofSeconds(30));
      channel = sdk;
    } else {
      throw new IllegalArgumentException(setup);
    }
    stub = DatabaseServiceGrpc.newBlockingStub(channel);
    deadline = kind.startsWith("bare-deadline");
    for (int i = 0; i < 1000; i++) {
      stub.getClusterConfig(REQUEST); // connected and warm before measuring (with 200, Netty setups ran JIT-cold)
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
  public void stop() throws Exception {
    if (plain != null) {
      plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (sdk != null) {
      sdk.close();
    }
    if (coarse != null) {
      coarse.shutdown();
    }
    tier.close();
  }
}
