package org.shakenfist.sfdb.client.internal.balance;

/**
 * One instance's latency estimate, Finagle's and Linkerd's peak EWMA: a sample above the estimate replaces it at
 * once (a slowing instance is seen at its first slow answer), one below it pulls it down with weight
 * {@code 1 - exp(-elapsed / decay)}, and reading it decays it towards 0 with the time since the last sample
 * (an instance nobody calls is tried again, eventually). A failed call counts as {@link #FAILURE_PENALTY_NANOS}
 * at least, so an instance that fails fast is not mistaken for a fast one. Thread-safe.
 */
final class PeakEwma {
  /** What a failed call counts as, at least: 100 ms (50 x a 2 ms gateway call). */
  static final long FAILURE_PENALTY_NANOS = 100_000_000L;

  private final double decayNanos;
  private double estimate; // nanoseconds
  private long stamp; // ticker time of the last update
  private boolean sampled;

  PeakEwma(long decayNanos, long now) {
    this.decayNanos = decayNanos;
    this.stamp = now;
  }

  synchronized void observe(long rttNanos, boolean ok, long now) {
    double rtt = ok ? rttNanos : Math.max(rttNanos, FAILURE_PENALTY_NANOS);
    double w = Math.exp(-Math.max(0, now - stamp) / decayNanos);
    estimate = !sampled || rtt > estimate ? rtt : estimate * w + rtt * (1 - w);
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
