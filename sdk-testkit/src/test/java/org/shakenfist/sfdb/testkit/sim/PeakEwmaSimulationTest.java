package org.shakenfist.sfdb.testkit.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code peak_ewma} against the balancing issue's targets, in the simulator (deterministic: each seed is one
 * exact outcome, seeds 1-8). Met on every seed: slow-middle's share at most 5 % within 2 s of the onset (0.9 s) and
 * its p99.9 within 1.2 x steady's (1.05-1.13 x), fast-fail, the slow third against the fast-only floor, a healthy
 * tier's split within 10 % of 1/N (at most 8.7 %).
 */
class PeakEwmaSimulationTest {

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void aTenTimesSlowInstanceLosesItsShareWithinTwoSecondsAndTheTailStaysSteady(long seed) {
    SimResult steady = Scenarios.build("steady", "peak_ewma", 4, seed).run();
    SimResult slow = Scenarios.build("slow-middle", "peak_ewma", 4, seed).run();
    for (int s = 17; s < 45; s++) { // slow from 15 s: at most 5 % of each second's calls from 17 s on
      assertTrue(slow.shareInSecond("sim-1", s) <= 0.05, "second " + s + ": " + slow.json());
    }
    double ratio = slow.latencyMicros().get("p999") / (double) steady.latencyMicros().get("p999");
    assertTrue(ratio <= 1.2, "p99.9 " + ratio + " x steady: " + slow.table() + steady.table());
    SimResult.FaultOutcome f = slow.faults().get(0);
    assertTrue(f.toLowSeconds() != null && f.toLowSeconds() <= 2, "share <= 5 % within 2 s: " + slow.table());
    SimResult rr = Scenarios.build("slow-middle", "round_robin", 4, seed).run();
    assertTrue(rr.latencyMicros().get("p999") > 3 * slow.latencyMicros().get("p999"), "round_robin: " + rr.table());
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void anInstanceThatFailsFastGetsAlmostNothingInsteadOfEverything(long seed) {
    SimResult r = Scenarios.build("fast-fail", "peak_ewma", 4, seed).run();
    for (int s = 21; s < 40; s++) {
      assertTrue(r.shareInSecond("sim-1", s) <= 0.05, "second " + s + ": " + r.json());
    }
    assertTrue(r.failed() <= 5, r.table());
    SimResult rr = Scenarios.build("fast-fail", 4, seed, b -> b.channel(org.shakenfist.sfdb.client.DatabaseChannelConfig
        .builder().hosts("sim").ejectAfterFailures(0).build())).run();
    assertTrue(rr.failed() > 1000, "round_robin without ejection keeps sending it a quarter: " + rr.table());
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void aHealthyTierIsSplitWithinTenPercentOfEven(long seed) {
    SimResult r = Scenarios.build("steady", "peak_ewma", 4, seed).run();
    for (String i : r.perInstance().keySet()) {
      assertEquals(0.25, r.share(i), 0.25 * 0.1, r.table());
    }
  }

  @ParameterizedTest
  @ValueSource(doubles = {200, 600})
  void withOneInstanceTenMillisecondsLateTheTailIsTheFastInstancesOwn(double rate) {
    Simulation s = Simulation.builder().instances(3).policy("peak_ewma").seed(1).openLoop(rate)
        .serviceTime(SimInstance.ServiceTime.lognormal(0.5, 0.3)).duration(Duration.ofSeconds(60)).build();
    s.instance(2).serviceTime(SimInstance.ServiceTime.lognormal(10.5, 0.05));
    SimResult r = s.run();
    SimResult floor = Simulation.builder().instances(2).policy("round_robin").seed(1).openLoop(rate)
        .serviceTime(SimInstance.ServiceTime.lognormal(0.5, 0.3)).duration(Duration.ofSeconds(60)).build().run();
    assertTrue(r.latencyMicros().get("p99") <= 1.2 * floor.latencyMicros().get("p99"), r.table() + floor.table());
    assertTrue(r.share("sim-2") < 0.01, r.table());
  }
}
