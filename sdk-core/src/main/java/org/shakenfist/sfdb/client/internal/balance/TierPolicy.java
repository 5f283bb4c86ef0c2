package org.shakenfist.sfdb.client.internal.balance;

import io.grpc.LoadBalancer;
import io.grpc.NameResolver;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.time.Duration;
import java.util.function.IntUnaryOperator;
import java.util.function.LongSupplier;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.HealthCheckMode;
import org.shakenfist.sfdb.client.internal.health.PollConfig;
import org.shakenfist.sfdb.client.internal.health.SharedHealthPolls;

/**
 * What the tier policy of one channel does, handed to it as a typed object (not through the service config's
 * JSON map): the channel sets it as a name-resolver argument ({@link #KEY}) and the policy reads it from
 * {@code Helper.getNameResolverArgs()}.
 *
 * @param health how instances are health-checked
 * @param poll poll settings (used with {@link HealthCheckMode#POLL})
 * @param pick how an instance is chosen among those in the rotation
 * @param states the channel's endpoint view to report to, or null
 * @param random {@code bound -> [0, bound)}: the policy's one random source (round_robin's start, the two
 *     choices); a seeded one makes the policy deterministic
 * @param ticker nanoseconds, for latency estimates ({@code System::nanoTime}; a simulation's virtual clock)
 * @param ewmaDecay how fast {@link Pick#PEAK_EWMA}'s latency estimates forget
 * @param slowStart how long an instance that joins a serving rotation ramps up ({@link Duration#ZERO}: off)
 * @param ejectAfter failed calls in a row that eject an instance (0: no ejection)
 * @param panicThreshold percent of the instances: with fewer in the rotation, those out only by ejection or by
 *     unanswered polls take calls again (0: only when none is in)
 * @param polls the scope whose health poll loops the channel joins ({@link SharedHealthPolls#PROCESS} for real
 *     channels: one poll per instance for the whole process), or null for polls of the channel's own
 */
public record TierPolicy(HealthCheckMode health, PollConfig poll, Pick pick, EndpointStates states,
    IntUnaryOperator random, LongSupplier ticker, Duration ewmaDecay, Duration slowStart, int ejectAfter,
    int panicThreshold, SharedHealthPolls polls) {
  /** Name-resolver argument key under which a channel carries its policy. */
  public static final NameResolver.Args.Key<TierPolicy> KEY = NameResolver.Args.Key.create("sfdb-tier-policy");
  /** The process-wide random source of real channels. */
  public static final IntUnaryOperator THREAD_LOCAL_RANDOM = bound -> ThreadLocalRandom.current().nextInt(bound);

  public TierPolicy {
    Objects.requireNonNull(health, "health");
    Objects.requireNonNull(poll, "poll");
    Objects.requireNonNull(pick, "pick");
    Objects.requireNonNull(random, "random");
    Objects.requireNonNull(ticker, "ticker");
    Objects.requireNonNull(ewmaDecay, "ewmaDecay");
    Objects.requireNonNull(slowStart, "slowStart");
    if (panicThreshold < 0 || panicThreshold > 100) {
      throw new IllegalArgumentException("panicThreshold " + panicThreshold + ": not in 0..100");
    }
  }

  /** With the system's ticker, the default 10 s decay and no slow start. */
  public TierPolicy(HealthCheckMode health, PollConfig poll, Pick pick, EndpointStates states, IntUnaryOperator random) {
    this(health, poll, pick, states, random, System::nanoTime, Duration.ofSeconds(10), Duration.ZERO, 0, 0, null);
  }

  /** With no ejection and no panic threshold. */
  public TierPolicy(HealthCheckMode health, PollConfig poll, Pick pick, EndpointStates states, IntUnaryOperator random,
      LongSupplier ticker, Duration ewmaDecay, Duration slowStart) {
    this(health, poll, pick, states, random, ticker, ewmaDecay, slowStart, 0, 0, null);
  }

  /** Polls of the channel's own, no panic threshold. */
  public TierPolicy(HealthCheckMode health, PollConfig poll, Pick pick, EndpointStates states, IntUnaryOperator random,
      LongSupplier ticker, Duration ewmaDecay, Duration slowStart, int ejectAfter) {
    this(health, poll, pick, states, random, ticker, ewmaDecay, slowStart, ejectAfter, 0, null);
  }

  /**
   * The same policy with another random source, ticker and poll scope (a simulation's: {@code polls} one per
   * simulated process).
   */
  public TierPolicy with(IntUnaryOperator random, LongSupplier ticker, SharedHealthPolls polls) {
    return new TierPolicy(health, poll, pick, states, random, ticker, ewmaDecay, slowStart, ejectAfter,
        panicThreshold, polls);
  }

  /** The policy of a channel built from {@code config}, reporting to {@code states} (may be null). */
  public static TierPolicy of(DatabaseChannelConfig config, EndpointStates states) {
    return new TierPolicy(config.healthCheck(), new PollConfig(config.healthPollInterval(),
        config.healthPollTimeout(), config.healthPollFailures(), PollConfig.JITTER),
        Pick.named(config.loadBalancingPolicy()).orElseThrow(), states, THREAD_LOCAL_RANDOM, System::nanoTime,
        config.ewmaDecay(), config.slowStartWindow(), config.ejectAfterFailures(), config.panicThreshold(),
        SharedHealthPolls.PROCESS);
  }

  /**
   * The policy the channel behind {@code helper} carries, or the SDK's defaults for a plain grpc channel on an
   * {@code sfdb:} target (no endpoint view).
   */
  static TierPolicy of(LoadBalancer.Helper helper) {
    TierPolicy p = null;
    try {
      p = helper.getNameResolverArgs().getArg(KEY);
    } catch (UnsupportedOperationException e) {
      // a helper that does not carry the channel's arguments
    }
    return p != null ? p : of(DatabaseChannelConfig.builder().hosts("localhost").build(), null);
  }
}
