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

/**
 * Outlier ejection, the readiness gate and the all-down error message. (Health polling itself: the producer's
 * and the policy's deterministic tests, and {@code DatabaseChannelTest} / {@code EndpointStateTest} end to end.)
 */
class HealthModesTest {

  @Test
  void outlierDetectionEjectsAnInstanceThatFailsEveryCall() throws Exception {
    try (TestTier tier = TestTier.inProcess(3);
        DatabaseChannel ch = DatabaseChannels.fromConfig(tier.config().outlierDetection(true).ejectAfterFailures(0)
            .build())) {
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

  /** Instance 1 of 3 fails every call with INTERNAL; of 300 serial calls, how many failed. */
  private static int failedOf300WithOneInstanceFailing(TestTier tier, DatabaseChannel ch) throws Exception {
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
    return failed;
  }

  @Test
  void byDefaultAnInstanceThatFailsEveryCallIsEjectedAfterFiveInARow() throws Exception {
    try (TestTier tier = TestTier.inProcess(3); DatabaseChannel ch = DatabaseChannels.fromConfig(tier.config().build())) {
      int failed = failedOf300WithOneInstanceFailing(tier, ch);
      assertEquals(5, failed, "ejected for 10 s after its fifth failure in a row");
    }
  }

  @Test
  void withoutEjectionTheFailingInstanceKeepsItsShare() throws Exception {
    try (TestTier tier = TestTier.inProcess(3);
        DatabaseChannel ch = DatabaseChannels.fromConfig(tier.config().ejectAfterFailures(0).build())) {
      int failed = failedOf300WithOneInstanceFailing(tier, ch);
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
