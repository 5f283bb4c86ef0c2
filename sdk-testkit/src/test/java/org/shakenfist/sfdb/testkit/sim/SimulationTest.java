package org.shakenfist.sfdb.testkit.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Scenario outcomes of the SDK's own policies in virtual time: deterministic, so asserted exactly or by bound. */
class SimulationTest {

  @Test
  void theSameScenarioAndSeedGiveTheSameBytes() {
    String a = Scenarios.build("slow-middle", "least_request", 4, 7).run().json();
    String b = Scenarios.build("slow-middle", "least_request", 4, 7).run().json();
    assertEquals(a, b);
    assertTrue(!a.equals(Scenarios.build("slow-middle", "least_request", 4, 8).run().json()), "the seed matters");
  }

  @Test
  void aFleetOfClientsPollsEachInstanceOncePerIntervalEachAndGrpcsJitterSpreadsTheReconnectStorm() {
    int clients = 200;
    SimResult jittered = Scenarios.build("hard-down", 4, 5, b -> b.policy("round_robin").clients(clients)).run();
    SimResult inStep = Scenarios.build("hard-down", 4, 5, b -> b.policy("round_robin").clients(clients)
        .reconnectJitter(0)).run();
    assertEquals(jittered.json(), Scenarios.build("hard-down", 4, 5, b -> b.policy("round_robin")
        .clients(clients)).run().json(), "a fleet is deterministic too");
    assertEquals(clients, jittered.clients());
    SimResult.InstanceLoad healthy = jittered.load().get(0);
    // each client's one poll loop waits 2 s x [0.8, 1.2] (the default interval) after each answer
    assertEquals(clients / 2.0, healthy.checksPerSecond(), clients / 2.0 * 0.03, jittered.table());
    assertEquals(clients, healthy.maxConnections(), "one connection per client: " + jittered.table());
    assertEquals(clients, jittered.load().get(1).maxConnections());
    SimResult.FaultOutcome stormy = inStep.faults().get(0);
    SimResult.FaultOutcome spread = jittered.faults().get(0);
    // in step, every client's backoff ends in the same instant: all reconnect, and poll, within 100 ms
    assertEquals(10L * clients, stormy.peakReconnectsPerSecond(), inStep.table());
    assertEquals(10L * clients, stormy.peakChecksPerSecond(), inStep.table());
    // grpc's +-20 % spreads the same reconnects over the last backoff's +-1 s: a fraction of that peak
    assertTrue(spread.peakReconnectsPerSecond() <= 2L * clients, jittered.table());
    assertTrue(spread.peakChecksPerSecond() <= 3L * clients, jittered.table());
    assertTrue(spread.allConnectedSeconds() != null && spread.allConnectedSeconds() <= 6.0, jittered.table());
    assertEquals(0, jittered.failed(), jittered.table());
  }

  @Test
  void roundRobinOnASteadyTierSplitsExactly() {
    SimResult r = Scenarios.build("steady", "round_robin", 3, 1).run();
    assertEquals(0, r.failed(), r.table());
    long min = r.perInstance().values().stream().mapToLong(Long::longValue).min().orElseThrow();
    long max = r.perInstance().values().stream().mapToLong(Long::longValue).max().orElseThrow();
    assertTrue(max - min <= 1, "round_robin's rotation is exact (a call apart at most): " + r.table());
    assertTrue(r.calls() > 17_000, r.table()); // 59 s at 300/s
  }

  @Test
  void underRoundRobinAOneInTenSlowInstanceSetsTheTail() {
    SimResult rr = Scenarios.build("slow-middle", "round_robin", 4, 3).run();
    // a quarter of the calls for half the run take ~20 ms (10 x the 2 ms median): p99 is one of them
    assertTrue(rr.latencyMicros().get("p99") > 12_000, rr.table());
    assertEquals(0.25, rr.share("sim-1"), 0.01, "the rotation ignores latency: " + rr.table());
  }

  @Test
  void aNotServingInstanceGetsNoCallWithinItsHealthLoopAndThePollBoundAndComesBack() {
    SimResult r = Scenarios.build("not-serving", "round_robin", 3, 5).run();
    // MariaDB gone at 20 s: the instance's 10 s loop turns it NOT_SERVING, the next poll (2 s interval +- 20 %,
    // + 1 s timeout) takes it out: from 34 s on it gets nothing
    for (int s = 34; s < 40; s++) {
      assertEquals(0.0, r.shareInSecond("sim-1", s), "second " + s + ": " + r.json());
    }
    SimResult.FaultOutcome f = r.faults().get(0);
    assertTrue(f.toLowSeconds() != null && f.toLowSeconds() <= 13.5, r.table());
    assertTrue(f.backSeconds() != null && f.backSeconds() <= 13.5, r.table());
    assertEquals(0, r.failed(), "nothing fails: it leaves the rotation before it goes away");
    // until then its reads are answered OK but empty: what passive signals cannot see, and health polling can
    assertTrue(r.silent() > 0 && r.silent() <= 13 * 100, r.table());
  }

  @Test
  void aDrainedInstanceLeavesTheRotationBeforeItStopsSoARollingRestartFailsNoCall() {
    SimResult r = Scenarios.build("drain-restart", "round_robin", 3, 2).run();
    assertEquals(0, r.failed(), r.table());
    for (SimResult.FaultOutcome f : r.faults()) {
      assertTrue(f.toLowSeconds() != null && f.toLowSeconds() <= 3.5, "out within the poll bound: " + r.table());
      assertTrue(f.backSeconds() != null, "back after its restart: " + r.table());
    }
  }

  @Test
  void aStalledPoolIsTakenOutByItsUnansweredPollsAndItsCallsWaitTheStallOut() {
    SimResult r = Scenarios.build("pool-stall", "round_robin", 3, 4).run();
    // health checks wait in the stalled pool too: 3 unanswered polls (1 s timeout, 2 s +- 20 % apart) take it out
    SimResult.FaultOutcome f = r.faults().get(0);
    assertTrue(f.toLowSeconds() != null && f.toLowSeconds() <= 10.3, r.table());
    // the calls sent to it before that wait for the pool (no deadline is simulated): seconds, not milliseconds
    assertTrue(r.latencyMicros().get("max") > 5_000_000, r.table());
    assertEquals(0, r.failed(), r.table());
  }

  @Test
  void aFlappingInstanceIsOutWhileNotServingAndNeverFailsACall() {
    SimResult r = Scenarios.build("flap", "round_robin", 3, 6).run();
    assertEquals(0, r.failed(), r.table());
    long outSeconds = java.util.stream.IntStream.range(15, 50).filter(s -> r.shareInSecond("sim-1", s) == 0).count();
    assertTrue(outSeconds >= 5, "out for some of the flap: " + r.json());
    assertTrue(r.shareInSecond("sim-1", 59) > 0.2, "back (ramping up) at the end: " + r.json());
  }

  @Test
  void slowStartRampsAColdInstanceWithoutStarvingItOrOverloadingAnotherAndPeakEwmaKeepsTheTailWithinOneAndAHalf() {
    for (long seed = 1; seed <= 4; seed++) {
      long sd = seed;
      SimResult on = Scenarios.build("cold-start", "round_robin", 4, seed).run(); // the default 10 s window
      SimResult off = Scenarios.build("cold-start", 4, seed, b -> b.channel(org.shakenfist.sfdb.client
          .DatabaseChannelConfig.builder().hosts("sim").slowStartWindow(java.time.Duration.ZERO).build())).run();
      SimResult ewma = Scenarios.build("cold-start", "peak_ewma", 4, seed).run();
      SimResult steady = Scenarios.build("steady", "round_robin", 4, seed).run();
      for (int s = 2; s < 20; s++) {
        assertEquals(0.0, on.shareInSecond("sim-1", s), "down before it joins: second " + s);
      }
      // refused since the start, it reconnects within grpc's jittered backoff (at most 1.2 x the SDK's 5 s) and
      // enters as soon as it answers SERVING: the window is the 10 s from then
      int enters = java.util.stream.IntStream.range(20, 60).filter(s -> on.shareInSecond("sim-1", s) > 0).findFirst()
          .orElseThrow();
      assertTrue(enters <= 26, "seed " + sd + ": entered at " + enters);
      java.time.Duration from = java.time.Duration.ofSeconds(enters);
      java.time.Duration to = java.time.Duration.ofSeconds(enters + 10);
      double steadyP99 = steady.latencyMicros(0.99, from, to);
      String figures = "seed " + sd + ", enters at " + enters + " s: window p99 steady " + steadyP99 + ", round_robin "
          + "with slow start " + on.latencyMicros(0.99, from, to) + ", without " + off.latencyMicros(0.99, from, to)
          + ", peak_ewma with slow start " + ewma.latencyMicros(0.99, from, to);
      assertTrue(ewma.latencyMicros(0.99, from, to) <= 1.5 * steadyP99, figures);
      assertTrue(off.latencyMicros(0.99, from, to) > 1.5 * steadyP99, "without slow start: " + figures);
      assertTrue(on.latencyMicros(0.99, from, to) < off.latencyMicros(0.99, from, to), figures);
      for (int s = enters; s < 60; s++) {
        double mine = on.shareInSecond("sim-1", s);
        assertTrue(mine > 0, "the ramping instance never starves: second " + s + ", seed " + sd);
        for (String other : List.of("sim-0", "sim-2", "sim-3")) {
          // what it declines is spread over the others evenly: none above its even part + 10 %
          assertTrue(on.shareInSecond(other, s) <= 1.1 * (1 - mine) / 3, other + " second " + s + ": " + on.json());
        }
      }
      // a 30 s window holds round_robin's p99 over that window within 1.5 x (its first 10 s stay near 2 x)
      SimResult long30 = Scenarios.build("cold-start", 4, seed, b -> b.channel(org.shakenfist.sfdb.client
          .DatabaseChannelConfig.builder().hosts("sim").slowStartWindow(java.time.Duration.ofSeconds(30)).build())).run();
      java.time.Duration end = java.time.Duration.ofSeconds(Math.min(60, enters + 30));
      double over30 = long30.latencyMicros(0.99, from, end) / (double) steady.latencyMicros(0.99, from, end);
      assertTrue(over30 <= 1.5, "seed " + sd + ": round_robin, 30 s window, p99 over it / steady = " + over30);
      assertEquals(0.25, on.shareInSecond("sim-1", enters + 11), 0.03, "its full share after the window");
      assertEquals(0.25, off.shareInSecond("sim-1", enters + 1), 0.03, "without slow start: its full share cold");
    }
  }

  @Test
  void retriesAsTheChannelConfiguresThemHideAFastFailingInstanceAndTheBudgetLimitsThem() {
    SimResult plain = Scenarios.build("fast-fail", 3, 3, b -> b.channel(org.shakenfist.sfdb.client
        .DatabaseChannelConfig.builder().hosts("sim").ejectAfterFailures(0).build())).run();
    assertTrue(plain.failed() > 1_500, "a third of 20 s x 300/s fail without retries or ejection: " + plain.table());
    SimResult retried = Scenarios.build("fast-fail", 3, 3, b -> b.channel(channel().build())).run();
    assertTrue(retried.failed() * 50 < plain.failed(), "retried around it: " + retried.table());
    assertTrue(retried.attemptsPerCall() > 1.05 && retried.maxAttempts() > 1, retried.table());
    // a budget that a success refills by 0.1 token and a failed attempt drains by 1 runs out: retries stop
    SimResult throttled = Scenarios.build("fast-fail", 3, 3,
        b -> b.channel(channel().retryBudgetRatio(0.1).build())).run();
    assertTrue(throttled.failed() > 500, "the budget stops retries: " + throttled.table());
    assertTrue(throttled.attemptsPerCall() < retried.attemptsPerCall(), throttled.table());
  }

  private static org.shakenfist.sfdb.client.DatabaseChannelConfigBuilder channel() {
    return org.shakenfist.sfdb.client.DatabaseChannelConfig.builder().hosts("sim").ejectAfterFailures(0)
        .retryMethods("shakenfist.protos.DatabaseService");
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {2, 3, 4, 8})
  void aFastFailingInstanceIsEjectedAfterFiveFailuresEvenOfTwo(int instances) {
    for (String policy : List.of("round_robin", "least_request", "peak_ewma")) {
      SimResult r = Scenarios.build("fast-fail", policy, instances, 7).run();
      // out after 5 failures (10 s), back, 5 more (20 s), back after the fault: at most 5 per ejection
      assertTrue(r.failed() <= 10, policy + " N=" + instances + ": " + r.table());
      SimResult.FaultOutcome f = r.faults().get(0);
      assertTrue(f.toLowSeconds() != null && f.toLowSeconds() <= 1.0, "within 1 s: " + r.table());
    }
  }

  @Test
  void errorsSpreadEvenlyOverTheInstancesEjectNone() {
    for (double fraction : new double[] {0.05, 0.1}) {
      for (long seed = 1; seed <= 4; seed++) {
        Simulation sim = Simulation.builder().instances(4).seed(seed).duration(java.time.Duration.ofSeconds(60))
            .build();
        sim.instances().forEach(i -> i.failSome(fraction, io.grpc.Status.UNAVAILABLE));
        SimResult r = sim.run();
        for (int s = 2; s < 60; s++) {
          for (String i : r.perInstance().keySet()) {
            assertTrue(r.shareInSecond(i, s) > 0.15, fraction + " seed " + seed + ": " + i + " out in second " + s);
          }
        }
        assertEquals(fraction, r.failed() / (double) r.calls(), 0.01, r.table());
      }
    }
  }

  @Test
  void anInstanceFailingMostOfItsCallsNowAndThenIsEjectedButTheSameErrorsSpreadOverAllEjectNone() {
    for (long seed = 1; seed <= 4; seed++) {
      // one of 4 fails 60 % of its calls, at random (rarely 5 in a row): the window's ratio takes it out
      Simulation one = Simulation.builder().instances(4).seed(seed).duration(java.time.Duration.ofSeconds(30)).build();
      one.instances().get(0).failSome(0.6, io.grpc.Status.UNAVAILABLE);
      SimResult r = one.run();
      String flaky = one.instances().get(0).name();
      assertTrue(r.shareInSecond(flaky, 2) < 0.05, "seed " + seed + ": out within 2 s: " + r.table());
      // 30 % over all 4: each instance still fails 5 in a row now and then, but no more than the others
      Simulation all = Simulation.builder().instances(4).seed(seed).duration(java.time.Duration.ofSeconds(60)).build();
      all.instances().forEach(i -> i.failSome(0.3, io.grpc.Status.UNAVAILABLE));
      SimResult spread = all.run();
      for (int s = 2; s < 60; s++) {
        for (String i : spread.perInstance().keySet()) {
          assertTrue(spread.shareInSecond(i, s) > 0.15, "seed " + seed + ": " + i + " out in second " + s);
        }
      }
    }
  }

  @Test
  void aClosedLoopKeepsItsCallersBusyAndRoundRobinStaysExact() {
    SimResult r = Scenarios.build("steady", 3, 1, b -> b.closedLoop(16).duration(java.time.Duration.ofSeconds(10)))
        .run();
    // 16 callers, ~2 ms per call, 9 s of load: about 16 / 2 ms x 9 s = 72 000 calls
    assertEquals(72_000, r.calls(), 7_200, r.table());
    long min = r.perInstance().values().stream().mapToLong(Long::longValue).min().orElseThrow();
    long max = r.perInstance().values().stream().mapToLong(Long::longValue).max().orElseThrow();
    assertTrue(max - min <= 1, r.table());
  }

  @Test
  void aReplayedServiceTimeRepeatsItsLatenciesAndABadFileIsNamedByLine(@org.junit.jupiter.api.io.TempDir
      java.nio.file.Path dir) throws Exception {
    SimInstance.ServiceTime t = SimInstance.ServiceTime.replay(1, 2.5);
    java.util.SplittableRandom unused = new java.util.SplittableRandom(1);
    assertEquals(java.util.List.of(1_000_000L, 2_500_000L, 1_000_000L),
        java.util.List.of(t.sampleNanos(0, unused), t.sampleNanos(0, unused), t.sampleNanos(0, unused)));
    java.nio.file.Path file = dir.resolve("latencies.txt");
    java.nio.file.Files.writeString(file, "# ms\n1.5\n\n3\n");
    SimInstance.ServiceTime fromFile = SimInstance.ServiceTime.replay(file);
    assertEquals(1_500_000L, fromFile.sampleNanos(0, unused));
    assertEquals(3_000_000L, fromFile.sampleNanos(0, unused));
    java.nio.file.Files.writeString(file, "1.5\nfast\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SimInstance.ServiceTime.replay(file));
    assertEquals(file + ":2: \"fast\" is not a number of ms", e.getMessage());
  }

  @Test
  void theTimelineIsAnSvgWithALinePerInstanceAndTheFaultShaded() {
    SimResult r = Scenarios.build("slow-middle", "peak_ewma", 4, 1).run();
    String svg = r.svg();
    assertTrue(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""), svg);
    assertEquals(4, svg.split("<polyline", -1).length - 1, svg);
    assertTrue(svg.contains("<title>fault of sim-1</title>"), svg);
    assertEquals(svg, Scenarios.build("slow-middle", "peak_ewma", 4, 1).run().svg(), "deterministic");
  }

  @Test
  void aHardDownInstanceCostsOnlyTheCallsInFlightOnIt() {
    SimResult r = Scenarios.build("hard-down", "round_robin", 3, 9).run();
    assertTrue(r.failed() <= 5, "only what was on it when it died fails (retries off): " + r.table());
    for (int s = 21; s < 40; s++) {
      assertEquals(0.0, r.shareInSecond("sim-1", s), "second " + s);
    }
  }

  @Test
  void anUnknownScenarioOrPolicyIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Scenarios.build("sideways", "round_robin", 3, 1));
    assertTrue(e.getMessage().contains("sideways") && e.getMessage().contains("slow-middle"), e.getMessage());
    RuntimeException p = assertThrows(RuntimeException.class, () -> Scenarios.build("steady", "fastest", 3, 1));
    assertTrue(p.getMessage().contains("fastest"), p.getMessage());
  }

  /**
   * The real-socket measurement it is checked against (3 Netty loopback instances, one 10 ms late, Poisson at
   * 200 calls/s, latency from the intended send time; measurement-notes): p99 round_robin 11.2 ms, least_request
   * 10.9 ms with 20 % of the calls on the slow instance, the fast-only floor 0.95 ms.
   */
  @Test
  void reproducesTheRealSocketSlowInstanceMeasurementWithinTenPercent() {
    SimResult rr = slowThird("round_robin");
    SimResult lr = slowThird("least_request");
    assertEquals(11_200, rr.latencyMicros().get("p99"), 1_120, rr.table());
    assertEquals(10_900, lr.latencyMicros().get("p99"), 1_090, lr.table());
    assertEquals(0.20, lr.share("sim-2"), 0.02, "least_request at low load: calls in flight are mostly 0: " + lr.table());
    assertEquals(1.0 / 3, rr.share("sim-2"), 0.001, rr.table());
  }

  @Test
  void peakEwmaKeepsTheSlowThirdOutOfTheP99AtLowLoad() {
    for (int rate : new int[] {200, 600}) {
      SimResult pe = slowThird("peak_ewma", rate);
      Simulation fast = Simulation.builder().instances(2).policy("round_robin").seed(1).openLoop(rate)
          .serviceTime(SimInstance.ServiceTime.lognormal(0.5, 0.3)).duration(java.time.Duration.ofSeconds(60)).build();
      double floor = fast.run().latencyMicros().get("p99");
      System.out.printf("slow third, %d calls/s: peak_ewma p99 %d us, %.3f %% to the slow one; floor %.0f us%n", rate,
          pe.latencyMicros().get("p99"), 100 * pe.share("sim-2"), floor);
      assertTrue(pe.share("sim-2") < 0.003, rate + ": " + pe.table());
      assertTrue(pe.latencyMicros().get("p99") <= 1.2 * floor, rate + ": floor " + floor + ": " + pe.table());
    }
  }

  private static SimResult slowThird(String policy) {
    return slowThird(policy, 200);
  }

  private static SimResult slowThird(String policy, int rate) {
    Simulation s = Simulation.builder().instances(3).policy(policy).seed(1).openLoop(rate)
        .serviceTime(SimInstance.ServiceTime.lognormal(0.5, 0.3)).duration(java.time.Duration.ofSeconds(60)).build();
    s.instance(2).serviceTime(SimInstance.ServiceTime.lognormal(10.5, 0.05));
    return s.run();
  }
}
