package org.shakenfist.sfdb.client.internal.balance;

/**
 * One instance's latency estimate, Finagle's and Linkerd's peak EWMA with one guard: a sample above the estimate
 * replaces it at once (a slowing instance is seen at its first slow answers), one below it pulls it down with
 * weight {@code 1 - exp(-elapsed / decay)}, at least {@link #MIN_PULL}, and reading it decays it towards 0 with the time since the last
 * sample (an instance nobody calls is tried again, eventually). The guard: a sample more than
 * {@link #OUTLIER_RATIO} times the estimate replaces it only when the one before was such a sample too; alone it
 * is an outlier (a JIT-cold first call, a client GC pause) and only pulls the estimate up as a fast sample would
 * pull it down. Without it, one 5 ms stall locked a 50 us in-process instance out of the rotation for the ~40 s
 * its estimate took to decay. A failed call counts as {@link #FAILURE_PENALTY_NANOS} at least, so an instance
 * that fails fast is not mistaken for a fast one. Thread-safe.
 */
final class PeakEwma {
  /** What a failed call counts as, at least: 100 ms (50 x a 2 ms gateway call). */
  static final long FAILURE_PENALTY_NANOS = 100_000_000L;
  /** A sample this many times the estimate (or the floor) is a peak only when the previous sample was one too. */
  static final double OUTLIER_RATIO = 2.0;
  /**
   * Costs below this count as equal (peak_ewma compares {@code max(estimate x (calls in flight + 1), floor)}):
   * below a few milliseconds differences are noise (a JIT-cold call, a GC pause, the GIL), not a slow gateway instance, which
   * is many times it (a 10x slower 2 ms call: 20 ms).
   */
  static final double FLOOR_NANOS = 5_000_000;
  /**
   * A sample below the estimate pulls it at least this far towards itself, however soon after the last one: a
   * busy instance's one slow answer (a GC pause, a scheduling delay) is forgotten within a few dozen calls instead
   * of the decay's seconds, in which a really slow instance would look no worse and get calls again. Time still
   * decays an estimate nobody samples (the probe of an instance out of favour).
   */
  static final double MIN_PULL = 1.0 / 16;

  private final double decayNanos;
  private double estimate; // nanoseconds
  private long stamp; // ticker time of the last update
  private boolean sampled;
  private boolean lastWasFar; // the previous sample was more than OUTLIER_RATIO x the estimate

  PeakEwma(long decayNanos, long now) {
    this.decayNanos = decayNanos;
    this.stamp = now;
  }

  synchronized void observe(long rttNanos, boolean ok, long now) {
    double rtt = ok ? rttNanos : Math.max(rttNanos, FAILURE_PENALTY_NANOS);
    double w = Math.exp(-Math.max(0, now - stamp) / decayNanos);
    // far above what is known (the floor, before any sample): an outlier unless the one before was far too; so a
    // channel's first, JIT-cold call does not lock its instance out
    boolean far = rtt > OUTLIER_RATIO * Math.max(estimate, FLOOR_NANOS);
    if ((!sampled || rtt > estimate) && (!far || lastWasFar)) {
      estimate = rtt; // a peak (two far samples in a row count: the instance really slowed down)
    } else {
      double pull = rtt < estimate ? Math.max(1 - w, MIN_PULL) : 1 - w;
      estimate = estimate * (1 - pull) + rtt * pull;
    }
    lastWasFar = far;
    sampled = true;
    stamp = now;
  }

  /** The estimate now, decayed for the time since the last sample. */
  synchronized double cost(long now) {
    decay(now);
    return estimate;
  }

  /** A new or returning instance starts at the tier's typical cost, not 0 (which would draw every call to it). */
  synchronized void seedIfUnsampled(double typical, long now) {
    if (!sampled && typical > 0) {
      estimate = typical;
      stamp = now;
    }
  }

  synchronized boolean sampled() {
    return sampled;
  }

  /** Forgets the samples (the instance reconnected: its old latency no longer says anything). */
  synchronized void reset(long now) {
    sampled = false;
    lastWasFar = false;
    estimate = 0;
    stamp = now;
  }

  /** Reading is observing 0 (as Finagle's): the estimate decays towards 0 with the time since it last moved. */
  private void decay(long now) {
    long elapsed = now - stamp;
    if (elapsed > 0) {
      estimate *= Math.exp(-elapsed / decayNanos);
      stamp = now;
    }
  }
}
