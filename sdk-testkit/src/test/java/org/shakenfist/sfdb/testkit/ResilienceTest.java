package org.shakenfist.sfdb.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.CallCounts;
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.DatabaseChannels;
import org.shakenfist.sfdb.client.Transport;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;

/**
 * Fault behaviour of DatabaseChannels under load, on a Netty loopback tier (real connections, GOAWAY,
 * reconnect backoff). Measured figures are printed (see the surefire output) and quoted in the operator guide.
 */
class ResilienceTest {
  private static final ClusterConfigRequest CC = ClusterConfigRequest.getDefaultInstance();
  private static final String SERVICE = "shakenfist.protos.DatabaseService";

  private static DatabaseTier nettyTier(int n) {
    return DatabaseTier.builder().instances(n).transport(Transport.NETTY).start();
  }

  private static DatabaseChannel retrying(DatabaseTier tier, SimpleMeterRegistry registry) {
    return DatabaseChannels.fromConfig(tier.channelConfigBuilder().retryMethods(SERVICE).meterRegistry(registry).build());
  }

  private static void awaitTraffic(DatabaseChannel ch, FakeDatabaseInstance instance, Duration timeout) {
    var stub = DatabaseServiceGrpc.newBlockingStub(ch);
    TestWait.untilServed(instance, () -> stub.getClusterConfig(CC), timeout);
  }

  /** Passive: waits (while the load runs) until the instance has served a call. */
  private static void awaitServed(FakeDatabaseInstance instance, Duration timeout) {
    TestWait.until(() -> instance.requestCount() > 0, timeout, instance.name() + " gets traffic again");
  }

  private static double okCount(SimpleMeterRegistry registry) {
    return registry.find("sfdb.client.calls").tag("status", "OK")
        .tag("method", SERVICE + "/GetClusterConfig").counters().stream().mapToDouble(Counter::count).sum();
  }

  @Test
  void rollingDrainAndRestartLosesNoCall() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (DatabaseTier tier = nettyTier(3); DatabaseChannel ch = retrying(tier, registry)) {
      ch.awaitReady(3, Duration.ofSeconds(20));
      LoadDriver load = new LoadDriver(ch, 4);
      long start = System.nanoTime();
      for (FakeDatabaseInstance instance : tier.instances()) {
        Thread.sleep(300);
        instance.drain(Duration.ofSeconds(5));
        instance.restart();
        awaitServed(instance, Duration.ofSeconds(20));
      }
      Thread.sleep(300);
      load.close();
      long ms = (System.nanoTime() - start) / 1_000_000;
      System.out.println("rolling drain+restart of 3 instances, 4 callers: " + load.summary() + " in " + ms + " ms;"
          + " attempts " + ch.callCounts());
      assertEquals(load.issued.get(), load.succeeded.get() + load.failed.get());
      assertEquals(0, load.failed.get(), load.summary());
      assertEquals(load.succeeded.get(), (long) okCount(registry), "exactly one OK attempt per successful call");
      double attempts = registry.find("sfdb.client.calls").tag("method", SERVICE + "/GetClusterConfig").counters()
          .stream().mapToDouble(Counter::count).sum();
      assertTrue(attempts >= load.issued.get(), "every call made at least one counted attempt: " + attempts);
      CallCounts counts = ch.callCounts();
      double allMethods = registry.find("sfdb.client.calls").counters().stream().mapToDouble(Counter::count).sum();
      assertEquals(counts.total(), (long) allMethods, "snapshot and Micrometer agree");
    }
  }

  /** Default settings, retries on: the picker stops using a killed instance and no call fails. */
  @Test
  void killMidLoadLosesNoIdempotentCall() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (DatabaseTier tier = nettyTier(3); DatabaseChannel ch = retrying(tier, registry)) {
      ch.awaitReady(3, Duration.ofSeconds(20));
      FakeDatabaseInstance victim = tier.instance(1);
      LoadDriver load = new LoadDriver(ch, 4);
      Thread.sleep(500);
      victim.kill();
      long afterKill = load.issued.get();
      Thread.sleep(1500);
      CallCounts before = ch.callCounts();
      Thread.sleep(500);
      CallCounts lastHalfSecond = ch.callCounts().minus(before);
      load.close();
      System.out.println("kill mid-load: " + load.summary() + "; calls after the kill " + (load.issued.get() - afterKill)
          + "; attempts " + ch.callCounts());
      assertEquals(0, load.failed.get(), load.summary());
      assertEquals(load.succeeded.get(), (long) okCount(registry));
      assertEquals(0, lastHalfSecond.get(victim.endpoint()), "the picker stopped using the dead instance: " + lastHalfSecond);
    }
  }

  /**
   * Twenty kills under load with the default settings and retries on: no call fails. (Before the SDK's
   * transport re-reported dropped-connection writes, grpc-java's {@code UNKNOWN: channel closed} let 0-3 calls
   * per kill through unless UNKNOWN was added to the retry codes.)
   */
  @Test
  void twentyKillsUnderLoadWithDefaultSettingsFailNoCall() throws Exception {
    long calls = 0;
    try (DatabaseTier tier = nettyTier(3)) {
      for (int run = 0; run < 20; run++) {
        // 2 ms per call on the victim: calls are in flight on it when it dies
        LoadDriver load = killUnderLoad(tier, run, Duration.ofMillis(2), () -> retrying(tier, new SimpleMeterRegistry()));
        // every call that had not received its response headers is retried around the dead instance; one whose
        // response was cut after its headers is committed and fails whatever the client does (so would it after a
        // real crash). One call of 4 705 failed once in about 300 kills on Java 25 (UNAVAILABLE "Connection closed
        // after GOAWAY"); whether it had its headers was not recorded then: this test now tells the two apart.
        assertEquals(load.failedAfterHeaders.get(), load.failed.get(), "run " + run + ": " + load.summary());
        assertTrue(load.failedAfterHeaders.get() <= 1, "run " + run + ": " + load.summary());
        assertEquals(load.issued.get(), load.succeeded.get() + load.failed.get());
        calls += load.issued.get();
      }
    }
    System.out.println("20 kills under load, default settings, retries on: " + calls + " calls, none failed before"
        + " its response headers");
  }

  /**
   * One kill run: killed instances restarted, a fresh channel, 4 callers; instance {@code run % 3}, slowed by
   * {@code delay}, is killed 150 ms in; the callers stop 250 ms later. Returns the stopped load.
   */
  private static LoadDriver killUnderLoad(DatabaseTier tier, int run, Duration delay,
      java.util.function.Supplier<DatabaseChannel> channel) throws Exception {
    tier.instances().stream().filter(i -> !i.isRunning()).forEach(FakeDatabaseInstance::restart);
    FakeDatabaseInstance victim = tier.instance(run % 3);
    victim.delay(delay);
    try (DatabaseChannel ch = channel.get()) {
      ch.awaitReady(3, Duration.ofSeconds(20));
      LoadDriver load = new LoadDriver(ch, 4);
      Thread.sleep(150);
      victim.kill();
      Thread.sleep(250);
      load.close();
      return load;
    }
  }

  /** Without retries, calls on a killed instance fail, and they fail as UNAVAILABLE ("try again"), never UNKNOWN. */
  @Test
  void withoutRetriesACallOnADroppedConnectionFailsAsUnavailable() throws Exception {
    List<String> failures = new ArrayList<>();
    try (DatabaseTier tier = nettyTier(3)) {
      for (int run = 0; run < 5; run++) {
        // 20 ms per call on the victim: several calls are in flight on it when it dies
        LoadDriver load = killUnderLoad(tier, run, Duration.ofMillis(20),
            () -> DatabaseChannels.fromConfig(tier.channelConfigBuilder().build()));
        assertEquals(load.issued.get(), load.succeeded.get() + load.failed.get());
        failures.addAll(load.failures);
      }
    }
    System.out.println("5 kills without retries: " + failures.size() + " failed calls, e.g. "
        + failures.stream().limit(2).toList());
    assertTrue(!failures.isEmpty(), "calls in flight on a killed instance fail when nothing retries them");
    assertTrue(failures.stream().allMatch(f -> f.startsWith("Status{code=UNAVAILABLE")), failures.toString());
  }

  @Test
  void restartedInstanceGetsTrafficBackWithinTheBackoffCap() throws Exception {
    // slow start off: this is about reconnecting within the backoff cap; with it (the default) the restarted
    // instance ramps from weight 0.1 over 10 s (TierLoadBalancerTest, the simulator's cold-start)
    try (DatabaseTier tier = nettyTier(3); DatabaseChannel ch = DatabaseChannels.fromConfig(tier.channelConfigBuilder()
        .slowStartWindow(Duration.ZERO).build())) {
      ch.awaitReady(3, Duration.ofSeconds(20));
      FakeDatabaseInstance instance = tier.instance(0);
      instance.kill();
      Thread.sleep(7000); // several failed reconnects: grpc's own backoff is now past 4 s
      instance.restart();
      long start = System.nanoTime();
      awaitTraffic(ch, instance, Duration.ofSeconds(30));
      long ms = (System.nanoTime() - start) / 1_000_000;
      System.out.println("restart: instance back in rotation " + ms + " ms after it came up (cap 5 s)");
      assertTrue(ms < 5000 + 2000, "back after " + ms + " ms, cap is 5 s");
      CallCounts before = ch.callCounts();
      var stub = DatabaseServiceGrpc.newBlockingStub(ch);
      for (int i = 0; i < 200; i++) {
        stub.getClusterConfig(CC);
      }
      CallCounts delta = ch.callCounts().minus(before);
      assertTrue(delta.get(instance.endpoint()) >= 10, "restarted instance serves >= 5 %: " + delta);
    }
  }

  @Test
  void notServingInstanceIsEjectedQuickly() throws Exception {
    try (DatabaseTier tier = nettyTier(3); DatabaseChannel ch = DatabaseChannels.fromConfig(tier.channelConfigBuilder().build())) {
      ch.awaitReady(3, Duration.ofSeconds(20));
      FakeDatabaseInstance sick = tier.instance(2);
      var stub = DatabaseServiceGrpc.newBlockingStub(ch);
      long start = System.nanoTime();
      sick.setServing(false);
      long lastSeen = System.nanoTime();
      long count = sick.requestCount();
      while (System.nanoTime() - lastSeen < TimeUnit.MILLISECONDS.toNanos(500)) {
        stub.getClusterConfig(CC);
        if (sick.requestCount() != count) {
          count = sick.requestCount();
          lastSeen = System.nanoTime();
        }
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "still picked after 10 s");
      }
      long ms = (lastSeen - start) / 1_000_000;
      System.out.println("NOT_SERVING: last call reached the instance " + ms + " ms after the flip");
      assertTrue(ms < 5000, "ejection took " + ms + " ms");
    }
  }

  @Test
  void allInstancesDownFailsFastNamingTheHostsAndWaitForReadyWaits() throws Exception {
    try (DatabaseTier tier = nettyTier(2); DatabaseChannel ch = DatabaseChannels.fromConfig(tier.channelConfigBuilder().build())) {
      ch.awaitReady(2, Duration.ofSeconds(20));
      tier.instances().forEach(FakeDatabaseInstance::kill);
      var stub = DatabaseServiceGrpc.newBlockingStub(ch);
      long start = System.nanoTime();
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> {
        for (int i = 0; i < 100; i++) {
          stub.getClusterConfig(CC); // the first calls may still race the disconnect
        }
      });
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains(tier.hostsString()), e.getStatus().toString());
      StatusRuntimeException again = assertThrows(StatusRuntimeException.class, () -> stub.getClusterConfig(CC));
      long oneCall = (System.nanoTime() - start) / 1_000_000 - ms;
      System.out.println("all down: UNAVAILABLE after " + ms + " ms; next call failed in " + oneCall + " ms (deadline 30 s)");
      assertTrue(ms + oneCall < 5000, "fails fast, not at the 30 s deadline");

      CompletableFuture<Long> waiting = CompletableFuture.supplyAsync(() -> {
        long t = System.nanoTime();
        stub.withWaitForReady().withDeadlineAfter(30, TimeUnit.SECONDS).getClusterConfig(CC);
        return (System.nanoTime() - t) / 1_000_000;
      });
      Thread.sleep(1000);
      assertTrue(!waiting.isDone(), "waitForReady call waits while everything is down");
      tier.instance(1).restart();
      long waited = waiting.get(30, TimeUnit.SECONDS);
      System.out.println("all down: waitForReady call completed " + waited + " ms after it started (instance back at ~1000 ms)");
      assertTrue(waited >= 1000);
    }
  }

  @Test
  void failingCallsAgainstADeadTierOpenFewConnectionsAndNeverRebuildTheChannel() throws Exception {
    AtomicInteger accepts = new AtomicInteger();
    try (ServerSocket a = deadGateway(accepts); ServerSocket b = deadGateway(accepts)) {
      AtomicInteger builds = new AtomicInteger();
      DatabaseChannelConfig config = DatabaseChannelConfig.builder()
          .hosts("127.0.0.1:" + a.getLocalPort() + ",127.0.0.1:" + b.getLocalPort())
          .retryMethods(SERVICE)
          .retryInitialBackoff(Duration.ofMillis(1)).retryMaxBackoff(Duration.ofMillis(2))
          .retryBudgetTokens(0) // the worst case: every call retried to the last attempt
          .channelCustomizer(builder -> builds.incrementAndGet())
          .build();
      try (DatabaseChannel ch = DatabaseChannels.fromConfig(config)) {
        var stub = DatabaseServiceGrpc.newBlockingStub(ch);
        long start = System.nanoTime();
        int failed = 0;
        for (int i = 0; i < 1000; i++) {
          try {
            stub.getClusterConfig(CC);
          } catch (StatusRuntimeException e) {
            failed++;
          }
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        System.out.println("dead tier: 1000 calls (6 attempts each) failed in " + ms + " ms with " + accepts.get()
            + " TCP connections accepted; attempts " + ch.callCounts());
        assertEquals(1000, failed);
        assertEquals(1, builds.get(), "the channel is never rebuilt");
        // one connection per instance per reconnect wait (1 s, x1.6, capped at 5 s), plus the cap's resets
        long bound = 2 * (4 + ms / 1000);
        assertTrue(accepts.get() <= bound, accepts.get() + " connections in " + ms + " ms, bound " + bound);
        assertEquals(6000, ch.callCounts().total(), "every attempt counted");
      }
    }
  }

  /**
   * The retry budget (default 100 tokens, 1 per success): while the whole tier is down a channel stops
   * retrying once half its tokens are gone, and retries again after successes refill them.
   */
  @Test
  void retryBudgetTriesOnceWhileTheTierIsDownAndRetriesAgainAfterRecovery() throws Exception {
    try (DatabaseTier tier = DatabaseTier.start(3); DatabaseChannel ch = DatabaseChannels.fromConfig(
        tier.channelConfigBuilder().retryMethods(SERVICE)
            .retryInitialBackoff(Duration.ofMillis(1)).retryMaxBackoff(Duration.ofMillis(2)).build())) {
      ch.awaitReady(3, Duration.ofSeconds(20));
      var stub = DatabaseServiceGrpc.newBlockingStub(ch);
      tier.instances().forEach(FakeDatabaseInstance::kill);
      List<Long> attempts = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        long before = ch.callCounts().total();
        assertThrows(StatusRuntimeException.class, () -> stub.getClusterConfig(CC));
        attempts.add(ch.callCounts().total() - before);
      }
      long total = attempts.stream().mapToLong(Long::longValue).sum();
      System.out.println("retry budget, whole tier down: 100 calls, " + total + " attempts (6 per call without a "
          + "budget = 600); first calls " + attempts.subList(0, 12));
      // retries stop once failures took half the 100 tokens: about 50 failed attempts, then one per call
      assertTrue(attempts.subList(20, 100).stream().allMatch(a -> a == 1), "budget spent: one attempt per call "
          + attempts);
      assertTrue(total <= 100 + 50 + 6, "at most the budget's worth of retries: " + total);

      tier.instances().forEach(FakeDatabaseInstance::restart);
      ch.awaitReady(3, Duration.ofSeconds(20));
      for (int i = 0; i < 100; i++) {
        stub.getClusterConfig(CC); // each success gives a token back
      }
      tier.instances().forEach(i -> i.failNext(1, Status.UNAVAILABLE));
      long before = ch.callCounts().total();
      stub.getClusterConfig(CC);
      long retried = ch.callCounts().total() - before;
      System.out.println("retry budget, after recovery: a call meeting failures took " + retried + " attempts");
      assertTrue(retried > 1, "retries are back after recovery: " + retried + " attempt(s)");
    }
  }

  /** Accepts TCP connections and closes them at once: a gateway that is up at the TCP level but broken. */
  private static ServerSocket deadGateway(AtomicInteger accepts) throws IOException {
    ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(() -> {
      while (!server.isClosed()) {
        try (Socket s = server.accept()) {
          accepts.incrementAndGet();
        } catch (IOException e) {
          return;
        }
      }
    }, "dead-gateway");
    t.setDaemon(true);
    t.start();
    return server;
  }

  @Test
  void drainedInstanceRefusesNothingInFlight() throws Exception {
    try (DatabaseTier tier = nettyTier(2); DatabaseChannel ch = DatabaseChannels.fromConfig(tier.channelConfigBuilder().build())) {
      ch.awaitReady(2, Duration.ofSeconds(20));
      FakeDatabaseInstance slow = tier.instance(0);
      slow.delay(Duration.ofMillis(800));
      var future = DatabaseServiceGrpc.newFutureStub(ch);
      List<com.google.common.util.concurrent.ListenableFuture<?>> inFlight = new java.util.ArrayList<>();
      for (int i = 0; i < 6; i++) {
        inFlight.add(future.getClusterConfig(CC));
      }
      Thread.sleep(200);
      slow.drain(Duration.ofSeconds(5));
      for (var f : inFlight) {
        f.get(10, TimeUnit.SECONDS); // in-flight calls on the draining instance complete
      }
    }
  }
}
