package org.shakenfist.sfdb.client;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.shakenfist.sfdb.client.internal.balance.EndpointStates;
import org.shakenfist.sfdb.client.internal.balance.Pick;
import org.shakenfist.sfdb.client.internal.balance.ReconnectCap;
import org.shakenfist.sfdb.client.internal.balance.TierLoadBalancerProvider;
import org.shakenfist.sfdb.client.internal.balance.TierPolicy;
import org.shakenfist.sfdb.client.internal.channel.CoarseTimer;
import org.shakenfist.sfdb.client.internal.channel.DefaultDeadline;
import org.shakenfist.sfdb.client.internal.channel.NettyTransport;
import org.shakenfist.sfdb.client.internal.channel.ServiceConfigs;
import org.shakenfist.sfdb.client.internal.count.EndpointAccounting;
import org.shakenfist.sfdb.client.internal.count.SfdbClientInterceptor;
import org.shakenfist.sfdb.client.internal.resolve.ResolverServiceConfig;
import org.shakenfist.sfdb.client.internal.resolve.SfdbTargets;

/**
 * Entry point: builds a {@link DatabaseChannel} over every gateway instance.
 *
 * <pre>{@code
 * // SHAKENFIST_MARIADB_GATEWAY_HOSTS="10.0.0.20,10.0.0.21"
 * DatabaseChannel channel = DatabaseChannels.fromEnv();
 * DatabaseServiceGrpc.DatabaseServiceBlockingStub stub = DatabaseServiceGrpc.newBlockingStub(channel);
 * }</pre>
 */
public final class DatabaseChannels {
  /** Caps reconnect backoff of every channel and notices when shut-down channels have terminated. */
  private static final ScheduledExecutorService BACKOFF_TIMER = Executors.newSingleThreadScheduledExecutor(
      new ThreadFactoryBuilder().setNameFormat("sfdb-reconnect-backoff-cap").setDaemon(true).build());

  private static final Logger log = Logger.getLogger(DatabaseChannels.class.getName());
  private static final Set<String> warnedCallers = ConcurrentHashMap.newKeySet();

  private DatabaseChannels() {}

  /**
   * Builds a channel from the process environment ({@code SHAKENFIST_*} variables, see
   * {@link DatabaseChannelConfig}).
   *
   * @throws DatabaseConfigException for a missing or bad variable; no channel is built
   * @throws IllegalStateException when the SDK's load-balancing policy is not registered (a fat jar that did
   *     not merge {@code META-INF/services})
   */
  public static DatabaseChannel fromEnv() {
    return fromConfig(DatabaseChannelConfig.fromEnv());
  }

  /** Like {@link #fromEnv()}, reading the given map instead of the process environment. */
  public static DatabaseChannel fromEnv(Map<String, String> env) {
    return fromConfig(DatabaseChannelConfig.fromEnv(env));
  }

  /** Builds a channel from an explicit configuration. */
  public static DatabaseChannel fromConfig(DatabaseChannelConfig config) {
    TierLoadBalancerProvider.requireRegistered(LoadBalancerRegistry.getDefaultRegistry());
    warnIfCallerNotCounted(config.callerDaemon());
    MeterRegistry registry = config.meterRegistry().orElseGet(SimpleMeterRegistry::new);
    EndpointAccounting accounting = config.endpointCounting() ? new EndpointAccounting(registry) : null;
    String target = SfdbTargets.target(config.transport(), config.hosts());
    // The coarse timer serves the SDK's default deadline (unless grpc enforces it: DEADLINE_ON_WIRE) and, on
    // in-process channels (tests, benchmarks), grpc's own timer tasks; Netty's run on its event loops.
    ScheduledExecutorService timer = config.transport() == Transport.IN_PROCESS || !config.deadlineOnWire()
        ? CoarseTimer.lease() : null;
    EndpointStates states = new EndpointStates(config.hosts(), config.healthCheck() == HealthCheckMode.OFF
        ? EndpointState.Health.UNCHECKED : EndpointState.Health.UNKNOWN, accounting, registry, Clock.systemUTC());
    // what the channel holds beyond grpc's own: released when it terminates, or at once if it is never built
    Runnable release = () -> {
      states.close();
      if (timer != null) {
        timer.shutdown();
      }
    };
    ManagedChannel channel;
    try {
      channel = managedChannel(config, target, accounting, timer, states);
    } catch (RuntimeException e) { // e.g. from the user's channelCustomizer: leave nothing half-built behind
      release.run();
      throw e;
    }

    // grpc-java has no public reconnect-backoff setting (its policy grows 1 s x1.6 up to 120 s); cap the wait
    // by short-circuiting backoff of instances in TRANSIENT_FAILURE about every reconnectBackoffMax (jittered)
    Future<?> cap = ReconnectCap.start(BACKOFF_TIMER, config.reconnectBackoffMax().toNanos(),
        channel::resetConnectBackoff);
    return new DatabaseChannel(channel, config, accounting, registry, target, cap, host -> {
      DatabaseChannelConfig direct = direct(config, host);
      return managedChannel(direct, SfdbTargets.target(direct.transport(), direct.hosts()), null, null, null);
    }, BACKOFF_TIMER, release, states);
  }

  /**
   * The grpc channel for {@code config} and its target; {@code accounting} may be null (no counting),
   * {@code timer} too (grpc's own timer), and {@code states} (no endpoint view).
   */
  private static ManagedChannel managedChannel(DatabaseChannelConfig config, String target,
      EndpointAccounting accounting, ScheduledExecutorService timer, EndpointStates states) {
    ManagedChannelBuilder<?> builder;
    if (config.transport() == Transport.IN_PROCESS) {
      InProcessChannelBuilder inProcess = InProcessChannelBuilder.forTarget(target);
      builder = timer == null ? inProcess : inProcess.scheduledExecutorService(timer);
    } else {
      builder = NettyTransport.configure(NettyChannelBuilder.forTarget(target, config.credentials()))
          .keepAliveTime(config.keepAliveTime().toNanos(), TimeUnit.NANOSECONDS)
          .keepAliveTimeout(config.keepAliveTimeout().toNanos(), TimeUnit.NANOSECONDS)
          .keepAliveWithoutCalls(config.keepAliveWithoutCalls());
    }
    builder.setNameResolverArg(TierPolicy.KEY, TierPolicy.of(config, states));
    builder.setNameResolverArg(ResolverServiceConfig.KEY, new ResolverServiceConfig(ServiceConfigs.forConfig(config)))
        .maxInboundMessageSize(config.maxInboundMessageSize())
        .intercept(new SfdbClientInterceptor(config.callerDaemon(), config.callerNode(), accounting,
            config.hostsString(), config.deadlineOnWire() ? null : new DefaultDeadline(config.deadline(), timer)))
        .userAgent("sfdb-client");
    if (!config.retryMethods().isEmpty()) {
      // Only when asked: grpc's in-process builder turns retries off, and an enabled retry layer wraps every
      // call in a RetriableStream (49 % of the bytes an in-process SDK call allocated; see docs/benchmarks.md).
      // Netty channels have it on by default either way (transparent retries).
      builder.enableRetry().maxRetryAttempts(Math.max(5, config.retryMaxAttempts()));
    }
    config.channelCustomizer().accept(builder);
    return builder.build();
  }

  /** One instance, no health checks, no retries, for the one-off probes behind awaitReady's diagnosis. */
  private static DatabaseChannelConfig direct(DatabaseChannelConfig config, GatewayHost host) {
    return config.toBuilder()
        .hosts(List.of(host))
        .loadBalancingPolicy(Pick.PICK_FIRST.policyName())
        .healthCheck(HealthCheckMode.OFF)
        .retryMethods(List.of())
        .endpointCounting(false)
        .deadlineOnWire(true) // grpc's timer: a probe channel holds no lease of the SDK's
        .build();
  }

  /** One WARNING per caller name and process: the real gateway counts unlisted callers as {@code unknown}. */
  private static void warnIfCallerNotCounted(String callerDaemon) {
    if (!CallerMetadata.KNOWN_DAEMONS.contains(callerDaemon) && warnedCallers.add(callerDaemon)) {
      log.warning("sfdb: caller daemon \"" + callerDaemon + "\" (SHAKENFIST_CALLER_DAEMON) is not one the "
          + "sf-database gateway counts by name; its calls will be counted as caller_daemon=\"unknown\". Known: "
          + new TreeSet<>(CallerMetadata.KNOWN_DAEMONS));
    }
  }
}
