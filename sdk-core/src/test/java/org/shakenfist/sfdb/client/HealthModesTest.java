package org.shakenfist.sfdb.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.internal.balance.TierLoadBalancerProvider;

/** Poll-mode health, outlier ejection, the readiness gate and the all-down error message. */
class HealthModesTest {

  private static DatabaseChannelConfig.Builder poll(TestTier tier) {
    return tier.config().healthCheck(HealthCheckMode.POLL)
        .healthPollInterval(Duration.ofMillis(100))
        .healthPollTimeout(Duration.ofMillis(200))
        .healthPollFailures(3);
  }

  /** Calls until {@code instance} has not been picked for {@code streak} calls in a row. */
  private static long untilAvoided(io.grpc.Channel ch, TestTier.Instance instance, int streak) {
    long start = System.nanoTime();
    int[] run = {0};
    TestTier.waitFor(() -> {
      int seen = instance.received.get();
      TestTier.call(ch);
      run[0] = instance.received.get() == seen ? run[0] + 1 : 0;
      return run[0] >= streak;
    }, instance.name + " avoided " + streak + " calls in a row");
    return (System.nanoTime() - start) / 1_000_000;
  }

  private static void untilPicked(io.grpc.Channel ch, TestTier.Instance instance) {
    TestTier.waitFor(() -> {
      int seen = instance.received.get();
      TestTier.call(ch);
      return instance.received.get() > seen;
    }, instance.name + " picked again");
  }

  @Test
  void pollModeDropsNotServingInstanceAndTakesItBack() throws Exception {
    assertTrue(io.grpc.LoadBalancerRegistry.getDefaultRegistry().getProvider(TierLoadBalancerProvider.POLICY) != null);
    try (TestTier tier = TestTier.inProcess(3); DatabaseChannel ch = DatabaseChannels.fromConfig(poll(tier).build())) {
      tier.warmUp(ch);
      TestTier.Instance sick = tier.instances.get(2);
      sick.setServing(false);
      long ms = untilAvoided(ch, sick, 30);
      CallCounts before = ch.callCounts();
      for (int i = 0; i < 100; i++) {
        TestTier.call(ch);
      }
      assertEquals(0, ch.callCounts().minus(before).get(sick.name));
      System.out.println("poll mode: NOT_SERVING instance out of rotation after " + ms + " ms");
      sick.setServing(true);
      untilPicked(ch, sick);
    }
  }

  @Test
  void outlierDetectionEjectsAnInstanceThatFailsEveryCall() throws Exception {
    try (TestTier tier = TestTier.inProcess(3);
        DatabaseChannel ch = DatabaseChannels.fromConfig(tier.config().outlierDetection(true).build())) {
      tier.warmUp(ch);
      TestTier.Instance bad = tier.instances.get(1);
      bad.failWith = Status.INTERNAL.withDescription("broken replica");
      long start = System.nanoTime();
      int[] run = {0};
      TestTier.waitFor(() -> {
        int seen = bad.received.get();
        try {
          TestTier.call(ch);
        } catch (StatusRuntimeException expected) {
          // the bad instance's failures are what outlier detection counts
        }
        run[0] = bad.received.get() == seen ? run[0] + 1 : 0;
        return run[0] >= 60;
      }, "the failing instance is ejected");
      System.out.println("outlier detection: ejected after " + (System.nanoTime() - start) / 1_000_000 + " ms");
      CallCounts before = ch.callCounts();
      for (int i = 0; i < 100; i++) {
        TestTier.call(ch); // no failures once ejected
      }
      CallCounts delta = ch.callCounts().minus(before);
      assertEquals(0, delta.get(bad.name), delta.toString());
      assertEquals(100, delta.total());
    }
  }

  @Test
  void withoutOutlierDetectionTheFailingInstanceKeepsItsShare() throws Exception {
    try (TestTier tier = TestTier.inProcess(3); DatabaseChannel ch = DatabaseChannels.fromConfig(tier.config().build())) {
      tier.warmUp(ch);
      tier.instances.get(1).failWith = Status.INTERNAL;
      int failed = 0;
      for (int i = 0; i < 300; i++) {
        try {
          TestTier.call(ch);
        } catch (StatusRuntimeException e) {
          failed++;
        }
      }
      assertEquals(100, failed, 1);
    }
  }

  @Test
  void awaitReadyReturnsServingEndpointsOrListsEveryInstance() throws Exception {
    try (TestTier tier = TestTier.inProcess(3); DatabaseChannel ch = DatabaseChannels.fromConfig(tier.config().build())) {
      Set<String> ready = ch.awaitReady(3, Duration.ofSeconds(10));
      assertEquals(3, ready.size(), ready.toString());
      tier.instances.get(0).setServing(false);
      tier.instances.get(1).server.shutdownNow().awaitTermination();
      TimeoutException e = assertThrows(TimeoutException.class, () -> ch.awaitReady(2, Duration.ofSeconds(1)));
      String m = e.getMessage();
      assertTrue(m.contains("1 of the 2 required"), m);
      assertTrue(m.contains(tier.instances.get(0).name + ":13005 NOT_SERVING"), m);
      assertTrue(m.contains(tier.instances.get(1).name + ":13005 unreachable"), m);
      assertTrue(m.contains(tier.instances.get(2).name + ":13005 SERVING"), m);
      assertEquals(Set.of(tier.instances.get(2).name), ch.awaitReady(1, Duration.ofSeconds(5)));
    }
  }

  @Test
  void unavailableNamesTheTier() throws Exception {
    TestTier tier = TestTier.inProcess(2);
    DatabaseChannelConfig config = tier.config().build();
    tier.close();
    try (DatabaseChannel ch = DatabaseChannels.fromConfig(config)) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> TestTier.call(ch));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("sf-database tier " + ch.config().hostsString()),
          e.getStatus().toString());
    }
  }
}
