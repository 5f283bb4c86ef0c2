package org.shakenfist.sfdb.testkit;

import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.shakenfist.sfdb.client.GatewayHost;
import org.shakenfist.sfdb.client.Transport;
import org.shakenfist.sfdb.testkit.internal.DatabaseServiceImpl;
import org.shakenfist.sfdb.testkit.internal.PrometheusText;

/**
 * One fake sf-database gateway instance: the {@code shakenfist.protos.DatabaseService} backed by the tier's
 * {@link GatewayStore}, grpc health for service {@code ""} (SERVING at start), per-instance counters
 * {@code database_<op>_total} and {@code database_requests_total{operation,caller_daemon}} on an HTTP
 * {@code /metrics} endpoint, and faults.
 *
 * <pre>{@code
 * FakeDatabaseInstance i = tier.instance(0);
 * i.setServing(false);          // health flips NOT_SERVING: clients stop sending
 * i.failNext(3, Status.UNAVAILABLE);
 * i.delay(Duration.ofMillis(50));
 * i.kill();                     // abrupt
 * i.restart();                  // same address, fresh counters (like a new process)
 * i.drain(Duration.ofSeconds(10)); // NOT_SERVING, then graceful stop like the real daemon
 * }</pre>
 *
 * <p>A facade over its parts: {@link InstanceServer} (the grpc server and how it ends: crash, stop, drain),
 * {@link InstanceMetrics} (counters and the {@code /metrics} endpoint), {@link CallRecorder},
 * {@link InstanceFaults} (and the interceptors that apply them) and {@link FallbackMethods} (every method the
 * fake does not implement, from {@link Responses}); health status is kept here.
 * Thread-safe. Usually created by {@link DatabaseTier}.
 */
public final class FakeDatabaseInstance implements AutoCloseable {
  /**
   * Largest request an instance takes: grpc's default receive limit, which the real gateway keeps (it sets no
   * {@code grpc.max_receive_message_length}); a larger request fails with RESOURCE_EXHAUSTED, on every transport.
   */
  public static final int MAX_REQUEST_BYTES = 4 * 1024 * 1024;

  private final String name;
  private final GatewayStore store;
  private final Transport transport;
  private final String bindHost;
  private final boolean metricsHttp;
  private final InstanceServer server;
  private final Object changes;
  private final InstanceMetrics metrics = new InstanceMetrics();
  private final CallRecorder recorder;
  private final InstanceFaults faults;
  private final FallbackMethods fallback;
  private volatile int metricsPort;
  private volatile HealthStatusManager health;
  private volatile boolean serving;

  /**
   * What one instance is: its name, transport and addresses, TLS, how many calls it records.
   *
   * @param port 0: a free port at the first start
   * @param credentials null: plaintext
   */
  record Spec(String name, Transport transport, String bindHost, int port, int metricsPort, boolean metricsHttp,
      ServerCredentials credentials, int recordLimit, boolean directExecutor) {}

  /**
   * @param changes the tier's monitor, notified whenever this instance starts, stops, flips health or records a
   *     call (the tier's waits sleep on it instead of polling)
   */
  FakeDatabaseInstance(Spec spec, GatewayStore store, Responses responses, Object changes) {
    this.name = Objects.requireNonNull(spec.name());
    this.store = Objects.requireNonNull(store);
    this.changes = Objects.requireNonNull(changes);
    this.transport = spec.transport();
    this.bindHost = spec.bindHost();
    this.metricsPort = spec.metricsPort();
    this.metricsHttp = spec.metricsHttp();
    this.server = new InstanceServer(name, transport, bindHost, spec.port(),
        spec.credentials() == null ? InsecureServerCredentials.create() : spec.credentials(), spec.directExecutor());
    this.recorder = new CallRecorder(name, spec.recordLimit(), this::changed);
    this.faults = new InstanceFaults(name, metrics, recorder);
    this.fallback = new FallbackMethods(Objects.requireNonNull(responses), faults.databaseCalls());
  }

  /** Tells the tier's waits that something changed. */
  private void changed() {
    synchronized (changes) {
      changes.notifyAll();
    }
  }

  /** Starts serving; the first start picks free ports when 0 was asked, later starts reuse them. */
  synchronized FakeDatabaseInstance start() throws IOException {
    if (server.isStarted()) {
      throw new IllegalStateException(name + " is already running");
    }
    metrics.reset();
    health = new HealthStatusManager();
    serving = true;
    clearFaults();
    server.start(List.of(
        ServerInterceptors.intercept(new DatabaseServiceImpl(store), faults.databaseCalls()),
        ServerInterceptors.intercept(health.getHealthService(), faults.healthCalls())), fallback);
    if (metricsHttp) {
      metricsPort = metrics.startHttp(transport == Transport.IN_PROCESS ? "127.0.0.1" : bindHost, metricsPort);
    }
    changed();
    return this;
  }

  /** Instance name (the in-process server name, or {@code gateway-<i>} for network instances). */
  public String name() {
    return name;
  }

  public Transport transport() {
    return transport;
  }

  /** The address a client dials: in-process name, or {@code host:port} (127.0.0.1 for a 0.0.0.0 bind). */
  public String endpoint() {
    return transport == Transport.IN_PROCESS ? name : gatewayHost().toString();
  }

  /** This instance as a host item of {@code SHAKENFIST_MARIADB_GATEWAY_HOSTS}. */
  public GatewayHost gatewayHost() {
    if (transport == Transport.IN_PROCESS) {
      return GatewayHost.of(name, 13005);
    }
    String host = "0.0.0.0".equals(bindHost) || "::".equals(bindHost) ? "127.0.0.1" : bindHost;
    return GatewayHost.of(host, server.port());
  }

  public int port() {
    return server.port();
  }

  public int metricsPort() {
    return metricsPort;
  }

  /** {@code http://host:port/metrics}, or {@code null} when the HTTP endpoint is off. */
  public URI metricsUri() {
    if (!metricsHttp) {
      return null;
    }
    String host = transport == Transport.IN_PROCESS ? "127.0.0.1" : gatewayHost().uriHost();
    return URI.create("http://" + host + ":" + metricsPort + "/metrics");
  }

  public boolean isRunning() {
    return server.isRunning();
  }

  /** Running and reporting SERVING. */
  public boolean isServing() {
    return isRunning() && serving;
  }

  /** Flips the health status of service {@code ""}; clients watching health stop (or resume) sending. */
  public void setServing(boolean on) {
    serving = on;
    HealthStatusManager h = health;
    if (h != null) {
      h.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, on ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    }
    changed();
  }

  /**
   * Abrupt crash: the listening socket closes and every connection is dropped under the server, so calls in
   * flight fail as after SIGKILL (a reconnecting client is refused, not accepted by a dead process; see
   * {@link InstanceServer#kill()}); /metrics stops answering.
   */
  public synchronized void kill() {
    if (server.isStarted()) {
      server.kill();
      stopped();
    }
  }

  /** Stops cleanly (not a crash): for {@link #close()}. */
  private synchronized void stop() {
    if (server.isStarted()) {
      server.stop();
      stopped();
    }
  }

  private void stopped() {
    metrics.stopHttp();
    changed();
  }

  /**
   * Drained stop, like the real daemon: health NOT_SERVING, then a graceful shutdown in which new calls are
   * refused and in-flight calls get up to {@code grace} to finish; blocks until stopped.
   */
  public synchronized void drain(Duration grace) {
    if (server.isStarted()) {
      setServing(false);
      server.drain(grace);
      stopped();
    }
  }

  /** Starts again on the same address with fresh counters and no faults (stops first if running). */
  public synchronized void restart() {
    kill();
    try {
      start();
    } catch (IOException e) {
      throw new UncheckedIOException(name + ": restart failed on " + endpoint(), e);
    }
  }

  /** Every later call waits this long before being handled ({@link Duration#ZERO} to stop). */
  public void delay(Duration delay) {
    faults.delay(delay);
  }

  /** The next {@code k} calls fail with {@code status} (they are still counted: they reached this instance). */
  public void failNext(int k, Status status) {
    faults.failNext(k, status);
  }

  /**
   * Health fault: every {@code Health/Check} waits this long before it is answered ({@link Duration#ZERO} to
   * stop); past the client's poll timeout that is an unanswered poll.
   */
  public void healthDelay(Duration delay) {
    faults.healthDelay(delay);
  }

  /** Health fault: {@code Health/Check} calls are taken and never answered, as by a wedged worker pool. */
  public void healthSilent(boolean silent) {
    faults.healthSilent(silent);
  }

  /** Removes delays, health faults and pending failures. */
  public void clearFaults() {
    faults.clear();
  }

  /** Current Prometheus exposition text of this instance's counters (also what {@code /metrics} serves). */
  public String scrape() {
    return metrics.scrape();
  }

  /**
   * {@code database_*_total} series of this instance, read from its meters (no text rendered), keyed as a
   * scrape of its {@code /metrics} would be: {@code database_get_cluster_config_total},
   * {@code database_requests_total{caller_daemon="net",operation="GetClusterConfig"}}.
   */
  public Map<String, Double> counters() {
    return metrics.counters();
  }

  /** The calls this instance received and still holds (oldest first; at most the tier's record limit). */
  public List<RecordedCall> recordedCalls() {
    return recorder.held();
  }

  /** Like {@link #recordedCalls()}, and forgets them. */
  public List<RecordedCall> takeRecordedCalls() {
    return recorder.take();
  }

  /** Calls not held because the record limit was reached (the oldest are dropped first). */
  public long droppedRecordedCalls() {
    return recorder.dropped();
  }

  /**
   * Waits for a held call that matches; returns the first one.
   *
   * @throws TimeoutException listing the methods of the calls that were held
   */
  public RecordedCall awaitRecordedCall(Predicate<RecordedCall> match, Duration timeout)
      throws TimeoutException, InterruptedException {
    return recorder.await(match, timeout);
  }

  void clearRecordedCalls() {
    recorder.clear();
  }

  /**
   * {@code grpc.health.v1.Health/Watch} calls this instance received since it was created (restarts
   * included): the real gateway deadlocks under Watch churn, so tests can require this to stay 0.
   */
  public long healthWatchCalls() {
    return faults.healthWatchCalls();
  }

  /**
   * {@code grpc.health.v1.Health/Check} calls this instance received since it was created (restarts included):
   * the health poll load that clients put on it.
   */
  public long healthCheckCalls() {
    return faults.healthCheckCalls();
  }

  /** DatabaseService calls that reached this instance since its last (re)start. */
  public long requestCount() {
    return (long) PrometheusText.sumOperations(counters());
  }

  @Override
  public void close() {
    stop();
  }

  @Override
  public String toString() {
    return name + "(" + endpoint() + (isRunning() ? serving ? ", SERVING" : ", NOT_SERVING" : ", stopped") + ")";
  }
}
