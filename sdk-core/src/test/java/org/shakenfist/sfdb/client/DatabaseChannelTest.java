package org.shakenfist.sfdb.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.internal.count.EndpointAccounting;

class DatabaseChannelTest {
  private static final Metadata.Key<String> GRPC_TIMEOUT =
      Metadata.Key.of("grpc-timeout", Metadata.ASCII_STRING_MARSHALLER);


  @Test
  void threeInstancesShareSerialCallsExactly() throws Exception {
    try (TestTier tier = TestTier.inProcess(3); DatabaseChannel channel = DatabaseChannels.fromConfig(tier.config().build())) {
      tier.warmUp(channel);
      CallCounts before = channel.callCounts();
      Map<String, Integer> serverBefore = tier.received();
      for (int i = 0; i < 300; i++) {
        TestTier.call(channel);
      }
      CallCounts delta = channel.callCounts().minus(before);
      assertEquals(300, delta.total(), delta.toString());
      for (TestTier.Instance instance : tier.instances) {
        long n = delta.get(instance.name);
        assertTrue(n >= 99 && n <= 101, instance.name + " served " + n + " of 300: " + delta);
        assertEquals(n, instance.received.get() - serverBefore.get(instance.name), "client and server disagree");
      }
    }
  }

  @Test
  void anInstanceNotServingWhenTheChannelStartsNeverTakesACall() throws Exception {
    try (TestTier tier = TestTier.inProcess(2)) {
      TestTier.Instance sick = tier.instances.get(0);
      sick.setServing(false);
      try (DatabaseChannel channel = DatabaseChannels.fromConfig(tier.config().build())) {
        for (int i = 0; i < 50; i++) {
          TestTier.call(channel); // the first calls wait for the first SERVING answer, then go to the healthy one
        }
        assertEquals(0, sick.received.get(), "not one call before or after its first health answer");
        assertEquals(50, channel.callCounts().get(tier.instances.get(1).name), channel.callCounts().toString());
      }
    }
  }

  @Test
  void itIsAManagedChannelThatGrpcsOwnToolsCanDrive() throws Exception {
    try (TestTier tier = TestTier.inProcess(2); DatabaseChannel channel = DatabaseChannels.fromConfig(tier.config().build())) {
      ManagedChannel managed = channel;
      java.util.concurrent.CountDownLatch changed = new java.util.concurrent.CountDownLatch(1);
      ConnectivityState first = managed.getState(true);
      managed.notifyWhenStateChanged(first, changed::countDown);
      assertTrue(changed.await(10, TimeUnit.SECONDS), "told when the state leaves " + first);
      tier.warmUp(channel);
      assertEquals(ConnectivityState.READY, managed.getState(false));
      managed.enterIdle();
      assertEquals(ConnectivityState.IDLE, managed.getState(false), "idle mode drops the connections");
      managed.resetConnectBackoff();
      TestTier.call(channel); // and the next call brings them back
      assertEquals(ConnectivityState.READY, managed.getState(false));
      managed.shutdown();
      // (a rare slow termination after enterIdle was seen on a loaded machine: the bound is generous, and a
      // failure prints every thread so that a real hang can be told from a slow machine)
      boolean terminated = managed.awaitTermination(30, TimeUnit.SECONDS);
      if (!terminated) {
        Thread.getAllStackTraces().forEach((t, stack) -> System.err.println("thread " + t.getName() + " "
            + t.getState() + "\n  " + String.join("\n  ", java.util.Arrays.stream(stack).map(String::valueOf).toList())));
      }
      assertTrue(terminated, "terminated by grpc's own shutdown: " + channel.endpoints());
    }
  }

  @Test
  void notServingInstanceGetsNoCalls() throws Exception {
    try (TestTier tier = TestTier.inProcess(3); DatabaseChannel channel = DatabaseChannels.fromConfig(tier.config().build())) {
      tier.warmUp(channel);
      TestTier.Instance sick = tier.instances.get(1);
      sick.setServing(false);
      // Wait for the health update: 30 calls in a row that avoid the sick instance.
      int[] streak = {0};
      TestTier.waitFor(() -> {
        int seen = sick.received.get();
        TestTier.call(channel);
        streak[0] = sick.received.get() == seen ? streak[0] + 1 : 0;
        return streak[0] >= 30;
      }, "NOT_SERVING instance dropped from the picker");
      CallCounts before = channel.callCounts();
      for (int i = 0; i < 200; i++) {
        TestTier.call(channel);
      }
      CallCounts delta = channel.callCounts().minus(before);
      assertEquals(0, delta.get(sick.name), delta.toString());
      assertEquals(100, delta.get(tier.instances.get(0).name), 1, delta.toString());
      assertEquals(100, delta.get(tier.instances.get(2).name), 1, delta.toString());

      sick.setServing(true);
      TestTier.waitFor(() -> {
        int seen = sick.received.get();
        TestTier.call(channel);
        return sick.received.get() > seen;
      }, "instance back after SERVING");
    }
  }

  @Test
  void healthCheckOffKeepsSendingToNotServingInstance() throws Exception {
    try (TestTier tier = TestTier.inProcess(2);
        DatabaseChannel channel = DatabaseChannels.fromConfig(tier.config().healthCheck(HealthCheckMode.OFF).build())) {
      tier.instances.get(0).setServing(false);
      tier.instances.get(0).serving = true; // the test helper's warm-up should still expect traffic there
      tier.warmUp(channel);
      CallCounts before = channel.callCounts();
      for (int i = 0; i < 100; i++) {
        TestTier.call(channel);
      }
      CallCounts delta = channel.callCounts().minus(before);
      assertEquals(50, delta.get(tier.instances.get(0).name), 1, delta.toString());
    }
  }

  @Test
  void pickFirstPutsEverythingOnOneInstanceAndTheCountsShowIt() throws Exception {
    try (TestTier tier = TestTier.inProcess(3);
        DatabaseChannel channel = DatabaseChannels.fromConfig(tier.config().loadBalancingPolicy("pick_first").build())) {
      for (int i = 0; i < 300; i++) {
        TestTier.call(channel);
      }
      CallCounts counts = channel.callCounts();
      assertEquals(1, counts.byEndpoint().size(), "pick_first must use one endpoint: " + counts);
      assertEquals(300, counts.total());
      assertEquals(300, tier.instances.stream().mapToInt(i -> i.received.get()).max().orElseThrow());
    }
  }

  @Test
  void callerMetadataReachesTheServer() throws Exception {
    try (TestTier tier = TestTier.inProcess(1)) {
      try (DatabaseChannel channel = DatabaseChannels.fromConfig(tier.config().build())) {
        TestTier.call(channel);
        var headers = tier.instances.get(0).lastHeaders.get();
        assertEquals("unknown", headers.get(CallerMetadata.CALLER_DAEMON));
        assertEquals("unknown", headers.get(CallerMetadata.CALLER_NODE));
      }
      Map<String, String> env = Map.of(
          "SHAKENFIST_MARIADB_GATEWAY_HOSTS", tier.hosts(),
          "SHAKENFIST_CALLER_DAEMON", "sf-network",
          "SHAKENFIST_NODE_NAME", "node-7");
      try (DatabaseChannel channel = DatabaseChannels.fromConfig(
          DatabaseChannelConfig.builder().env(env).transport(Transport.IN_PROCESS).build())) {
        TestTier.call(channel);
        var headers = tier.instances.get(0).lastHeaders.get();
        assertEquals("sf-network", headers.get(CallerMetadata.CALLER_DAEMON));
        assertEquals("node-7", headers.get(CallerMetadata.CALLER_NODE));
        // a caller that sets one key keeps its value and gets the other; one value per key either way
        for (var own : List.of(CallerMetadata.CALLER_DAEMON, CallerMetadata.CALLER_NODE)) {
          Metadata set = new Metadata();
          set.put(own, "mine");
          SimpleServiceGrpc.newBlockingStub(channel)
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(set))
              .unaryRpc(SimpleRequest.getDefaultInstance());
          headers = tier.instances.get(0).lastHeaders.get();
          assertEquals(List.of("mine"), values(headers, own));
          var other = own == CallerMetadata.CALLER_DAEMON ? CallerMetadata.CALLER_NODE : CallerMetadata.CALLER_DAEMON;
          assertEquals(List.of(other == CallerMetadata.CALLER_NODE ? "node-7" : "sf-network"), values(headers, other));
        }
        TestTier.call(channel);
        headers = tier.instances.get(0).lastHeaders.get();
        assertEquals(List.of("sf-network"), values(headers, CallerMetadata.CALLER_DAEMON), "the shared bytes stay");
        assertEquals(List.of("node-7"), values(headers, CallerMetadata.CALLER_NODE));
      }
    }
  }

  private static List<String> values(Metadata headers, Metadata.Key<String> key) {
    List<String> out = new java.util.ArrayList<>();
    Iterable<String> all = headers.getAll(key);
    if (all != null) {
      all.forEach(out::add);
    }
    return out;
  }

  @Test
  void theDefaultDeadlineIsTheSdksOwnAndSendsNoHeaderUnlessOnTheWire() throws Exception {
    for (boolean onWire : new boolean[] {false, true}) {
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      try (TestTier tier = TestTier.netty(1); // Netty: the in-process transport reports any client cancel as "server cancelled stream"
          DatabaseChannel channel = DatabaseChannels.fromConfig(tier.config().deadline(Duration.ofMillis(200))
              .deadlineOnWire(onWire).meterRegistry(registry).build())) {
        channel.awaitReady(1, Duration.ofSeconds(10));
        TestTier.call(channel);
        assertEquals(onWire, tier.instances.get(0).lastHeaders.get().containsKey(GRPC_TIMEOUT),
            "grpc-timeout sent for the default deadline: onWire=" + onWire);
        // a deadline the caller sets, earlier than the default, is grpc's and travels either way
        SimpleServiceGrpc.newBlockingStub(channel).withDeadlineAfter(150, TimeUnit.MILLISECONDS)
            .unaryRpc(SimpleRequest.getDefaultInstance());
        assertTrue(tier.instances.get(0).lastHeaders.get().containsKey(GRPC_TIMEOUT), "onWire=" + onWire);

        tier.instances.get(0).delayMillis = 3000;
        long start = System.nanoTime();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> TestTier.call(channel));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode(), e.toString());
        assertTrue(millis >= 200 && millis < 2000, "a 200 ms deadline ended the call after " + millis + " ms");
        // the attempt is counted as grpc's own deadline would be
        assertEquals(1.0, registry.get(EndpointAccounting.METER).tag("status", "DEADLINE_EXCEEDED").counter().count(),
            "onWire=" + onWire);
        // a caller's later deadline does not lift the default one
        start = System.nanoTime();
        e = assertThrows(StatusRuntimeException.class, () -> SimpleServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(20, TimeUnit.SECONDS).unaryRpc(SimpleRequest.getDefaultInstance()));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode(), e.toString());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "onWire=" + onWire);
      }
    }
  }

  @Test
  void attemptsWithNoInstanceAreCountedUnderNoEndpoint() throws Exception {
    TestTier tier = TestTier.inProcess(2);
    String hosts = tier.hosts();
    tier.close(); // the whole tier is down
    DatabaseChannelConfig base = DatabaseChannelConfig.builder().hosts(hosts).transport(Transport.IN_PROCESS).build();
    try (DatabaseChannel channel = DatabaseChannels.fromConfig(base)) {
      for (int i = 0; i < 10; i++) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> TestTier.call(channel));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
      }
      assertEquals(CallCounts.of(Map.of(CallCounts.NO_ENDPOINT, 10L)), channel.callCounts());
    }
    try (DatabaseChannel channel = DatabaseChannels.fromConfig(base.toBuilder()
        .retryMethods("grpc.testing.SimpleService")
        .retryMaxAttempts(3)
        .retryBudgetTokens(0) // every attempt, no budget: this test counts them
        .retryInitialBackoff(Duration.ofMillis(1))
        .retryMaxBackoff(Duration.ofMillis(5))
        .build())) {
      for (int i = 0; i < 10; i++) {
        assertThrows(StatusRuntimeException.class, () -> TestTier.call(channel));
      }
      assertEquals(CallCounts.of(Map.of(CallCounts.NO_ENDPOINT, 30L)), channel.callCounts(),
          "3 attempts per call, each counted");
    }
  }

  @Test
  void retriedAttemptsAreCountedWhereTheyLanded() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (TestTier tier = TestTier.inProcess(3);
        DatabaseChannel channel = DatabaseChannels.fromConfig(tier.config()
            .meterRegistry(registry)
            .retryMethods("grpc.testing.SimpleService/UnaryRpc")
            .retryInitialBackoff(Duration.ofMillis(1))
            .retryMaxBackoff(Duration.ofMillis(10))
            .build())) {
      tier.warmUp(channel);
      TestTier.Instance broken = tier.instances.get(0);
      CallCounts beforeFaults = channel.callCounts();
      broken.failWith = Status.UNAVAILABLE.withDescription("injected");
      for (int i = 0; i < 150; i++) {
        assertEquals(false, TestTier.call(channel).getResponseMessage().equals(broken.name));
      }
      CallCounts counts = channel.callCounts();
      // Invariant: every attempt the servers saw is counted under the endpoint that saw it, and nothing else.
      assertEquals(tier.totalReceived(), counts.total(), counts + " vs server " + tier.received());
      for (TestTier.Instance i : tier.instances) {
        assertEquals(i.received.get(), counts.get(i.name), i.name);
      }
      assertTrue(counts.get(broken.name) > 0, "the broken instance was tried: " + counts);
      double failed = registry.find(EndpointAccounting.METER)
          .tags("endpoint", broken.name, "status", "UNAVAILABLE").counters().stream()
          .mapToDouble(Counter::count).sum();
      // every attempt on the broken instance since the fault failed, and Micrometer counted each one there
      assertEquals(counts.minus(beforeFaults).get(broken.name), (long) failed, "micrometer failures per endpoint");
    }
  }

  @Test
  void nettyLoopbackTierFansOutAndNamesEndpointsByAddress() throws Exception {
    try (TestTier tier = TestTier.netty(2); DatabaseChannel channel = DatabaseChannels.fromConfig(tier.config().build())) {
      tier.warmUp(channel);
      CallCounts before = channel.callCounts();
      for (int i = 0; i < 100; i++) {
        TestTier.call(channel);
      }
      CallCounts delta = channel.callCounts().minus(before);
      for (TestTier.Instance i : tier.instances) {
        assertEquals(50, delta.get(i.endpoint()), 1, delta.toString());
      }
    }
  }

  @Test
  void plainGrpcChannelWithSfdbTargetUsesTheRegisteredResolver() throws Exception {
    try (TestTier tier = TestTier.netty(2)) {
      ManagedChannel plain = Grpc.newChannelBuilder("sfdb:///" + tier.hosts(), InsecureChannelCredentials.create()).build();
      try {
        tier.warmUp(plain);
        for (int i = 0; i < 100; i++) {
          TestTier.call(plain);
        }
        int a = tier.instances.get(0).received.get();
        int b = tier.instances.get(1).received.get();
        assertTrue(Math.abs(a - b) <= 2, "round_robin by default over the sfdb: target: " + a + " vs " + b);
      } finally {
        plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void dnsNameReachesTheInstance() throws Exception {
    try (TestTier tier = TestTier.netty(1)) {
      int port = ((java.net.InetSocketAddress) tier.instances.get(0).server.getListenSockets().get(0)).getPort();
      try (DatabaseChannel channel = DatabaseChannels.fromConfig(
          DatabaseChannelConfig.builder().hosts("localhost:" + port).build())) {
        for (int i = 0; i < 10; i++) {
          TestTier.call(channel);
        }
        CallCounts counts = channel.callCounts();
        assertEquals(10, counts.total());
        assertTrue(counts.byEndpoint().keySet().stream().allMatch(e -> e.endsWith(":" + port)), counts.toString());
      }
    }
  }

  @Test
  void ipv6LoopbackTierFansOut() throws Exception {
    java.net.ServerSocket probe;
    try {
      probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("::1"));
      probe.close();
    } catch (java.io.IOException e) {
      org.junit.jupiter.api.Assumptions.abort("no IPv6 loopback here: " + e);
      return;
    }
    java.util.List<io.grpc.Server> servers = new java.util.ArrayList<>();
    java.util.List<Integer> ports = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        io.grpc.Server s = io.grpc.netty.NettyServerBuilder.forAddress(new java.net.InetSocketAddress("::1", 0))
            .addService(new io.grpc.testing.protobuf.SimpleServiceGrpc.SimpleServiceImplBase() {
              @Override
              public void unaryRpc(io.grpc.testing.protobuf.SimpleRequest r,
                  io.grpc.stub.StreamObserver<io.grpc.testing.protobuf.SimpleResponse> o) {
                o.onNext(io.grpc.testing.protobuf.SimpleResponse.getDefaultInstance());
                o.onCompleted();
              }
            }).build().start();
        servers.add(s);
        ports.add(((java.net.InetSocketAddress) s.getListenSockets().get(0)).getPort());
      }
      String hosts = "[::1]:" + ports.get(0) + ", [0:0::1]:" + ports.get(1);
      try (DatabaseChannel channel = DatabaseChannels.fromConfig(
          DatabaseChannelConfig.builder().hosts(hosts).healthCheck(HealthCheckMode.OFF).build())) {
        assertEquals("sfdb:///%5B::1%5D:" + ports.get(0) + ",%5B::1%5D:" + ports.get(1), channel.target());
        TestTier.waitFor(() -> {
          TestTier.call(channel);
          return channel.callCounts().byEndpoint().size() == 2;
        }, "both IPv6 endpoints served");
        CallCounts before = channel.callCounts();
        for (int i = 0; i < 100; i++) {
          TestTier.call(channel);
        }
        CallCounts delta = channel.callCounts().minus(before);
        assertEquals(50, delta.get("[::1]:" + ports.get(0)), 1, delta.toString());
        assertEquals(50, delta.get("[::1]:" + ports.get(1)), 1, delta.toString());
      }
    } finally {
      for (io.grpc.Server s : servers) {
        s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
