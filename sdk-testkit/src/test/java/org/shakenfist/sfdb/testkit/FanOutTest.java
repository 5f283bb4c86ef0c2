package org.shakenfist.sfdb.testkit;

import static org.shakenfist.sfdb.testkit.junit.FanOutAssertions.assertFansOut;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.client.DatabaseChannels;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;

/** Self-tests of the detector: it must pass on a healthy tier and fail on every silent single-instance tier. */
class FanOutTest {
  private static final ClusterConfigRequest CC = ClusterConfigRequest.getDefaultInstance();

  @ParameterizedTest
  @ValueSource(ints = {2, 3})
  void passesOnAHealthyTier(int n) throws Exception {
    try (DatabaseTier tier = DatabaseTier.start(n)) {
      tier.warmUp(Duration.ofSeconds(20));
      FanOutResult r = assertFansOut(FanOut.of(tier));
      assertEquals(100, r.total());
      for (String i : r.instances()) {
        assertEquals(100.0 / n, r.delta().get(i), 1.0, r.report());
      }
      assertTrue(r.report().contains("PASSED"), r.report());
    }
  }

  @Test
  void failsWhenTheChannelUsesPickFirst() throws Exception {
    try (DatabaseTier tier = DatabaseTier.start(3);
        DatabaseChannel pickFirst = DatabaseChannels.fromConfig(tier.channelConfigBuilder().loadBalancingPolicy("pick_first").build())) {
      var stub = DatabaseServiceGrpc.newBlockingStub(pickFirst);
      FanOut check = FanOut.of(tier).withCall(() -> stub.getClusterConfig(CC));
      AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> assertFansOut(check));
      // the same check without JUnit: its own exception, carrying the result
      FanOutException plain = assertThrows(FanOutException.class, check::check);
      assertTrue(!plain.result().passed() && plain.getMessage().contains("served 0 of 100 calls"), plain.getMessage());
      assertTrue(e.getMessage().contains("FAILED"), e.getMessage());
      assertTrue(e.getMessage().contains("served 0 of 100 calls (0.0% < floor 5.0%)"), e.getMessage());
      assertTrue(e.getMessage().contains("before counters: {") && e.getMessage().contains("after counters: {"),
          e.getMessage());
      assertTrue(e.getMessage().contains("100.0%"), "the one busy instance's share is shown: " + e.getMessage());
    }
  }

  @Test
  void failsWhenOneInstanceCrashedAtStartup() throws Exception {
    try (DatabaseTier tier = DatabaseTier.start(3)) {
      FakeDatabaseInstance crashed = tier.instance(2);
      crashed.kill();
      FanOutResult r = FanOut.of(tier).run();
      assertTrue(!r.passed() && !r.skipped(), r.report());
      assertEquals(0L, r.delta().get(crashed.name()), r.report());
      assertTrue(r.problems().stream().anyMatch(p -> p.startsWith(crashed.name() + " served 0 of ")), r.report());
      assertThrows(AssertionFailedError.class, () -> assertFansOut(FanOut.of(tier)));
    }
  }

  @Test
  void failsOverHttpWhenACrashedInstanceNoLongerAnswersMetrics() throws Exception {
    try (DatabaseTier tier = DatabaseTier.start(2)) {
      tier.warmUp(Duration.ofSeconds(20));
      var stub = DatabaseServiceGrpc.newBlockingStub(tier.channel());
      FanOut http = FanOut.of(CounterSource.prometheus(tier.metricsUris()), () -> stub.getClusterConfig(CC));
      assertTrue(http.run().passed(), "healthy over HTTP");
      tier.instance(1).kill();
      FanOutResult r = http.run();
      assertTrue(!r.passed(), r.report());
      assertTrue(r.problems().get(0).contains("metrics unreachable before the run"), r.report());
    }
  }

  @Test
  void failsWhenOneInstanceTurnedNotServingBeforeTheRun() throws Exception {
    try (DatabaseTier tier = DatabaseTier.start(3)) {
      tier.warmUp(Duration.ofSeconds(20));
      FakeDatabaseInstance sick = tier.instance(0);
      sick.setServing(false);
      // let the health update reach the channel: calls in a row without the sick instance
      var stub = DatabaseServiceGrpc.newBlockingStub(tier.channel());
      TestWait.untilNotPicked(sick, () -> stub.getClusterConfig(CC));
      AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> assertFansOut(FanOut.of(tier)));
      assertTrue(e.getMessage().contains(sick.name() + " served 0 of 100"), e.getMessage());
    }
  }

  @Test
  void skipsWithAClearReasonBelowTwoInstances() {
    try (DatabaseTier tier = DatabaseTier.start(1)) {
      TestAbortedException e = assertThrows(TestAbortedException.class, () -> assertFansOut(FanOut.of(tier)));
      assertTrue(e.getMessage().contains("requires N>=2 sf-database instances; saw N=1"), e.getMessage());
      FanOutResult plain = FanOut.of(tier).check();
      assertTrue(plain.skipped() && plain.skipReason().contains("saw N=1"), plain.report());
    }
  }

  @Test
  void aRestartedInstanceCountsTheCallsItServedSinceItsRestartNotANegativeDifference() throws Exception {
    // slow start off: at 10 % of its share the returning instance would miss all 49 calls about once in 100 runs
    try (DatabaseTier tier = DatabaseTier.start(2);
        DatabaseChannel channel = DatabaseChannels.fromConfig(tier.channelConfigBuilder()
            .slowStartWindow(Duration.ZERO).build())) {
      channel.awaitReady(2, Duration.ofSeconds(20));
      var warm = DatabaseServiceGrpc.newBlockingStub(channel);
      for (int i = 0; i < 200; i++) { // ~100 each: more than the restarted one serves after its restart
        warm.getClusterConfig(CC);
      }
      long zeroBefore = tier.instance(0).requestCount();
      var stub = DatabaseServiceGrpc.newBlockingStub(channel);
      int[] n = {0};
      FanOutResult r = FanOut.of(tier).withCall(() -> {
        if (n[0]++ == 50) {
          tier.instance(1).restart();
          // serving again before the other 49 calls: calls until the new process has answered one. (Waiting for
          // the endpoint view to show it in the rotation could return at once, on the old connection the channel
          // had not yet seen drop: then it reconnected after the run's last call, seen once in a stressed run.)
          TestWait.untilServed(tier.instance(1), () -> {
            try {
              stub.getClusterConfig(CC);
            } catch (RuntimeException ignored) {
              // refused until the channel has reconnected
            }
          }, Duration.ofSeconds(20));
        }
        try {
          stub.getClusterConfig(CC);
        } catch (RuntimeException ignored) {
          // calls during the restart may fail; the check counts what instances served
        }
      }).run();
      // the restarted instance's counter started again from 0 and ended below its reading before the run: what
      // it served is its whole count since the restart (a plain difference would be negative). A restart whose
      // new count passes the old one is not detectable from the counters alone.
      assertTrue(tier.instance(1).requestCount() > 0, "calls reached it after its restart: " + r.report());
      assertEquals(tier.instance(1).requestCount(), (long) r.delta().get(tier.instance(1).name()), r.report());
      assertEquals(tier.instance(0).requestCount() - zeroBefore, (long) r.delta().get(tier.instance(0).name()),
          r.report());
    }
  }

  @Test
  void twoHundredRunsOnAHealthyTierNeverFail() throws Exception {
    try (DatabaseTier tier = DatabaseTier.start(3)) {
      tier.warmUp(Duration.ofSeconds(20));
      FanOut check = FanOut.of(tier);
      for (int run = 0; run < 200; run++) {
        FanOutResult r = check.run();
        assertTrue(r.passed(), "run " + run + ": " + r.report());
      }
    }
  }
}
