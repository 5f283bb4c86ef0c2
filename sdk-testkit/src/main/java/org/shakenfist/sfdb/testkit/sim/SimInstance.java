package org.shakenfist.sfdb.testkit.sim;

import io.grpc.Status;
import java.util.ArrayDeque;
import java.util.SplittableRandom;

/**
 * One simulated gateway instance: a pool of {@link #WORKERS} workers with a queue (the real gateway's
 * {@code ThreadPoolExecutor(max_workers=64)}) that serves both database calls and {@code Health/Check}, a
 * service-time distribution that may change over virtual time, a health status set by a 10 s loop from whether
 * its database answers (or at once, by a drain), and faults (down: connections refused and dropped; fast
 * failures; OK-but-empty answers; a stalled pool; silent health; a cold start). Scenarios change it from events; calls reach it from the policy's
 * picks and from health polls.
 */
public final class SimInstance {
  /** The real gateway's worker pool. */
  public static final int WORKERS = 64;
  /** The real gateway's health loop: every 10 s it sets SERVING when MariaDB answers, NOT_SERVING when not. */
  public static final long HEALTH_LOOP_NANOS = 10_000_000_000L;
  /** What a Health/Check costs a worker (the real servicer answers from memory). */
  static final long HEALTH_CHECK_NANOS = 200_000;
  /** What an OK-but-empty reply costs (the real gateway hides many read errors so, at once). */
  static final long SILENT_FAILURE_NANOS = 500_000;

  /** Service time of one call, in virtual nanoseconds, which may depend on the time and a random draw. */
  @FunctionalInterface
  public interface ServiceTime {
    long sampleNanos(long nowNanos, SplittableRandom random);

    /** Always {@code millis}. */
    static ServiceTime constant(double millis) {
      long n = (long) (millis * 1e6);
      return (now, r) -> n;
    }

    /**
     * Replays {@code latenciesMillis} in turn (the sequence repeats); see {@link #replay(java.nio.file.Path)} for a
     * file of measured latencies.
     */
    static ServiceTime replay(double... latenciesMillis) {
      return ServiceTimes.replay(latenciesMillis);
    }

    /**
     * Replays the latencies of a file, one number of milliseconds per line ({@code #} comments and blank lines
     * skipped), e.g. a gateway's measured service times.
     *
     * @throws IllegalArgumentException naming the file and line of a bad number
     */
    static ServiceTime replay(java.nio.file.Path file) throws java.io.IOException {
      return ServiceTimes.replay(file);
    }

    /** Lognormal with median {@code medianMillis} and shape {@code sigma} (0.5: p99 about 3.2 x the median). */
    static ServiceTime lognormal(double medianMillis, double sigma) {
      return ServiceTimes.lognormal(medianMillis, sigma);
    }
  }

  private final String name;
  private final Simulation sim;
  private final ArrayDeque<Job> queue = new ArrayDeque<>();
  private final java.util.Set<Job> running = new java.util.LinkedHashSet<>();
  private ServiceTime serviceTime;
  private double slowdown = 1;
  private boolean up = true;
  private boolean serving = true;
  private boolean databaseReachable = true;
  private boolean flapping;
  private boolean draining;
  private final long healthPhase;
  private boolean healthSilent;
  private boolean silentFailures;
  private double warmUpFactor = 1;
  private long warmUpFrom;
  private long warmUpNanos;
  private boolean stalled;
  private Status failFast;
  private double failFraction;
  private Status failSome;
  private long served;

  SimInstance(String name, Simulation sim, ServiceTime serviceTime, long healthPhase) {
    this.name = name;
    this.sim = sim;
    this.serviceTime = serviceTime;
    this.healthPhase = healthPhase;
  }

  /** The instance's own 10 s health loop, at its own phase (drawn from the seed), as the real gateway's. */
  void startHealthLoop() {
    sim.clock().at(healthPhase, this::healthTick);
  }

  private void healthTick() {
    if (flapping) {
      databaseReachable = !databaseReachable;
    }
    if (!draining) {
      serving = databaseReachable;
    }
    sim.clock().at(sim.clock().nanos() + HEALTH_LOOP_NANOS, this::healthTick);
  }

  public String name() {
    return name;
  }

  /** Calls it completed (OK or not). */
  public long served() {
    return served;
  }

  public boolean isUp() {
    return up;
  }

  public boolean isServing() {
    return serving;
  }

  /** Every later call takes {@code factor} times its sampled service time (1: normal). */
  public void slowdown(double factor) {
    this.slowdown = factor;
  }

  public void serviceTime(ServiceTime t) {
    this.serviceTime = t;
  }

  /**
   * What {@code Health/Check} answers from now on, at once, and what the health loop keeps answering (as if its
   * database check now said so); {@link #databaseReachable} is the delayed, realistic way.
   */
  public void setServing(boolean on) {
    this.serving = on;
    this.databaseReachable = on;
  }

  /**
   * Whether MariaDB answers this instance: its health loop turns that into SERVING or NOT_SERVING at its next
   * round (within 10 s), as the real gateway does. Calls are still served meanwhile (see
   * {@link #silentFailures}).
   */
  public void databaseReachable(boolean on) {
    this.databaseReachable = on;
  }

  /**
   * While on, each round of the health loop finds the database the other way than the round before (reachable,
   * then not, then reachable...): the instance's health flaps every 10 s. Off: it stays as the last round found.
   */
  public void flapDatabase(boolean on) {
    this.flapping = on;
    if (!on) {
      databaseReachable = true;
    }
  }

  /**
   * Every call is answered OK at once but empty, as the real gateway answers many reads when MariaDB fails
   * (37 handlers): passive signals see a fast, healthy instance.
   */
  public void silentFailures(boolean on) {
    this.silentFailures = on;
  }

  /**
   * A cold start: calls are {@code factor} times slower at once, recovering linearly to normal over {@code
   * overNanos} (caches, connection pools and the interpreter warming up after a restart).
   */
  public void warmUp(double factor, long overNanos) {
    this.warmUpFactor = factor;
    this.warmUpFrom = sim.clock().nanos();
    this.warmUpNanos = overNanos;
  }

  private double currentSlowdown() {
    long since = sim.clock().nanos() - warmUpFrom;
    double warm = warmUpFactor <= 1 || since >= warmUpNanos ? 1
        : warmUpFactor - (warmUpFactor - 1) * since / (double) warmUpNanos;
    return slowdown * warm;
  }

  /** Health/Check calls are taken and never answered. */
  public void healthSilent(boolean on) {
    this.healthSilent = on;
  }

  /** Every call fails at once with {@code status} (null: off), as a gateway whose MariaDB is gone. */
  public void failFast(Status status) {
    this.failFast = status;
  }

  /**
   * A {@code fraction} of the calls, drawn at random, fail at once with {@code status} (0: off), as errors spread
   * evenly over a tier (a shared cause: the database, the network) would.
   */
  public void failSome(double fraction, Status status) {
    this.failFraction = fraction;
    this.failSome = status;
  }

  /** The worker pool stops taking calls off its queue (on) and resumes (off). */
  public void stall(boolean on) {
    this.stalled = on;
    if (!on) {
      startQueued();
    }
  }

  /** Hard down: connections are dropped and new ones refused; queued and running calls fail UNAVAILABLE. */
  public void down() {
    up = false;
    Status lost = Status.UNAVAILABLE.withDescription(name + " is down");
    java.util.List<Job> failing = new java.util.ArrayList<>(running);
    failing.addAll(queue);
    running.clear();
    queue.clear();
    failing.forEach(j -> j.done.complete(lost));
    sim.connectionsDropped(this);
  }

  /** Accepts connections again (a restart: a fresh pool; SERVING once its database answers). */
  public void up() {
    up = true;
    draining = false;
    serving = databaseReachable;
  }

  /**
   * Drain as the real gateway on SIGTERM: NOT_SERVING at once, new calls still served during the grace (grpc's
   * {@code stop(grace)} refuses only new connections' calls), then down after {@code graceNanos}.
   */
  public void drain(long graceNanos) {
    draining = true;
    serving = false;
    sim.clock().at(sim.clock().nanos() + graceNanos, this::down);
  }

  /** Handles a call; {@code done} hears its status when it ends. */
  void handle(Completion done) {
    if (!up) {
      done.complete(Status.UNAVAILABLE.withDescription(name + " is down"));
      return;
    }
    Status failure = failFast != null ? failFast
        : failFraction > 0 && sim.random().nextDouble() < failFraction ? failSome : null;
    if (failure != null) {
      sim.clock().at(sim.clock().nanos() + 1_000_000, () -> finish(done, failure));
      return;
    }
    queue.add(new Job(done, silentFailures ? Kind.SILENT : Kind.CALL));
    startQueued();
  }

  /**
   * Answers a health check with what the status is when a worker takes it: the real servicer runs in the same
   * 64-worker pool as the database calls, so a stalled or saturated pool delays (or never sends) the answer.
   */
  void check(java.util.function.Consumer<Boolean> answer) {
    if (!up || healthSilent) {
      return; // refused calls fail at the connection; a silent one never answers
    }
    sim.recorder().healthCheck(sim.indexOf(this), sim.clock().nanos());
    queue.add(new Job(status -> {
      if (status.isOk()) {
        answer.accept(serving);
      }
    }, Kind.HEALTH));
    startQueued();
  }

  private void startQueued() {
    while (!stalled && running.size() < WORKERS && !queue.isEmpty()) {
      Job j = queue.poll();
      running.add(j);
      long t = switch (j.kind) {
        case HEALTH -> HEALTH_CHECK_NANOS;
        case SILENT -> SILENT_FAILURE_NANOS;
        case CALL -> (long) (serviceTime.sampleNanos(sim.clock().nanos(), sim.random()) * currentSlowdown());
      };
      sim.clock().at(sim.clock().nanos() + Math.max(0, t), () -> {
        if (running.remove(j)) { // not lost to a crash meanwhile
          if (j.kind == Kind.HEALTH) {
            j.done.complete(Status.OK);
          } else {
            finish(j.done, j.kind == Kind.SILENT ? SimResult.SILENT : Status.OK);
          }
          startQueued();
        }
      });
    }
  }

  private void finish(Completion done, Status status) {
    served++;
    done.complete(status);
  }

  /** Told once when a call ends. */
  @FunctionalInterface
  interface Completion {
    void complete(Status status);
  }

  /** A call in the pool (identity matters: two jobs are never equal). */
  private static final class Job {
    final Completion done;
    final Kind kind;

    Job(Completion done, Kind kind) {
      this.done = done;
      this.kind = kind;
    }
  }

  /** What a worker does with a job: serve a call, answer one OK-but-empty, or answer a health check. */
  private enum Kind {
    CALL, SILENT, HEALTH
  }
}
