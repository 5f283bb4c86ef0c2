package org.shakenfist.sfdb.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.CallCounts;
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.DatabaseChannels;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;
import org.shakenfist.sfdb.testkit.CounterSource;
import org.shakenfist.sfdb.testkit.python.PythonGateway;

/**
 * The SDK against a tier of Python grpcio stand-ins for the real gateway (see {@link PythonGateway}): each
 * instance binds its own loopback address, all on one metrics port, as on a real cluster. Skipped with the
 * reason when python3-grpcio is missing, except under CI ({@code CI=true}), where that is a failure.
 */
class PythonTierTest {
  private static final ClusterConfigRequest CC = ClusterConfigRequest.getDefaultInstance();
  private static final String[] ADDRESSES = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};

  private final List<PythonGateway> gateways = new ArrayList<>();
  private int metricsPort;

  @BeforeEach
  void requirePython() throws Exception {
    PythonGateway.unavailableReason().ifPresent(reason -> {
      if ("true".equals(System.getenv("CI"))) {
        fail("CI must run the Python gateway stand-in: " + reason);
      }
      Assumptions.abort(reason);
    });
    metricsPort = LoopbackPorts.freePort(ADDRESSES);
  }

  @AfterEach
  void stopAll() {
    gateways.forEach(PythonGateway::close);
  }

  private List<PythonGateway> start(int n) {
    for (int i = 0; i < n; i++) {
      gateways.add(PythonGateway.start(new PythonGateway.Options(ADDRESSES[i], 0, metricsPort,
          Duration.ofSeconds(10), Duration.ofSeconds(5), 0)));
    }
    return gateways;
  }

  private Map<String, String> env(String... more) {
    Map<String, String> env = new HashMap<>();
    env.put("SHAKENFIST_MARIADB_GATEWAY_HOSTS",
        gateways.stream().map(g -> g.gatewayHost().toString()).collect(Collectors.joining(",")));
    env.put("SHAKENFIST_MARIADB_GATEWAY_METRICS_PORT", String.valueOf(metricsPort));
    env.put("SHAKENFIST_CALLER_DAEMON", "net");
    for (int i = 0; i < more.length; i += 2) {
      env.put(more[i], more[i + 1]);
    }
    return env;
  }

  @Test
  void callsSplitExactlyByClientCountsAndByTheServersOwnMetrics() throws Exception {
    start(3);
    try (DatabaseChannel ch = DatabaseChannels.fromEnv(env())) {
      ch.awaitReady(3, Duration.ofSeconds(30));
      CounterSource servers = CounterSource.prometheus(ch.hosts(), metricsPort);
      CounterSource.Snapshot before = servers.scrape();
      CallCounts clientBefore = ch.callCounts();
      var stub = DatabaseServiceGrpc.newBlockingStub(ch);
      for (int i = 0; i < 300; i++) {
        stub.getClusterConfig(CC);
      }
      CallCounts client = ch.callCounts().minus(clientBefore);
      CounterSource.Snapshot after = servers.scrape();
      for (PythonGateway g : gateways) {
        String endpoint = g.gatewayHost().toString();
        long c = client.get(endpoint);
        assertEquals(100, c, 1, "client count of " + endpoint + ": " + client);
        Map<String, Double> b = before.counters().get(endpoint);
        Map<String, Double> a = after.counters().get(endpoint);
        assertEquals(c, after.served(endpoint) - before.served(endpoint),
            "server /metrics of " + endpoint + " agree with the client");
        String byCaller = "database_requests_total{caller_daemon=\"net\",operation=\"GetClusterConfig\"}";
        assertEquals(c, (long) (a.get(byCaller) - b.getOrDefault(byCaller, 0.0)), a.toString());
        assertEquals(0, g.watchCalls(), "no Health/Watch against the Python gateway");
        assertTrue(g.checkCalls() > 0, "the channel polls Health/Check");
      }
    }
    // a caller outside the gateway's allow-list is counted as unknown (the SDK warned about it at start-up)
    String unknown = "database_requests_total{caller_daemon=\"unknown\",operation=\"GetClusterConfig\"}";
    double before = gateways.stream().mapToDouble(g -> g.scrape().getOrDefault(unknown, 0.0)).sum();
    try (DatabaseChannel unlisted = DatabaseChannels.fromEnv(env("SHAKENFIST_CALLER_DAEMON", "sf-network"))) {
      for (int i = 0; i < 3; i++) {
        DatabaseServiceGrpc.newBlockingStub(unlisted).getClusterConfig(CC);
      }
    }
    assertEquals(3.0, gateways.stream().mapToDouble(g -> g.scrape().getOrDefault(unknown, 0.0)).sum() - before);
  }

  @Test
  void aMethodTheStandInDoesNotImplementIsUnimplementedNamingItAndCountedUnderUpstreamsName() throws Exception {
    start(1);
    try (DatabaseChannel ch = DatabaseChannels.fromEnv(env())) {
      ch.awaitReady(1, Duration.ofSeconds(30));
      for (String rpc : List.of("GetIPAM", "GetInstance")) {
        io.grpc.MethodDescriptor<byte[], byte[]> raw = io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder(RAW, RAW)
            .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("shakenfist.protos.DatabaseService/" + rpc).build();
        io.grpc.StatusRuntimeException e = assertThrows(io.grpc.StatusRuntimeException.class,
            () -> io.grpc.stub.ClientCalls.blockingUnaryCall(ch, raw, io.grpc.CallOptions.DEFAULT, new byte[0]));
        assertEquals(io.grpc.Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("shakenfist.protos.DatabaseService/" + rpc),
            e.getStatus().toString());
      }
      Map<String, Double> m = gateways.get(0).scrape();
      assertEquals(1.0, m.get("database_get_ipam_total"), "upstream's hand-written name: " + m);
      assertEquals(1.0, m.get("database_get_instance_total"), m.toString());
      assertEquals(1.0, m.get("database_requests_total{caller_daemon=\"net\",operation=\"GetIPAM\"}"), m.toString());
    }
  }

  private static final io.grpc.MethodDescriptor.Marshaller<byte[]> RAW = new io.grpc.MethodDescriptor.Marshaller<>() {
    @Override
    public java.io.InputStream stream(byte[] value) {
      return new java.io.ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(java.io.InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  };

  @Test
  void tierCheckPassesAndNamesAKilledInstance() throws Exception {
    start(2);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
    assertEquals(0, TierCheck.run(new String[] {"--calls", "40"}, env(), print, print),
        out.toString(StandardCharsets.UTF_8));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("fan-out check PASSED"));
    PythonGateway victim = gateways.get(1);
    victim.kill();
    out.reset();
    assertEquals(2, TierCheck.run(new String[] {"--calls", "40", "--timeout", "3s"}, env(), print, print));
    String text = out.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains(victim.gatewayHost() + " unreachable"), text);
    assertTrue(text.contains(gateways.get(0).gatewayHost() + " SERVING"), text);
    assertEquals(0, gateways.get(0).watchCalls());
  }

  @Test
  void rollingSigtermDrainOfEveryInstanceUnderLoadFailsNoCall() throws Exception {
    start(3);
    try (DatabaseChannel ch = DatabaseChannels.fromEnv(env(
        "SHAKENFIST_MARIADB_GATEWAY_RETRY_METHODS", "shakenfist.protos.DatabaseService"))) {
      ch.awaitReady(3, Duration.ofSeconds(30));
      var stub = DatabaseServiceGrpc.newBlockingStub(ch);
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicLong ok = new AtomicLong();
      ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
      List<Thread> callers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        Thread caller = new Thread(() -> {
          while (running.get()) {
            try {
              stub.getClusterConfig(CC);
              ok.incrementAndGet();
            } catch (StatusRuntimeException e) {
              failures.add(e.getStatus() + " trailers=" + e.getTrailers());
            }
          }
        });
        caller.start();
        callers.add(caller);
      }
      try {
        for (PythonGateway g : gateways) {
          assertEquals(0, g.drain(), "exit code after a SIGTERM drain");
          g.restart();
          ch.awaitReady(3, Duration.ofSeconds(30));
        }
      } finally {
        running.set(false);
        for (Thread caller : callers) {
          caller.join(TimeUnit.SECONDS.toMillis(40));
        }
      }
      System.out.println("rolling SIGTERM drain of 3 Python instances: " + ok.get() + " calls, " + failures.size()
          + " failed");
      assertTrue(failures.isEmpty(), failures.size() + " calls failed, e.g. " + failures.peek());
      assertTrue(ok.get() > 100, "load ran: " + ok.get());
    }
  }

  @Test
  void notServingFlipLeavesTheRotationWithinTheDocumentedBound() throws Exception {
    start(3);
    try (DatabaseChannel ch = DatabaseChannels.fromEnv(env())) {
      ch.awaitReady(3, Duration.ofSeconds(30));
      // documented bound with the defaults: one poll interval (2 s, +- 20 % jitter) plus one poll timeout (1 s)
      Duration bound = ch.config().healthPollInterval().multipliedBy(6).dividedBy(5).plus(ch.config().healthPollTimeout());
      PythonGateway sick = gateways.get(2);
      String endpoint = sick.gatewayHost().toString();
      var stub = DatabaseServiceGrpc.newBlockingStub(ch);
      sick.setServing(false);
      long flipped = System.nanoTime();
      long lastSeen = flipped;
      long seen = ch.callCounts().get(endpoint);
      // calls until the instance has been skipped for a whole bound
      while (System.nanoTime() - lastSeen < bound.toNanos()) {
        stub.getClusterConfig(CC);
        long now = ch.callCounts().get(endpoint);
        if (now != seen) {
          seen = now;
          lastSeen = System.nanoTime();
        }
        assertTrue(System.nanoTime() - flipped < TimeUnit.SECONDS.toNanos(30), "still picked after 30 s");
      }
      long ms = TimeUnit.NANOSECONDS.toMillis(lastSeen - flipped);
      System.out.println("Python NOT_SERVING: last call reached it " + ms + " ms after the flip (bound "
          + bound.toMillis() + " ms)");
      // 1 s of slack over the bound for a loaded 2-core machine
      assertTrue(ms <= bound.toMillis() + 1000, "left the rotation after " + ms + " ms");
      sick.setServing(true);
      ch.awaitReady(3, Duration.ofSeconds(30));
    }
  }

  @Test
  void sixtySecondsIdleGetNoTooManyPingsFromTheRealPingPolicy() throws Exception {
    start(1);
    Map<String, String> real = env();
    Map<String, String> idle = env("SHAKENFIST_MARIADB_GATEWAY_HEALTH_CHECK", "off");
    // control: a stricter server than the real one (pings at most every 60 s, 1 strike) must refuse ours
    PythonGateway strict = PythonGateway.start(new PythonGateway.Options("127.0.0.5", 0, 0, Duration.ofSeconds(10),
        Duration.ofSeconds(60), 1));
    gateways.add(strict);
    Map<String, String> strictIdle = new HashMap<>(idle);
    strictIdle.put("SHAKENFIST_MARIADB_GATEWAY_HOSTS", strict.gatewayHost().toString());
    TooManyPings log = new TooManyPings();
    Logger grpcNetty = Logger.getLogger("io.grpc.netty");
    grpcNetty.addHandler(log);
    // each channel on event-loop threads of its own, so grpc-netty's log lines can be told apart
    List<EventLoopGroup> loops = new ArrayList<>();
    try (DatabaseChannel defaults = onOwnLoop(real, "sfdb-defaults", loops);
        DatabaseChannel quiet = onOwnLoop(idle, "sfdb-quiet", loops);
        DatabaseChannel control = onOwnLoop(strictIdle, "sfdb-control", loops)) {
      for (DatabaseChannel ch : List.of(defaults, quiet, control)) {
        DatabaseServiceGrpc.newBlockingStub(ch).getClusterConfig(CC);
      }
      Thread.sleep(TimeUnit.SECONDS.toMillis(60));
      assertEquals(0, log.seen("sfdb-defaults"), "GOAWAY too_many_pings on the default channel");
      assertEquals(0, log.seen("sfdb-quiet"), "GOAWAY too_many_pings on the idle channel without health polls");
      assertTrue(log.seen("sfdb-control") > 0, "control: the strict server's GOAWAY too_many_pings was seen");
    } finally {
      grpcNetty.removeHandler(log);
      loops.forEach(l -> l.shutdownGracefully(0, 0, TimeUnit.SECONDS));
    }
  }

  private static DatabaseChannel onOwnLoop(Map<String, String> env, String threadPrefix, List<EventLoopGroup> loops) {
    EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1,
        new DefaultThreadFactory(threadPrefix, true), NioIoHandler.newFactory());
    loops.add(loop);
    return DatabaseChannels.fromConfig(DatabaseChannelConfig.builder().env(env)
        .channelCustomizer(b -> ((NettyChannelBuilder) b).eventLoopGroup(loop).channelType(NioSocketChannel.class))
        .build());
  }

  /** Counts grpc-netty's "ENHANCE_YOUR_CALM ... too_many_pings" log lines by the logging thread's name. */
  private static final class TooManyPings extends Handler {
    private final ConcurrentLinkedQueue<String> threads = new ConcurrentLinkedQueue<>();

    @Override
    public void publish(LogRecord record) {
      String text = record.getMessage() + " " + java.util.Arrays.toString(record.getParameters());
      if (text.contains("too_many_pings")) {
        threads.add(Thread.currentThread().getName());
      }
    }

    long seen(String threadPrefix) {
      return threads.stream().filter(t -> t.startsWith(threadPrefix)).count();
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }
}
