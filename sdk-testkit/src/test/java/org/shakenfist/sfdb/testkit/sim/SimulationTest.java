package org.shakenfist.sfdb.testkit.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
  void aNotServingInstanceGetsNoCallWithinThePollBoundAndComesBack() {
    SimResult r = Scenarios.build("not-serving", "round_robin", 3, 5).run();
    // NOT_SERVING from 20 s: the next poll (2 s interval + 1 s timeout) takes it out; seconds 23-39 see nothing
    for (int s = 23; s < 40; s++) {
      assertEquals(0.0, r.shareInSecond("sim-1", s), "second " + s + ": " + r.json());
    }
    assertTrue(r.shareInSecond("sim-1", 50) > 0.3, "back after SERVING again: " + r.json());
    assertEquals(0, r.failed(), "nothing fails: it leaves the rotation before it goes away");
  }

  @Test
  void aHardDownInstanceCostsOnlyTheCallsInFlightOnIt() {
    SimResult r = Scenarios.build("hard-down", "round_robin", 3, 9).run();
    assertTrue(r.failed() <= 5, "only what was on it when it died fails (no retries simulated): " + r.table());
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

  private static SimResult slowThird(String policy) {
    Simulation s = Simulation.builder().instances(3).policy(policy).seed(1).openLoop(200)
        .serviceTime(SimInstance.ServiceTime.lognormal(0.5, 0.3)).duration(java.time.Duration.ofSeconds(60)).build();
    s.instance(2).serviceTime(SimInstance.ServiceTime.lognormal(10.5, 0.05));
    return s.run();
  }
}
