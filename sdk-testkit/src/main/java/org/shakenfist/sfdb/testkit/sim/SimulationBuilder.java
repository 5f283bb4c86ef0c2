package org.shakenfist.sfdb.testkit.sim;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.HealthCheckMode;

/**
 * What to simulate: the instances and their service time, the load (open loop at a rate, or closed loop with
 * callers), the channel's configuration (the policy, health checks, retries and retry budget a real channel
 * built from it would use), the seed, the length of the run.
 *
 * <pre>{@code
 * Simulation sim = Simulation.builder().instances(4).seed(7)
 *     .channel(DatabaseChannelConfig.builder().hosts("sim").loadBalancingPolicy("peak_ewma")
 *         .retryMethods("shakenfist.protos.DatabaseService").build())
 *     .closedLoop(32).duration(Duration.ofSeconds(60)).build();
 * }</pre>
 */
public final class SimulationBuilder {
  int instances = 3;
  SimInstance.ServiceTime serviceTime = SimInstance.ServiceTime.lognormal(2, 0.3);
  DatabaseChannelConfig channel = DatabaseChannelConfig.builder().hosts("sim").build();
  long seed = 1;
  double ratePerSecond = 300;
  int callers; // > 0: closed loop
  Duration thinkTime = Duration.ZERO;
  Duration duration = Duration.ofSeconds(60);
  Duration warmup = Duration.ofSeconds(1);
  String name = "custom";
  int clients = 1;
  double reconnectJitter = 0.2;

  SimulationBuilder() {}

  public SimulationBuilder instances(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("instances must be at least 1, got " + n);
    }
    this.instances = n;
    return this;
  }

  /** Every instance's service time at the start (scenarios may change one later). */
  public SimulationBuilder serviceTime(SimInstance.ServiceTime t) {
    this.serviceTime = Objects.requireNonNull(t);
    return this;
  }

  /**
   * The channel's settings: its policy ({@code loadBalancingPolicy}), health checks and poll settings, and, when
   * it has {@code retryMethods}, its retry policy and retry budget, which then apply to every simulated call (the
   * hosts are ignored: the simulation's instances are the tier). Default: the SDK's defaults.
   */
  public SimulationBuilder channel(DatabaseChannelConfig config) {
    this.channel = Objects.requireNonNull(config);
    return this;
  }

  /** Shorthand: the channel's {@code SHAKENFIST_MARIADB_GATEWAY_LB_POLICY} value. */
  public SimulationBuilder policy(String policy) {
    this.channel = channel.toBuilder().loadBalancingPolicy(policy).build();
    return this;
  }

  /** Shorthand: the channel's health-check mode. */
  public SimulationBuilder healthCheck(HealthCheckMode mode) {
    this.channel = channel.toBuilder().healthCheck(mode).build();
    return this;
  }

  /** Shorthand: {@code peak_ewma}'s decay (the channel setting {@code ewmaDecay}). */
  public SimulationBuilder ewmaDecay(Duration d) {
    this.channel = channel.toBuilder().ewmaDecay(d).build();
    return this;
  }

  public SimulationBuilder seed(long seed) {
    this.seed = seed;
    return this;
  }

  /** Open loop (the default, 300/s): Poisson arrivals at {@code callsPerSecond} from the end of the warm-up on. */
  public SimulationBuilder openLoop(double callsPerSecond) {
    if (!(callsPerSecond > 0)) {
      throw new IllegalArgumentException("the rate must be positive, got " + callsPerSecond);
    }
    this.ratePerSecond = callsPerSecond;
    this.callers = 0;
    return this;
  }

  /**
   * Closed loop: {@code callers} callers, each starting its next call {@code thinkTime} after its last one ended
   * (latency is then measured from each call's actual start: a closed loop slows down with the tier).
   */
  public SimulationBuilder closedLoop(int callers, Duration thinkTime) {
    if (callers < 1) {
      throw new IllegalArgumentException("a closed loop needs at least 1 caller, got " + callers);
    }
    this.callers = callers;
    this.thinkTime = Objects.requireNonNull(thinkTime);
    return this;
  }

  /** Closed loop without think time. */
  public SimulationBuilder closedLoop(int callers) {
    return closedLoop(callers, Duration.ZERO);
  }

  public SimulationBuilder duration(Duration d) {
    this.duration = Objects.requireNonNull(d);
    return this;
  }

  /** When the load starts (connections and first health answers come before). */
  public SimulationBuilder warmup(Duration d) {
    this.warmup = Objects.requireNonNull(d);
    return this;
  }

  /**
   * A fleet: {@code clients} client processes, each with one channel of its own (its own policy state,
   * connections to every instance, health polls and retry budget); each call starts in one of them at random.
   * Default 1. The result then reports what the fleet puts on each instance: health checks per second,
   * connections, connection attempts (the reconnect storm after a restart).
   */
  public SimulationBuilder clients(int clients) {
    if (clients < 1) {
      throw new IllegalArgumentException("clients must be at least 1, got " + clients);
    }
    this.clients = clients;
    return this;
  }

  /**
   * The jitter of each reconnect wait, as grpc's {@code ExponentialBackoffPolicy} draws it: the wait is the
   * current backoff x [1 - jitter, 1 + jitter]. Default 0.2, grpc's. The SDK's backoff resets keep their own
   * +-20 % whatever the value, except 0, which turns both off (the resets then at a fixed rate from the
   * channel's start, as the SDK had them before): a fleet started together reconnects in step.
   */
  public SimulationBuilder reconnectJitter(double jitter) {
    if (!(jitter >= 0 && jitter < 1)) {
      throw new IllegalArgumentException("the reconnect jitter must be in [0, 1), got " + jitter);
    }
    this.reconnectJitter = jitter;
    return this;
  }

  /** The scenario's name in the result. */
  public SimulationBuilder name(String name) {
    this.name = Objects.requireNonNull(name);
    return this;
  }

  String describe() {
    String load = callers > 0 ? "callers=" + callers : String.format(Locale.ROOT, "rate=%s/s", ratePerSecond);
    return name + " policy=" + channel.loadBalancingPolicy() + " instances=" + instances + " seed=" + seed + " "
        + load + (channel.retryMethods().isEmpty() ? "" : " retries=" + channel.retryMaxAttempts())
        + (clients == 1 ? "" : " clients=" + clients)
        + (reconnectJitter == 0.2 ? "" : String.format(Locale.ROOT, " reconnect-jitter=%s", reconnectJitter))
        + " duration=" + duration.toSeconds() + "s";
  }

  public Simulation build() {
    return new Simulation(this);
  }
}
