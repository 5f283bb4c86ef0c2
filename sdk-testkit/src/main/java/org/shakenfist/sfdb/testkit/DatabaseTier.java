package org.shakenfist.sfdb.testkit;

import java.net.URI;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import io.grpc.StatusRuntimeException;
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.DatabaseChannelConfigBuilder;
import org.shakenfist.sfdb.client.DatabaseChannels;
import org.shakenfist.sfdb.client.GatewayHost;
import org.shakenfist.sfdb.client.GatewayHosts;
import org.shakenfist.sfdb.client.Transport;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;

/**
 * N fake gateway instances over one {@link GatewayStore} (in memory by default), started concurrently, plus a ready
 * {@link DatabaseChannel} built by sdk-core's {@link DatabaseChannels} from {@link #channelConfigBuilder()}
 * (the in-process transport for an in-process tier; a Netty tier's channel dials its sockets as
 * {@code DatabaseChannels.fromEnv(tier.env())} would).
 *
 * <pre>{@code
 * try (DatabaseTier tier = DatabaseTier.start(3)) {
 *   var stub = DatabaseServiceGrpc.newBlockingStub(tier.channel());
 *   stub.getClusterConfig(ClusterConfigRequest.getDefaultInstance());
 *   tier.instance(1).setServing(false);
 *   FanOut.of(tier).check();           // throws FanOutException: instance 1 gets nothing
 * }
 * }</pre>
 */
public final class DatabaseTier implements AutoCloseable {
  private final List<FakeDatabaseInstance> instances;
  private final GatewayStore store;
  private final Responses responses;
  private final Transport transport;
  private DatabaseChannel channel;

  private final Object changes; // notified by every instance on a change (see FakeDatabaseInstance)
  DatabaseTier(List<FakeDatabaseInstance> instances, GatewayStore store, Responses responses,
      Transport transport, Object changes) {
    this.changes = changes;
    this.instances = List.copyOf(instances);
    this.store = store;
    this.responses = responses;
    this.transport = transport;
  }

  /** Starts {@code n} in-process instances. */
  public static DatabaseTier start(int n) {
    return builder().instances(n).start();
  }

  /** A builder of a tier: instance count, transport, bind address, ports, TLS. */
  public static DatabaseTierBuilder builder() {
    return new DatabaseTierBuilder();
  }

  public List<FakeDatabaseInstance> instances() {
    return instances;
  }

  public FakeDatabaseInstance instance(int i) {
    return instances.get(i);
  }

  public int size() {
    return instances.size();
  }

  public GatewayStore store() {
    return store;
  }

  /** Answers for the DatabaseService methods the fake does not implement, shared by every instance. */
  public Responses responses() {
    return responses;
  }

  /** The calls every instance holds, oldest first. */
  public List<RecordedCall> recordedCalls() {
    return instances.stream().flatMap(i -> i.recordedCalls().stream())
        .sorted(Comparator.comparing(RecordedCall::at)).toList();
  }

  /**
   * Waits until any instance holds a matching call; returns it.
   *
   * @throws TimeoutException listing the methods of the calls that were held
   */
  public RecordedCall awaitRecordedCall(Predicate<RecordedCall> match, Duration timeout)
      throws TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (changes) { // every instance notifies it when it records a call: no polling
      while (true) {
        for (FakeDatabaseInstance i : instances) {
          for (RecordedCall c : i.recordedCalls()) {
            if (match.test(c)) {
              return c;
            }
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException("no matching call within " + timeout + "; held: "
              + recordedCalls().stream().map(c -> c.instance() + ":" + c.rpc()).toList());
        }
        TimeUnit.NANOSECONDS.timedWait(changes, left);
      }
    }
  }

  public Transport transport() {
    return transport;
  }

  /**
   * The instances, comma-separated in host-list syntax. For a {@link Transport#NETTY} tier these are loopback
   * {@code host:port} items, a valid {@code SHAKENFIST_MARIADB_GATEWAY_HOSTS} value (see {@link #env()}). For an
   * {@link Transport#IN_PROCESS} tier they are in-process server names, which only a channel built with
   * {@code transport(Transport.IN_PROCESS)} reaches: use {@link #channelConfigBuilder()} for those.
   */
  public String hostsString() {
    return GatewayHosts.render(instances.stream().map(FakeDatabaseInstance::gatewayHost).toList());
  }

  /**
   * The environment a daemon would have for this tier, for {@code DatabaseChannels.fromEnv(tier.env())}:
   * {@code SHAKENFIST_MARIADB_GATEWAY_HOSTS}, and {@code SHAKENFIST_MARIADB_GATEWAY_METRICS_PORT} when every
   * instance serves metrics on the same port (instances on different loopback addresses).
   *
   * @throws IllegalStateException for an in-process tier, which no environment can name (use
   *     {@link #channelConfigBuilder()})
   */
  public Map<String, String> env() {
    if (transport == Transport.IN_PROCESS) {
      throw new IllegalStateException("an in-process tier has no SHAKENFIST_MARIADB_GATEWAY_HOSTS value: its "
          + "instances are in-process server names; build channels with tier.channelConfigBuilder(), or start the "
          + "tier with transport(Transport.NETTY)");
    }
    Map<String, String> env = new LinkedHashMap<>();
    env.put(DatabaseChannelConfig.ENV_HOSTS, hostsString());
    List<Integer> metricsPorts = instances.stream().map(FakeDatabaseInstance::metricsPort).distinct().toList();
    if (metricsPorts.size() == 1 && metricsPorts.get(0) > 0) { // 0: metricsHttp(false), no metrics port
      env.put(DatabaseChannelConfig.ENV_METRICS_PORT, String.valueOf(metricsPorts.get(0)));
    }
    return Map.copyOf(env);
  }

  /** Every instance's {@code /metrics} URI. */
  public List<URI> metricsUris() {
    return instances.stream().map(FakeDatabaseInstance::metricsUri).toList();
  }

  /**
   * A channel configuration for this tier (hosts and transport set), to adjust before building, e.g.
   * {@code DatabaseChannels.fromConfig(tier.channelConfigBuilder().loadBalancingPolicy("pick_first").build())}.
   */
  public DatabaseChannelConfigBuilder channelConfigBuilder() {
    List<GatewayHost> hosts = instances.stream().map(FakeDatabaseInstance::gatewayHost).toList();
    return DatabaseChannelConfig.builder().hosts(hosts).transport(transport);
  }

  /** The tier's shared channel (default settings), built on first use and closed with the tier. */
  public synchronized DatabaseChannel channel() {
    if (channel == null) {
      channel = DatabaseChannels.fromConfig(channelConfigBuilder().build());
    }
    return channel;
  }

  /** Counters of every instance, read in-process (no HTTP): the source {@link FanOut#of(DatabaseTier)} uses. */
  public CounterSource counterSource() {
    return CounterSource.of(instances);
  }

  /**
   * Waits until at least {@code k} instances are running and SERVING.
   *
   * @throws TimeoutException listing every instance's state when that does not happen in time
   */
  public void awaitServing(int k, Duration timeout) throws TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (changes) { // every instance notifies it when it starts, stops or flips health
      while (instances.stream().filter(FakeDatabaseInstance::isServing).count() < k) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException("expected " + k + " SERVING instances within " + timeout + "; states: " + instances);
        }
        TimeUnit.NANOSECONDS.timedWait(changes, left);
      }
    }
  }

  /**
   * Drives {@code GetClusterConfig} through {@link #channel()} until every SERVING instance has served a call,
   * so the channel's round_robin has all of them READY (early calls skew while connections come up).
   *
   * @throws TimeoutException naming the instances that never got a call
   */
  public void warmUp(Duration timeout) throws TimeoutException {
    var stub = DatabaseServiceGrpc.newBlockingStub(channel());
    Map<FakeDatabaseInstance, Long> start = new LinkedHashMap<>();
    instances.forEach(i -> start.put(i, i.requestCount()));
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<FakeDatabaseInstance> missing = instances.stream()
          .filter(i -> i.isServing() && i.requestCount() <= start.get(i)).toList();
      if (missing.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("warm-up: no call reached " + missing + " within " + timeout);
      }
      try {
        stub.getClusterConfig(ClusterConfigRequest.getDefaultInstance());
      } catch (StatusRuntimeException e) {
        // not READY yet; keep going until the deadline
      }
    }
  }

  /**
   * Restarts stopped instances, sets every instance SERVING, clears faults, recorded calls and programmed
   * responses (between tests).
   */
  public void reset() {
    for (FakeDatabaseInstance i : instances) {
      if (!i.isRunning()) {
        i.restart();
      }
      i.setServing(true);
      i.clearFaults();
      i.clearRecordedCalls();
    }
    responses.clear();
  }

  @Override
  public synchronized void close() {
    if (channel != null) {
      channel.close();
      channel = null;
    }
    instances.parallelStream().forEach(FakeDatabaseInstance::close);
  }

  @Override
  public String toString() {
    return "DatabaseTier" + instances;
  }
}
