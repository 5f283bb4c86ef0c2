package org.shakenfist.sfdb.client.internal.balance;

import io.grpc.SynchronizationContext;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ejection of one instance: its failed calls in a row (counted on callers' threads), whether it is out, how often
 * it was, and the timer that brings it back (on the policy's synchronization context).
 */
final class Ejection {
  /** The first time out; each repeat doubles it, at most {@link #MAX_DOUBLINGS} times (160 s). */
  static final long BASE_NANOS = 10_000_000_000L;
  static final int MAX_DOUBLINGS = 4;

  private final AtomicInteger inARow = new AtomicInteger();
  boolean out;
  private int times;
  SynchronizationContext.ScheduledHandle timer;

  /** Counts a call's outcome; true exactly when this failure makes {@code threshold} in a row. */
  boolean record(boolean failed, int threshold) {
    if (!failed) {
      inARow.set(0);
      return false;
    }
    return inARow.incrementAndGet() == threshold;
  }

  /**
   * Whether one more of {@code serving} instances in the rotation may go, of {@code connected}: never below half.
   */
  static boolean allowed(int serving, int connected) {
    return 2 * (serving - 1) >= connected;
  }

  /** Takes it out; returns for how long. */
  long eject() {
    long nanos = BASE_NANOS << Math.min(times, MAX_DOUBLINGS);
    times++;
    out = true;
    return nanos;
  }

  /** Brings it back with a clean count. */
  void restore() {
    timer = null;
    out = false;
    inARow.set(0);
  }

  void cancel() {
    if (timer != null) {
      timer.cancel();
      timer = null;
    }
  }
}
