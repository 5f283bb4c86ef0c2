package org.shakenfist.sfdb.testkit;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import io.grpc.ServerCredentials;
import io.grpc.StatusRuntimeException;
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.DatabaseChannels;
import org.shakenfist.sfdb.client.GatewayHost;
import org.shakenfist.sfdb.client.GatewayHosts;
import org.shakenfist.sfdb.client.Transport;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;

/**
 * N fake gateway instances over one {@link SharedStore}, started concurrently, plus a ready
 * {@link DatabaseChannel} built by sdk-core exactly as {@code DatabaseChannels.fromEnv()} would.
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
  private final SharedStore store;
  private final Responses responses;
  private final Transport transport;
  private DatabaseChannel channel;

  private final Object changes; // notified by every instance on a change (see FakeDatabaseInstance)
  private DatabaseTier(List<FakeDatabaseInstance> instances, SharedStore store, Responses responses,
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

  public static Builder builder() {
    return new Builder();
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

  public SharedStore store() {
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
  public DatabaseChannelConfig.Builder channelConfigBuilder() {
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

  /** Builder: instance count, transport, bind address and ports. */
  public static final class Builder {
    private int instances = 2;
    private Transport transport = Transport.IN_PROCESS;
    private String bindAddress = "127.0.0.1";
    private List<Integer> ports = List.of();
    private List<Integer> metricsPorts = List.of();
    private boolean metricsHttp = true;
    private SharedStore store;
    private String namePrefix;
    private int recordLimit = 10_000;
    private ServerCredentials credentials;

    private Builder() {}

    /**
     * Netty instances serve with these credentials, e.g. TLS that requires client certificates:
     * {@code TlsServerCredentials.newBuilder().keyManager(cert, key).trustManager(clientCa)
     * .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build()} (default plaintext).
     */
    public Builder tls(ServerCredentials credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /** How many received calls each instance holds for {@link FakeDatabaseInstance#recordedCalls()} (default 10 000; 0: none). */
    public Builder recordLimit(int calls) {
      if (calls < 0) {
        throw new IllegalArgumentException("recordLimit must be >= 0, got " + calls);
      }
      this.recordLimit = calls;
      return this;
    }

    public Builder instances(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("a tier needs at least 1 instance, got " + n);
      }
      this.instances = n;
      return this;
    }

    /** {@link Transport#IN_PROCESS} (default, fastest) or {@link Transport#NETTY} on loopback sockets. */
    public Builder transport(Transport transport) {
      this.transport = Objects.requireNonNull(transport);
      return this;
    }

    /** Bind address of network instances (default 127.0.0.1; e.g. 127.0.0.2 or 0.0.0.0). */
    public Builder bindAddress(String address) {
      this.bindAddress = Objects.requireNonNull(address);
      return this;
    }

    /** Fixed gRPC ports, one per instance (default: free ports). */
    public Builder ports(List<Integer> ports) {
      this.ports = List.copyOf(ports);
      return this;
    }

    /** Fixed metrics ports, one per instance (default: free ports). */
    public Builder metricsPorts(List<Integer> ports) {
      this.metricsPorts = List.copyOf(ports);
      return this;
    }

    /** Whether each instance serves {@code /metrics} over HTTP (default true; counters stay readable in-process). */
    public Builder metricsHttp(boolean on) {
      this.metricsHttp = on;
      return this;
    }

    /** Share a store across tiers (default: a new one). */
    public Builder store(SharedStore store) {
      this.store = Objects.requireNonNull(store);
      return this;
    }

    /** Prefix of instance names (default {@code sfdb-<random>}). */
    public Builder namePrefix(String prefix) {
      this.namePrefix = prefix;
      return this;
    }

    /**
     * Starts every instance concurrently; returns when all are up.
     *
     * @throws IllegalStateException if any instance fails to start (the others are stopped again)
     */
    public DatabaseTier start() {
      if (!ports.isEmpty() && ports.size() != instances) {
        throw new IllegalArgumentException("ports lists " + ports.size() + " ports for " + instances + " instances");
      }
      if (credentials != null && transport == Transport.IN_PROCESS) {
        throw new IllegalArgumentException("tls(...) needs transport(Transport.NETTY): in-process has no TLS");
      }
      if (!metricsPorts.isEmpty() && metricsPorts.size() != instances) {
        throw new IllegalArgumentException("metricsPorts lists " + metricsPorts.size() + " ports for " + instances
            + " instances");
      }
      SharedStore shared = store != null ? store : new SharedStore();
      Object changes = new Object();
      Responses responses = new Responses();
      String prefix = namePrefix != null ? namePrefix : "sfdb-" + UUID.randomUUID().toString().substring(0, 8);
      List<FakeDatabaseInstance> created = new ArrayList<>();
      for (int i = 0; i < instances; i++) {
        created.add(new FakeDatabaseInstance(new FakeDatabaseInstance.Spec(prefix + "-" + i, transport, bindAddress,
            ports.isEmpty() ? 0 : ports.get(i), metricsPorts.isEmpty() ? 0 : metricsPorts.get(i), metricsHttp,
            credentials, recordLimit), shared, responses, changes));
      }
      ExecutorService pool = Executors.newFixedThreadPool(instances);
      try {
        List<CompletableFuture<Void>> starts = created.stream()
            .map(inst -> CompletableFuture.runAsync(() -> {
              try {
                inst.start();
              } catch (IOException e) {
                throw new CompletionException(new IOException(inst.name() + ": " + e.getMessage(), e));
              }
            }, pool))
            .toList();
        CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).join();
      } catch (CompletionException e) {
        created.forEach(FakeDatabaseInstance::close);
        throw new IllegalStateException("could not start the tier: " + e.getCause().getMessage(), e.getCause());
      } finally {
        pool.shutdown();
      }
      return new DatabaseTier(created, shared, responses, transport, changes);
    }
  }
}
