package org.shakenfist.sfdb.testkit.sim;

import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * The shipped scenarios: open loop at 300 calls/s against instances whose service time is lognormal (median
 * 2 ms, sigma 0.3), 60 s of virtual time (drain-restart: 20 s + 15 s per instance); instance 1 is the one that
 * misbehaves, and each fault is declared, so the result reports when its share fell to 5 % and came back. Write
 * your own with {@link Simulation#builder()} and {@link Simulation#fault}.
 * <ul>
 *   <li>{@code steady}: nothing happens;
 *   <li>{@code slow-middle}: instance 1 is 10x slower from 15 s to 45 s;
 *   <li>{@code not-serving}: instance 1's MariaDB is unreachable from 20 s to 40 s: it answers reads OK but empty
 *       at once, and its 10 s health loop turns it NOT_SERVING (and SERVING again after);
 *   <li>{@code hard-down}: instance 1 is down (connections dropped, then refused) from 20 s to 40 s;
 *   <li>{@code fast-fail}: instance 1 fails every call with UNAVAILABLE in 1 ms from 20 s to 40 s (its health
 *       still SERVING);
 *   <li>{@code cold-start}: instance 1 is down until 20 s, then joins 5x slow, recovering linearly over 10 s;
 *   <li>{@code flap}: from 15 s to 45 s each round of instance 1's health loop finds MariaDB the other way: its
 *       health flips every 10 s;
 *   <li>{@code drain-restart}: a rolling restart, one instance every 15 s from 10 s on: NOT_SERVING, stop after a
 *       10 s grace, up again 2 s later;
 *   <li>{@code pool-stall}: instance 1's worker pool stops from 20 s to 30 s (health checks wait in it too).
 * </ul>
 */
public final class Scenarios {
  /** The names {@link #build} knows. */
  public static final List<String> NAMES = List.of("steady", "slow-middle", "not-serving", "hard-down", "fast-fail",
      "cold-start", "flap", "drain-restart", "pool-stall");

  private Scenarios() {}

  /**
   * The scenario {@code name} with {@code policy} over {@code instances} (at least 2) and {@code seed}.
   *
   * @throws IllegalArgumentException naming an unknown scenario, or too few instances
   */
  public static Simulation build(String name, String policy, int instances, long seed) {
    return build(name, instances, seed, b -> b.policy(policy));
  }

  /**
   * The scenario {@code name} over {@code instances} and {@code seed}; {@code customise} may change the builder
   * first (the channel's configuration, the load), e.g. {@code b -> b.closedLoop(32)}.
   */
  public static Simulation build(String name, int instances, long seed, Consumer<SimulationBuilder> customise) {
    if (!NAMES.contains(name)) {
      throw new IllegalArgumentException("unknown scenario \"" + name + "\"; expected one of " + String.join(", ", NAMES));
    }
    if (instances < 2) {
      throw new IllegalArgumentException("scenario " + name + " needs at least 2 instances, got " + instances);
    }
    SimulationBuilder b = Simulation.builder().name(name).instances(instances).seed(seed)
        .serviceTime(SimInstance.ServiceTime.lognormal(2, 0.3)).openLoop(300)
        .duration(Duration.ofSeconds(name.equals("drain-restart") ? 20 + 15L * instances : 60));
    customise.accept(b);
    Simulation sim = b.build();
    SimInstance one = sim.instance(1);
    switch (name) {
      case "slow-middle" -> sim.fault(1, s(15), s(45), () -> one.slowdown(10), () -> one.slowdown(1));
      case "not-serving" -> sim.fault(1, s(20), s(40), () -> {
        one.databaseReachable(false);
        one.silentFailures(true);
      }, () -> {
        one.databaseReachable(true);
        one.silentFailures(false);
      });
      case "hard-down" -> sim.fault(1, s(20), s(40), one::down, one::up);
      case "fast-fail" -> sim.fault(1, s(20), s(40), () -> one.failFast(Status.UNAVAILABLE), () -> one.failFast(null));
      case "cold-start" -> {
        sim.at(Duration.ZERO, one::down);
        sim.fault(1, s(20), s(30), () -> {
          one.up();
          one.warmUp(5, s(10).toNanos());
        }, () -> { });
      }
      case "flap" -> sim.fault(1, s(15), s(45), () -> one.flapDatabase(true), () -> one.flapDatabase(false));
      case "drain-restart" -> {
        for (int i = 0; i < instances; i++) {
          SimInstance inst = sim.instance(i);
          int at = 10 + 15 * i;
          sim.fault(i, s(at), s(at + 12), () -> inst.drain(s(10).toNanos()), inst::up);
        }
      }
      case "pool-stall" -> sim.fault(1, s(20), s(30), () -> one.stall(true), () -> one.stall(false));
      default -> { }
    }
    return sim;
  }

  private static Duration s(long seconds) {
    return Duration.ofSeconds(seconds);
  }
}
