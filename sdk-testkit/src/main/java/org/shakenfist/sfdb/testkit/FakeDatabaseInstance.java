package org.shakenfist.sfdb.testkit;

import com.sun.net.httpserver.HttpServer;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import com.google.protobuf.MessageLite;
import io.grpc.ForwardingServerCallListener;
import io.grpc.HandlerRegistry;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusException;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import io.grpc.Metadata;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.protobuf.services.HealthStatusManager;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.shakenfist.sfdb.client.CallerMetadata;
import org.shakenfist.sfdb.client.GatewayHost;
import org.shakenfist.sfdb.client.Transport;
import org.shakenfist.sfdb.testkit.internal.CounterNames;
import org.shakenfist.sfdb.testkit.internal.DatabaseServiceImpl;

/**
 * One fake sf-database gateway instance: the {@code shakenfist.protos.DatabaseService} backed by the tier's
 * {@link SharedStore}, grpc health for service {@code ""} (SERVING at start), per-instance counters
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
 * <p>Thread-safe. Usually created by {@link DatabaseTier}.
 */
public final class FakeDatabaseInstance implements AutoCloseable {
  /**
   * Largest request an instance takes: grpc's default receive limit, which the real gateway keeps (it sets no
   * {@code grpc.max_receive_message_length}); a larger request fails with RESOURCE_EXHAUSTED, on every transport.
   */
  public static final int MAX_REQUEST_BYTES = 4 * 1024 * 1024;
  private final String name;
  private final SharedStore store;
  private final Transport transport;
  private final String bindHost;
  private final boolean metricsHttp;
  private volatile int port;
  private volatile int metricsPort;

  private volatile Server server;
  private volatile EventLoopGroup bossGroup;
  private volatile EventLoopGroup workerGroup;
  private volatile HttpServer metricsServer;
  private volatile PrometheusMeterRegistry registry;
  private volatile HealthStatusManager health;
  private final Map<String, Counter> opCounters = new ConcurrentHashMap<>();
  private final Map<String, Counter> requestCounters = new ConcurrentHashMap<>();
  private volatile boolean serving;
  private volatile long delayNanos;
  private final AtomicInteger failRemaining = new AtomicInteger();
  private final AtomicLong healthWatchCalls = new AtomicLong();
  private final Responses responses;
  private final ServerCredentials credentials;
  private final Fallback fallback = new Fallback();
  private final int recordLimit;
  private final ArrayDeque<RecordedCall> recorded = new ArrayDeque<>();
  private long droppedRecords;
  private volatile Status failStatus = Status.UNAVAILABLE;
  private final Object changes;
  private volatile long healthDelayNanos;
  private volatile boolean healthSilent;

  /**
   * What one instance is: its name, transport and addresses, TLS, how many calls it records.
   *
   * @param port 0: a free port at the first start
   * @param credentials null: plaintext
   */
  record Spec(String name, Transport transport, String bindHost, int port, int metricsPort, boolean metricsHttp,
      ServerCredentials credentials, int recordLimit) {}

  /**
   * @param changes the tier's monitor, notified whenever this instance starts, stops, flips health or records a
   *     call (the tier's waits sleep on it instead of polling)
   */
  FakeDatabaseInstance(Spec spec, SharedStore store, Responses responses, Object changes) {
    this.credentials = spec.credentials() == null ? InsecureServerCredentials.create() : spec.credentials();
    this.name = Objects.requireNonNull(spec.name());
    this.store = Objects.requireNonNull(store);
    this.responses = Objects.requireNonNull(responses);
    this.changes = Objects.requireNonNull(changes);
    this.recordLimit = spec.recordLimit();
    this.transport = spec.transport();
    this.bindHost = spec.bindHost();
    this.port = spec.port();
    this.metricsPort = spec.metricsPort();
    this.metricsHttp = spec.metricsHttp();
  }

  /** Tells the tier's waits that something changed. */
  private void changed() {
    synchronized (changes) {
      changes.notifyAll();
    }
  }

  /** Starts serving; the first start picks free ports when 0 was asked, later starts reuse them. */
  synchronized FakeDatabaseInstance start() throws IOException {
    if (server != null) {
      throw new IllegalStateException(name + " is already running");
    }
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    opCounters.clear();
    requestCounters.clear();
    health = new HealthStatusManager();
    serving = true;
    clearFaults();
    var service = ServerInterceptors.intercept(new DatabaseServiceImpl(store), new CountingAndFaults());
    var healthService = ServerInterceptors.intercept(health.getHealthService(), new HealthFaults());
    Server s;
    if (transport == Transport.IN_PROCESS) {
      s = InProcessServerBuilder.forName(name).addService(service).addService(healthService)
          .fallbackHandlerRegistry(fallback).build();
    } else {
      // Own event loops per instance, so kill() can drop its sockets like a crashed process would.
      bossGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
      workerGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
      s = NettyServerBuilder.forAddress(new InetSocketAddress(bindHost, port), credentials)
          .channelType(NioServerSocketChannel.class)
          .bossEventLoopGroup(bossGroup)
          .workerEventLoopGroup(workerGroup)
          // The SDK pings every 10 s, also without calls: permit it (grpc's server default is 5 min).
          .permitKeepAliveTime(5, TimeUnit.SECONDS)
          .permitKeepAliveWithoutCalls(true)
          .addService(service)
          .addService(healthService)
          .fallbackHandlerRegistry(fallback)
          .build();
    }
    s.start();
    if (transport == Transport.NETTY) {
      port = ((InetSocketAddress) s.getListenSockets().get(0)).getPort();
    }
    server = s;
    if (metricsHttp) {
      String metricsBind = transport == Transport.IN_PROCESS ? "127.0.0.1" : bindHost;
      HttpServer http = HttpServer.create(new InetSocketAddress(metricsBind, metricsPort), 0);
      PrometheusMeterRegistry r = registry;
      http.createContext("/metrics", exchange -> {
        byte[] body = r.scrape().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      });
      http.start();
      metricsPort = http.getAddress().getPort();
      metricsServer = http;
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
    return GatewayHost.of(host, port);
  }

  public int port() {
    return port;
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
    Server s = server;
    return s != null && !s.isShutdown();
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
   * flight fail as after SIGKILL; /metrics stops answering. (Network instances: grpc's shutdown closes the
   * listener first, so a reconnecting client is refused rather than accepted by a dead process; the
   * connections are then cut by stopping the instance's I/O threads, not closed with HTTP/2 goodbyes.)
   */
  public synchronized void kill() {
    Server s = server;
    if (s == null) {
      return;
    }
    if (workerGroup != null) {
      s.shutdown();
      // Stop accepting first, at once (grpc closes the listener asynchronously); then drop every connection,
      // in-flight calls included, as a crash does. See stopWorkerLoop() for its quiet period.
      bossGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
      stopWorkerLoop(workerGroup);
      s.shutdownNow();
      awaitQuietly(s, Duration.ofSeconds(1)); // its I/O threads are gone: grpc may never report terminated
      releaseEventLoops();
    } else {
      s.shutdownNow();
      awaitQuietly(s, Duration.ofSeconds(5));
    }
    stopHttp();
    server = null;
    changed();
  }

  /** Stops cleanly (not a crash): for {@link #close()}. */
  private synchronized void stop() {
    Server s = server;
    if (s == null) {
      return;
    }
    s.shutdownNow();
    awaitQuietly(s, Duration.ofSeconds(5));
    stopHttp();
    releaseEventLoops();
    server = null;
    changed();
  }

  /**
   * Stops the worker loop and waits (up to 10 s). It closes every connection on its first pass, like a
   * crash; the quiet period only keeps it going round after that. Not {@code shutdownGracefully(0, 0)}: a
   * shutting-down Netty loop closes its channels, then runs the tasks still queued and, with no quiet period,
   * exits. A connection the boss accepted just before has its registration among those tasks: registered after
   * the close, its socket is never closed (a CLOSE_WAIT socket per occurrence, found by the chaos soak).
   */
  private static void stopWorkerLoop(EventLoopGroup group) {
    group.shutdownGracefully(50, 5000, TimeUnit.MILLISECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
  }

  private void releaseEventLoops() {
    if (bossGroup != null) {
      bossGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
    if (workerGroup != null) {
      stopWorkerLoop(workerGroup);
    }
    bossGroup = null;
    workerGroup = null;
  }

  /**
   * Drained stop, like the real daemon: health NOT_SERVING, then a graceful shutdown in which new calls are
   * refused and in-flight calls get up to {@code grace} to finish; blocks until stopped.
   */
  public synchronized void drain(Duration grace) {
    Server s = server;
    if (s == null) {
      return;
    }
    setServing(false);
    s.shutdown();
    if (!awaitQuietly(s, grace)) {
      s.shutdownNow();
      awaitQuietly(s, Duration.ofSeconds(5));
    }
    stopHttp();
    releaseEventLoops();
    server = null;
    changed();
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
    this.delayNanos = delay.toNanos();
  }

  /** The next {@code k} calls fail with {@code status} (they are still counted: they reached this instance). */
  public void failNext(int k, Status status) {
    this.failStatus = Objects.requireNonNull(status);
    this.failRemaining.set(k);
  }

  /**
   * Health fault: every {@code Health/Check} waits this long before it is answered ({@link Duration#ZERO} to
   * stop); past the client's poll timeout that is an unanswered poll.
   */
  public void healthDelay(Duration delay) {
    this.healthDelayNanos = delay.toNanos();
  }

  /** Health fault: {@code Health/Check} calls are taken and never answered, as by a wedged worker pool. */
  public void healthSilent(boolean silent) {
    this.healthSilent = silent;
  }

  /** Removes delays, health faults and pending failures. */
  public void clearFaults() {
    delayNanos = 0;
    healthDelayNanos = 0;
    healthSilent = false;
    failRemaining.set(0);
  }

  /** Current Prometheus exposition text of this instance's counters (also what {@code /metrics} serves). */
  public String scrape() {
    return registry.scrape();
  }

  /**
   * {@code database_*_total} series of this instance, read from its meters (no text rendered), keyed as a
   * scrape of its {@code /metrics} would be: {@code database_get_cluster_config_total},
   * {@code database_requests_total{caller_daemon="net",operation="GetClusterConfig"}}.
   */
  public Map<String, Double> counters() {
    Map<String, Double> out = new TreeMap<>();
    opCounters.forEach((op, c) -> out.put("database_" + op + "_total", c.count()));
    requestCounters.values().forEach(c -> out.put(PrometheusText.seriesKey("database_requests_total",
        Map.of("operation", c.getId().getTag("operation"), "caller_daemon", c.getId().getTag("caller_daemon"))),
        c.count()));
    return out;
  }

  /** The calls this instance received and still holds (oldest first; at most the tier's record limit). */
  public List<RecordedCall> recordedCalls() {
    synchronized (recorded) {
      return List.copyOf(recorded);
    }
  }

  /** Like {@link #recordedCalls()}, and forgets them. */
  public List<RecordedCall> takeRecordedCalls() {
    synchronized (recorded) {
      List<RecordedCall> out = List.copyOf(recorded);
      recorded.clear();
      return out;
    }
  }

  /** Calls not held because the record limit was reached (the oldest are dropped first). */
  public long droppedRecordedCalls() {
    synchronized (recorded) {
      return droppedRecords;
    }
  }

  /**
   * Waits for a held call that matches; returns the first one.
   *
   * @throws TimeoutException listing the methods of the calls that were held
   */
  public RecordedCall awaitRecordedCall(Predicate<RecordedCall> match, Duration timeout)
      throws TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (recorded) {
      while (true) {
        for (RecordedCall c : recorded) {
          if (match.test(c)) {
            return c;
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException(name + ": no matching call within " + timeout + "; held: "
              + recorded.stream().map(RecordedCall::rpc).toList());
        }
        TimeUnit.NANOSECONDS.timedWait(recorded, left);
      }
    }
  }

  void clearRecordedCalls() {
    synchronized (recorded) {
      recorded.clear();
      droppedRecords = 0;
    }
  }

  private void record(String method, Metadata headers, Object request) {
    ByteString bytes = request instanceof MessageLite m ? m.toByteString()
        : request instanceof byte[] b ? Responses.copy(b) : ByteString.EMPTY;
    RecordedCall call = new RecordedCall(name, method, headers.get(CallerMetadata.CALLER_DAEMON),
        headers.get(CallerMetadata.CALLER_NODE), Instant.now(), bytes, request instanceof Message m ? m : null);
    synchronized (recorded) {
      if (recordLimit <= 0) {
        droppedRecords++;
        return;
      }
      if (recorded.size() >= recordLimit) {
        recorded.removeFirst();
        droppedRecords++;
      }
      recorded.addLast(call);
      recorded.notifyAll();
    }
    changed();
  }

  /**
   * {@code grpc.health.v1.Health/Watch} calls this instance received since it was created (restarts
   * included): the real gateway deadlocks under Watch churn, so tests can require this to stay 0.
   */
  public long healthWatchCalls() {
    return healthWatchCalls.get();
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

  private void stopHttp() {
    HttpServer http = metricsServer;
    if (http != null) {
      http.stop(0);
      metricsServer = null;
    }
  }

  private static boolean awaitQuietly(Server s, Duration d) {
    try {
      return s.awaitTermination(d.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Serves every {@code shakenfist.protos.DatabaseService} method the fake does not implement, as raw bytes,
   * from the tier's {@link Responses}; counted, faulted and recorded like the implemented ones.
   */
  private final class Fallback extends HandlerRegistry {
    private final Map<String, ServerMethodDefinition<?, ?>> methods = new ConcurrentHashMap<>();

    @Override
    public ServerMethodDefinition<?, ?> lookupMethod(String fullMethodName, String authority) {
      if (!fullMethodName.startsWith(Responses.SERVICE + "/")) {
        return null;
      }
      return methods.computeIfAbsent(fullMethodName, this::define);
    }

    private ServerMethodDefinition<?, ?> define(String fullMethodName) {
      MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder(RAW, RAW)
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(fullMethodName)
          .build();
      String rpc = raw.getBareMethodName();
      ServerServiceDefinition definition = ServerServiceDefinition.builder(Responses.SERVICE)
          .addMethod(raw, ServerCalls.asyncUnaryCall((byte[] request, StreamObserver<byte[]> out) -> {
            try {
              out.onNext(responses.respond(rpc, request));
              out.onCompleted();
            } catch (StatusException e) {
              out.onError(e);
            }
          }))
          .build();
      return ServerInterceptors.intercept(definition, new CountingAndFaults()).getMethod(fullMethodName);
    }
  }

  private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw Status.INTERNAL.withDescription("could not read a request").withCause(e).asRuntimeException();
      }
    }
  };

  /** Counts Watch calls; applies the health faults to Check calls. */
  private final class HealthFaults implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      String method = call.getMethodDescriptor().getFullMethodName();
      if (HealthGrpc.getWatchMethod().getFullMethodName().equals(method)) {
        healthWatchCalls.incrementAndGet();
      } else if (HealthGrpc.getCheckMethod().getFullMethodName().equals(method)) {
        if (healthSilent) {
          return new ServerCall.Listener<>() {}; // taken, never answered: the caller's deadline ends it
        }
        sleepQuietly(healthDelayNanos);
      }
      return next.startCall(call, headers);
    }
  }

  private static void sleepQuietly(long nanos) {
    if (nanos > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(nanos);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private final class CountingAndFaults implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      String rpc = call.getMethodDescriptor().getBareMethodName();
      String op = CounterNames.operation(rpc);
      // as the real gateway: operation is the RPC's own name, callers outside its allow-list are "unknown"
      String daemon = CallerMetadata.countedAs(headers.get(CallerMetadata.CALLER_DAEMON));
      PrometheusMeterRegistry r = registry;
      opCounters.computeIfAbsent(op, o -> Counter.builder("database." + o)
          .description("DatabaseService." + rpc + " calls").register(r)).increment();
      requestCounters.computeIfAbsent(rpc + "\n" + daemon, k -> Counter.builder("database.requests")
          .description("DatabaseService calls by operation and caller")
          .tag("operation", rpc).tag("caller_daemon", daemon).register(r)).increment();
      sleepQuietly(delayNanos);
      String method = call.getMethodDescriptor().getFullMethodName();
      ServerCall.Listener<Q> listener;
      if (failRemaining.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
        call.close(failStatus.withDescription(
            (failStatus.getDescription() == null ? "injected fault" : failStatus.getDescription()) + " at " + name),
            new Metadata());
        listener = new ServerCall.Listener<>() {};
      } else {
        listener = next.startCall(call, headers);
      }
      return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
        @Override
        public void onMessage(Q message) {
          record(method, headers, message);
          long size = message instanceof MessageLite m ? m.getSerializedSize()
              : message instanceof byte[] b ? b.length : 0;
          if (size > MAX_REQUEST_BYTES) { // as grpcio's default receive limit (Netty's own is the same 4 MiB)
            call.close(Status.RESOURCE_EXHAUSTED.withDescription(
                "Received message larger than max (" + size + " vs. " + MAX_REQUEST_BYTES + ")"), new Metadata());
            return;
          }
          super.onMessage(message);
        }
      };
    }
  }
}
