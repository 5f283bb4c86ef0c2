package org.shakenfist.sfdb.testkit;

import io.grpc.ServerCredentials;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.shakenfist.sfdb.client.Transport;

/**
 * Builder of a {@link DatabaseTier}: instance count, transport, bind address, ports, TLS.
 *
 * <pre>{@code
 * try (DatabaseTier tier = DatabaseTier.builder().instances(3).transport(Transport.NETTY).start()) {
 *   DatabaseChannel channel = DatabaseChannels.fromEnv(tier.env());
 * }
 * }</pre>
 */
public final class DatabaseTierBuilder {
  private int instances = 2;
  private Transport transport = Transport.IN_PROCESS;
  private String bindAddress = "127.0.0.1";
  private List<Integer> ports = List.of();
  private List<Integer> metricsPorts = List.of();
  private boolean metricsHttp = true;
  private GatewayStore store;
  private String namePrefix;
  private int recordLimit = 10_000;
  private ServerCredentials credentials;
  private boolean directExecutor;

  DatabaseTierBuilder() {}

  /**
   * Netty instances serve with these credentials, e.g. TLS that requires client certificates:
   * {@code TlsServerCredentials.newBuilder().keyManager(cert, key).trustManager(clientCa)
   * .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build()} (default plaintext).
   */
  public DatabaseTierBuilder tls(ServerCredentials credentials) {
    this.credentials = Objects.requireNonNull(credentials, "credentials");
    return this;
  }

  /** How many received calls each instance holds for {@link FakeDatabaseInstance#recordedCalls()} (default 10 000; 0: none). */
  public DatabaseTierBuilder recordLimit(int calls) {
    if (calls < 0) {
      throw new IllegalArgumentException("recordLimit must be >= 0, got " + calls);
    }
    this.recordLimit = calls;
    return this;
  }

  public DatabaseTierBuilder instances(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("a tier needs at least 1 instance, got " + n);
    }
    this.instances = n;
    return this;
  }

  /** {@link Transport#IN_PROCESS} (default, fastest) or {@link Transport#NETTY} on loopback sockets. */
  public DatabaseTierBuilder transport(Transport transport) {
    this.transport = Objects.requireNonNull(transport);
    return this;
  }

  /** Bind address of network instances (default 127.0.0.1; e.g. 127.0.0.2 or 0.0.0.0). */
  public DatabaseTierBuilder bindAddress(String address) {
    this.bindAddress = Objects.requireNonNull(address);
    return this;
  }

  /** Fixed gRPC ports, one per instance (default: free ports). */
  public DatabaseTierBuilder ports(List<Integer> ports) {
    this.ports = List.copyOf(ports);
    return this;
  }

  /** Fixed metrics ports, one per instance (default: free ports). */
  public DatabaseTierBuilder metricsPorts(List<Integer> ports) {
    this.metricsPorts = List.copyOf(ports);
    return this;
  }

  /** Whether each instance serves {@code /metrics} over HTTP (default true; counters stay readable in-process). */
  public DatabaseTierBuilder metricsHttp(boolean on) {
    this.metricsHttp = on;
    return this;
  }

  /**
   * Serve each call on the transport's thread instead of grpc's default executor (default off). With an
   * in-process tier and a client channel on {@code directExecutor()} too, a unary call runs on the caller's thread
   * with no hand-off: CPU-bound benchmarks measure work per call so. A delay fault then blocks the caller.
   */
  public DatabaseTierBuilder directExecutor(boolean on) {
    this.directExecutor = on;
    return this;
  }

  /** Share a store across tiers, or serve another store, such as one backed by a database (default: a new {@link SharedStore}). */
  public DatabaseTierBuilder store(GatewayStore store) {
    this.store = Objects.requireNonNull(store);
    return this;
  }

  /** Prefix of instance names (default {@code sfdb-<random>}). */
  public DatabaseTierBuilder namePrefix(String prefix) {
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
    GatewayStore shared = store != null ? store : new SharedStore();
    Object changes = new Object();
    Responses responses = new Responses();
    String prefix = namePrefix != null ? namePrefix : "sfdb-" + UUID.randomUUID().toString().substring(0, 8);
    List<FakeDatabaseInstance> created = new ArrayList<>();
    for (int i = 0; i < instances; i++) {
      created.add(new FakeDatabaseInstance(new FakeDatabaseInstance.Spec(prefix + "-" + i, transport, bindAddress,
          ports.isEmpty() ? 0 : ports.get(i), metricsPorts.isEmpty() ? 0 : metricsPorts.get(i), metricsHttp,
          credentials, recordLimit, directExecutor), shared, responses, changes));
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
