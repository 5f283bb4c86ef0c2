package org.shakenfist.sfdb.testkit.sim;

import io.grpc.Status;
import java.util.ArrayDeque;
import java.util.SplittableRandom;

/**
 * One simulated gateway instance: a pool of {@link #WORKERS} workers with a queue (the real gateway's
 * {@code ThreadPoolExecutor(max_workers=64)}), a service-time distribution that may change over virtual time,
 * a health status its {@code Health/Check} answers, and faults (down: connections refused and dropped; fast
 * failures; a stalled pool; silent health). Scenarios change it from events; calls reach it from the policy's
 * picks and from health polls.
 */
public final class SimInstance {
  /** The real gateway's worker pool. */
  public static final int WORKERS = 64;

  /** Service time of one call, in virtual nanoseconds, which may depend on the time and a random draw. */
  @FunctionalInterface
  public interface ServiceTime {
    long sampleNanos(long nowNanos, SplittableRandom random);

    /** Always {@code millis}. */
    static ServiceTime constant(double millis) {
      long n = (long) (millis * 1e6);
      return (now, r) -> n;
    }

    /** Lognormal with median {@code medianMillis} and shape {@code sigma} (0.5: p99 about 3.2 x the median). */
    static ServiceTime lognormal(double medianMillis, double sigma) {
      return (now, r) -> {
        // Box-Muller from the simulation's own random source (deterministic)
        double u1 = 1 - r.nextDouble();
        double u2 = r.nextDouble();
        double z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        return (long) (medianMillis * 1e6 * Math.exp(sigma * z));
      };
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
  private boolean healthSilent;
  private boolean stalled;
  private Status failFast;
  private long served;

  SimInstance(String name, Simulation sim, ServiceTime serviceTime) {
    this.name = name;
    this.sim = sim;
    this.serviceTime = serviceTime;
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

  /** What {@code Health/Check} answers (as the real gateway's 10 s MariaDB loop sets it). */
  public void setServing(boolean on) {
    this.serving = on;
  }

  /** Health/Check calls are taken and never answered. */
  public void healthSilent(boolean on) {
    this.healthSilent = on;
  }

  /** Every call fails at once with {@code status} (null: off), as a gateway whose MariaDB is gone. */
  public void failFast(Status status) {
    this.failFast = status;
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

  /** Accepts connections again (a restart: a fresh pool). */
  public void up() {
    up = true;
  }

  /** Drain as the real gateway: NOT_SERVING, then down after {@code graceNanos}. */
  public void drain(long graceNanos) {
    setServing(false);
    sim.clock().at(sim.clock().nanos() + graceNanos, this::down);
  }

  /** Handles a call; {@code done} hears its status when it ends. */
  void handle(Completion done) {
    if (!up) {
      done.complete(Status.UNAVAILABLE.withDescription(name + " is down"));
      return;
    }
    Status failure = failFast;
    if (failure != null) {
      sim.clock().at(sim.clock().nanos() + 1_000_000, () -> finish(done, failure));
      return;
    }
    queue.add(new Job(done));
    startQueued();
  }

  /** Answers a health check after a short service time (the real servicer answers from memory). */
  void check(java.util.function.Consumer<Boolean> answer) {
    if (!up || healthSilent) {
      return; // refused calls fail at the connection; a silent one never answers
    }
    boolean now = serving;
    sim.clock().at(sim.clock().nanos() + 200_000, () -> answer.accept(now));
  }

  private void startQueued() {
    while (!stalled && running.size() < WORKERS && !queue.isEmpty()) {
      Job j = queue.poll();
      running.add(j);
      long t = (long) (serviceTime.sampleNanos(sim.clock().nanos(), sim.random()) * slowdown);
      sim.clock().at(sim.clock().nanos() + Math.max(0, t), () -> {
        if (running.remove(j)) { // not lost to a crash meanwhile
          finish(j.done, Status.OK);
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

    Job(Completion done) {
      this.done = done;
    }
  }
}
