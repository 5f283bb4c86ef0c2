package org.shakenfist.sfdb.client.internal.balance;

/**
 * Slow start of one instance: when it entered the rotation and over how long it ramps from weight 0.1 to 1.
 * Written on the policy's synchronization context before a picker that reads it is published.
 */
final class Ramp {
  private boolean everIn;
  private long enteredAt;
  private long rampNanos; // 0: no ramp since it entered

  /** It entered the rotation at {@code now}, ramping up over {@code rampNanos} (0: at once). */
  void enter(long now, long rampNanos) {
    this.everIn = true;
    this.enteredAt = now;
    this.rampNanos = rampNanos;
  }

  /** Whether it was ever in the rotation (a rejoining instance ramps even among a channel's first). */
  boolean everIn() {
    return everIn;
  }

  /** When its ramp ends ({@code Long.MIN_VALUE}: no ramp). */
  long until() {
    return rampNanos == 0 ? Long.MIN_VALUE : enteredAt + rampNanos;
  }

  /** Its weight now, relative to a full instance: from 0.1 at entry to 1 at the end of its ramp. */
  double weight(long now) {
    long since = now - enteredAt;
    return rampNanos == 0 || since >= rampNanos ? 1 : 0.1 + 0.9 * Math.max(0, since) / rampNanos;
  }
}
