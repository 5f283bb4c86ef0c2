package org.shakenfist.sfdb.testkit.sim;

import java.time.Duration;
import java.util.List;

/**
 * The shipped scenarios, each 60 s of virtual time at 300 calls/s (open loop) against instances whose service
 * time is lognormal (median 2 ms, sigma 0.3). Write your own with {@link Simulation#builder()} and
 * {@link Simulation#at}.
 * <ul>
 *   <li>{@code steady}: nothing happens;
 *   <li>{@code slow-middle}: instance 1 is 10x slower from 15 s to 45 s;
 *   <li>{@code not-serving}: instance 1 answers NOT_SERVING from 20 s to 40 s (a MariaDB hiccup on its host);
 *   <li>{@code hard-down}: instance 1 is down (connections dropped, then refused) from 20 s to 40 s;
 *   <li>{@code fast-fail}: instance 1 fails every call with UNAVAILABLE in 1 ms from 20 s to 40 s (its health
 *       still SERVING).
 * </ul>
 */
public final class Scenarios {
  /** The names {@link #build} knows. */
  public static final List<String> NAMES = List.of("steady", "slow-middle", "not-serving", "hard-down", "fast-fail");

  private Scenarios() {}

  /**
   * The scenario {@code name} with {@code policy} over {@code instances} (at least 2) and {@code seed}.
   *
   * @throws IllegalArgumentException naming an unknown scenario, or too few instances
   */
  public static Simulation build(String name, String policy, int instances, long seed) {
    if (!NAMES.contains(name)) {
      throw new IllegalArgumentException("unknown scenario \"" + name + "\"; expected one of " + String.join(", ", NAMES));
    }
    if (instances < 2) {
      throw new IllegalArgumentException("scenario " + name + " needs at least 2 instances, got " + instances);
    }
    Simulation sim = Simulation.builder().name(name).policy(policy).instances(instances).seed(seed)
        .serviceTime(SimInstance.ServiceTime.lognormal(2, 0.3)).openLoop(300).duration(Duration.ofSeconds(60))
        .build();
    SimInstance one = sim.instance(1);
    switch (name) {
      case "slow-middle" -> window(sim, 15, 45, () -> one.slowdown(10), () -> one.slowdown(1));
      case "not-serving" -> window(sim, 20, 40, () -> one.setServing(false), () -> one.setServing(true));
      case "hard-down" -> window(sim, 20, 40, one::down, one::up);
      case "fast-fail" -> window(sim, 20, 40, () -> one.failFast(io.grpc.Status.UNAVAILABLE), () -> one.failFast(null));
      default -> { }
    }
    return sim;
  }

  private static void window(Simulation sim, int fromSecond, int toSecond, Runnable start, Runnable end) {
    sim.at(Duration.ofSeconds(fromSecond), start);
    sim.at(Duration.ofSeconds(toSecond), end);
  }
}
