package org.shakenfist.sfdb.client.internal.balance;

import io.grpc.SynchronizationContext;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ejection of one instance: its failed calls in a row and the outcomes of its last {@link #WINDOW} calls (both
 * counted on callers' threads), whether it is out, how often it was, and the timer that brings it back (on the
 * policy's synchronization context).
 */
final class Ejection {
  /** The first time out; each repeat doubles it, at most {@link #MAX_DOUBLINGS} times (160 s). */
  static final long BASE_NANOS = 10_000_000_000L;
  static final int MAX_DOUBLINGS = 4;
  /** Calls in the failure-ratio window. */
  static final int WINDOW = 20;
  /** Failed calls of the window that make an instance a candidate for ejection (50 %). */
  static final int WINDOW_FAILURES = 10;
  /** Calls behind {@link #longRate()}. */
  static final int LONG_CALLS = 200;
  /** Standard deviations above the others' rate that mark an instance's failures as its own. */
  static final double STANDS_OUT = 5;
  private static final long OUTCOMES = (1L << WINDOW) - 1;

  private final AtomicInteger inARow = new AtomicInteger();
  /** The last {@link #WINDOW} calls, 1 = failed, newest lowest. */
  private final AtomicLong window = new AtomicLong();
  /**
   * Failure rate over about the last {@link #LONG_CALLS} calls (an exponentially weighted mean, updated without a
   * lock: a lost update under a race only blurs an estimate): what the other instances' failures are compared with.
   */
  private volatile double longRate;
  /** Calls counted since the last restore, up to LONG_CALLS (the plain mean until then: no early bias). */
  private volatile int longCalls;
  /** Whether the last trigger was failures in a row (else the window's ratio). */
  volatile boolean inARowTrigger;
  boolean out;
  private int times;
  String why;
  SynchronizationContext.ScheduledHandle timer;

  /**
   * Counts a call's outcome; true when this failure makes {@code threshold} in a row, or when the window is full
   * and at least {@link #WINDOW_FAILURES} of its calls failed (then the policy compares with the other instances).
   */
  boolean record(boolean failed, int threshold) {
    long w;
    long next;
    do { // a plain CAS loop: no lambda to allocate on the call path
      w = window.get();
      next = ((w << 1) | (failed ? 1 : 0)) & OUTCOMES;
    } while (!window.compareAndSet(w, next));
    int n = Math.min(LONG_CALLS, longCalls + 1);
    longCalls = n;
    double r = longRate;
    longRate = r + ((failed ? 1 : 0) - r) / n;
    if (!failed) {
      inARow.set(0);
      return false;
    }
    if (inARow.incrementAndGet() == threshold) {
      inARowTrigger = true;
      return true;
    }
    if (n >= WINDOW && Long.bitCount(next) >= WINDOW_FAILURES) {
      inARowTrigger = false;
      return true;
    }
    return false;
  }

  /** Failed calls in the window. */
  int failures() {
    return Long.bitCount(window.get());
  }

  /** Failure rate over about the last {@link #LONG_CALLS} calls. */
  double longRate() {
    return longRate;
  }

  /** Whether {@link #longRate()}, over at least a quarter of {@link #LONG_CALLS} calls, is at least {@code rate}. */
  boolean longRateAbove(double rate) {
    return longCalls >= LONG_CALLS / 4 && longRate >= rate;
  }

  /**
   * Whether {@code failures} of a window stand out against the other instances' failure rate {@code othersRate}
   * (their mean {@link #longRate()}: a window of theirs would be as noisy as this one):
   * at least {@link #STANDS_OUT} standard deviations above what that rate gives over a whole window (calls not
   * yet seen count as successes; the rate is taken as at least 1 %). A dead instance among healthy ones stands out
   * at its 5th failure, one failing 45 % among instances failing 10 % does too; errors spread evenly (say 30 %
   * everywhere) do not, even when one instance fails 5 in a row: 5 deviations, not 3, because the test is made
   * at every failure of a sliding window (at 3, 30 % everywhere ejected an instance within a minute, simulated).
   */
  static boolean standsOut(int failures, double othersRate) {
    double p = Math.max(0.01, othersRate);
    return failures - WINDOW * p >= STANDS_OUT * Math.sqrt(WINDOW * p * (1 - p));
  }

  /** The window's failures, as a reason. */
  String ratioReason() {
    return failures() + " of its last " + Math.min(WINDOW, longCalls) + " calls failed";
  }

  /**
   * Whether one more of {@code serving} instances in the rotation may go, of {@code connected}: never below half.
   */
  static boolean allowed(int serving, int connected) {
    return 2 * (serving - 1) >= connected;
  }

  /** Takes it out for {@code why}; returns for how long. */
  long eject(String why) {
    long nanos = BASE_NANOS << Math.min(times, MAX_DOUBLINGS);
    times++;
    out = true;
    this.why = why;
    return nanos;
  }

  /** Brings it back with a clean count. */
  void restore() {
    timer = null;
    out = false;
    inARow.set(0);
    window.set(0);
    longRate = 0;
    longCalls = 0;
  }

  void cancel() {
    if (timer != null) {
      timer.cancel();
      timer = null;
    }
  }
}
