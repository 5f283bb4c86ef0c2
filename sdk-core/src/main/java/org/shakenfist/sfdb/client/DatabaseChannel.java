package org.shakenfist.sfdb.client;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.shakenfist.sfdb.client.internal.balance.EndpointStates;
import org.shakenfist.sfdb.client.internal.count.EndpointAccounting;
import org.shakenfist.sfdb.client.internal.health.ReadinessProbe;

/**
 * One gRPC channel over every instance of a gateway tier: round_robin across one endpoint per instance,
 * client-side health checks, caller metadata, default deadline, optional retries and per-endpoint
 * accounting. Create it with {@link DatabaseChannels}; use it like any {@link ManagedChannel} (stubs, grpc's
 * cleanup helpers, {@link #notifyWhenStateChanged}, {@link #resetConnectBackoff}, {@link #enterIdle}); close it
 * when done.
 *
 * <pre>{@code
 * try (DatabaseChannel channel = DatabaseChannels.fromEnv()) {
 *   var stub = DatabaseServiceGrpc.newBlockingStub(channel);
 *   stub.getClusterConfig(ClusterConfigRequest.getDefaultInstance());
 *   System.out.println(channel.callCounts()); // {10.0.0.20:13005=1}
 * }
 * }</pre>
 *
 * <p>Thread-safe; meant to be created once per process and shared (never rebuilt on failure: grpc
 * reconnects by itself, and rebuilding channels per failure once stormed the tier).
 */
public final class DatabaseChannel extends ManagedChannel implements AutoCloseable {
  /** Micrometer counter of call attempts; tags {@code endpoint}, {@code method}, {@code status}. */
  public static final String CALLS_METER = EndpointAccounting.METER;
  /**
   * Micrometer timer of each call attempt's duration, same tags; percentiles or histogram buckets only when
   * the registry asks for them (a {@code MeterFilter}).
   */
  public static final String ATTEMPT_DURATION_METER = EndpointAccounting.TIMER;
  private final ManagedChannel channel;
  private final DatabaseChannelConfig config;
  private final EndpointAccounting accounting;
  private final MeterRegistry registry;
  private final String target;
  private final Future<?> backoffCap;
  private final Function<GatewayHost, ManagedChannel> directChannel;
  private final ScheduledExecutorService housekeeping;
  private final AtomicReference<Runnable> onTerminated;
  private final EndpointStates states;

  DatabaseChannel(ManagedChannel channel, DatabaseChannelConfig config, EndpointAccounting accounting,
      MeterRegistry registry, String target, Future<?> backoffCap, Function<GatewayHost, ManagedChannel> directChannel,
      ScheduledExecutorService housekeeping, Runnable onTerminated, EndpointStates states) {
    this.states = states;
    this.channel = channel;
    this.config = config;
    this.accounting = accounting;
    this.registry = registry;
    this.target = target;
    this.backoffCap = backoffCap;
    this.directChannel = directChannel;
    this.housekeeping = housekeeping;
    this.onTerminated = new AtomicReference<>(onTerminated);
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions) {
    return channel.newCall(method, callOptions);
  }

  @Override
  public String authority() {
    return channel.authority();
  }

  /** The configuration this channel was built from. */
  public DatabaseChannelConfig config() {
    return config;
  }

  /** The gateway instances this channel spreads calls over. */
  public List<GatewayHost> hosts() {
    return config.hosts();
  }

  /** The grpc target, e.g. {@code sfdb:///10.0.0.20:13005,10.0.0.21:13005}. */
  public String target() {
    return target;
  }

  /**
   * Attempts per endpoint since the channel was built (every retry attempt counts; attempts that reached no
   * instance count under {@link CallCounts#NO_ENDPOINT}). Empty when counting is off.
   */
  public CallCounts callCounts() {
    return accounting == null ? CallCounts.empty() : accounting.snapshot();
  }

  /**
   * Every configured instance's state as this channel sees it now: addresses, connectivity, health, whether
   * calls go to it, since when, and attempts so far. The same is published as Micrometer gauges
   * ({@code sfdb.client.endpoint.in.rotation}, {@code .state}, {@code .health}, tag {@code endpoint}), and an
   * instance entering or leaving the rotation is logged at INFO.
   *
   * <pre>{@code
   * channel.endpoints().forEach(e -> System.out.println(e.host() + " " + e.connectivity() + " " + e.health()));
   * // 10.0.0.20:13005 READY SERVING
   * // 10.0.0.21:13005 TRANSIENT_FAILURE UNKNOWN
   * }</pre>
   */
  public List<EndpointState> endpoints() {
    return states.snapshot();
  }

  /**
   * Waits, without polling, until this channel's endpoint view satisfies {@code condition} (checked now and at
   * every change of an instance's state), e.g. until a NOT_SERVING instance has left the rotation.
   *
   * <pre>{@code
   * channel.awaitEndpoints(view -> !view.get(1).inRotation(), Duration.ofSeconds(10));
   * }</pre>
   *
   * @return the view that satisfied it
   * @throws TimeoutException with the last view when {@code timeout} passes first
   */
  public List<EndpointState> awaitEndpoints(java.util.function.Predicate<List<EndpointState>> condition,
      Duration timeout) throws TimeoutException, InterruptedException {
    return states.await(condition, timeout);
  }

  /** The registry holding {@code sfdb.client.calls} (tags endpoint, method, status). */
  public MeterRegistry meterRegistry() {
    return registry;
  }

  /**
   * Waits until at least {@code minServing} instances are READY and SERVING, as seen through this channel:
   * {@code grpc.health.v1.Health/Check} probes go out through round_robin (which only picks READY, healthy
   * instances) and the endpoints that answer SERVING are counted. Probes are retried with Failsafe until
   * {@code timeout}. Only SERVING answers count, with one exception: an instance without a health service
   * (UNIMPLEMENTED) counts as serving, as the health checks treat it. Probe attempts show up in
   * {@link #callCounts()} under method {@code grpc.health.v1.Health/Check}.
   *
   * <pre>{@code
   * channel.awaitReady(channel.hosts().size(), Duration.ofSeconds(30));
   * }</pre>
   *
   * @return the endpoints that answered SERVING in the last probe round
   * @throws TimeoutException listing every configured instance's state (SERVING, NOT_SERVING, unreachable)
   */
  public Set<String> awaitReady(int minServing, Duration timeout) throws TimeoutException {
    return ReadinessProbe.await(this, config.hosts(), directChannel, minServing, timeout);
  }

  /** Aggregate connectivity state; {@code requestConnection} leaves IDLE. */
  @Override
  public ConnectivityState getState(boolean requestConnection) {
    return channel.getState(requestConnection);
  }

  @Override
  public void notifyWhenStateChanged(ConnectivityState source, Runnable callback) {
    channel.notifyWhenStateChanged(source, callback);
  }

  /** Reconnects at once to every instance waiting out a reconnect backoff. */
  @Override
  public void resetConnectBackoff() {
    channel.resetConnectBackoff();
  }

  /** Drops the connections and the resolver until the next call (grpc's idle mode). */
  @Override
  public void enterIdle() {
    channel.enterIdle();
  }

  /** Starts an orderly shutdown: in-flight calls finish, new calls fail. */
  @Override
  public DatabaseChannel shutdown() {
    states.shuttingDown();
    backoffCap.cancel(false);
    channel.shutdown();
    releaseWhenTerminated();
    return this;
  }

  /** Cancels in-flight calls and shuts down. */
  @Override
  public DatabaseChannel shutdownNow() {
    states.shuttingDown();
    backoffCap.cancel(false);
    channel.shutdownNow();
    releaseWhenTerminated();
    return this;
  }

  /** Releases what the channel holds beyond grpc's own (its timer lease) once grpc has terminated it. */
  private void releaseWhenTerminated() {
    if (onTerminated.get() == null) {
      return;
    }
    if (channel.isTerminated()) {
      release();
      return;
    }
    AtomicReference<Future<?>> watch = new AtomicReference<>();
    watch.set(housekeeping.scheduleWithFixedDelay(() -> {
      if (channel.isTerminated()) {
        release();
        Future<?> self = watch.get();
        if (self != null) {
          self.cancel(false);
        }
      }
    }, 50, 50, TimeUnit.MILLISECONDS));
  }

  private void release() {
    Runnable r = onTerminated.getAndSet(null);
    if (r != null) {
      r.run();
    }
  }

  @Override
  public boolean isShutdown() {
    return channel.isShutdown();
  }

  @Override
  public boolean isTerminated() {
    return channel.isTerminated();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return channel.awaitTermination(timeout, unit);
  }

  /** Shuts down, waits up to 5 s for in-flight calls, then cancels what is left. */
  @Override
  public void close() {
    shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
    if (channel.isTerminated()) {
      release();
    }
  }

  @Override
  public String toString() {
    return "DatabaseChannel{" + target + ", " + config.loadBalancingPolicy() + ", health=" + config.healthCheck()
        + "}";
  }
}
