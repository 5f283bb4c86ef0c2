package org.shakenfist.sfdb.client.internal.health;

import java.time.Duration;

/**
 * How a {@link HealthPollingHelper} polls (every field required: the defaults live in
 * {@code DatabaseChannelConfig} only).
 *
 * @param interval time between the answer to one poll of a READY instance and the next poll
 * @param timeout deadline of one poll
 * @param failures unanswered polls in a row that make an instance unhealthy (an explicit non-SERVING answer
 *     needs just one)
 * @param jitter each wait between polls is drawn from {@code interval x [1 - jitter, 1 + jitter]}, so that many
 *     clients started together (a fleet restarted at once) do not poll an instance in step; in [0, 0.5)
 */
public record PollConfig(Duration interval, Duration timeout, int failures, double jitter) {
  /** The jitter of real channels: +-20 %, as Armeria's health checker. */
  public static final double JITTER = 0.2;

  public PollConfig {
    if (interval.isNegative() || interval.isZero() || timeout.isNegative() || timeout.isZero() || failures < 1
        || !(jitter >= 0 && jitter < 0.5)) {
      throw new IllegalArgumentException("bad poll config " + interval + "/" + timeout + "/" + failures + "/" + jitter);
    }
  }

  /** Without jitter: every wait is exactly {@code interval} (tests that count polls on a fake clock). */
  public PollConfig(Duration interval, Duration timeout, int failures) {
    this(interval, timeout, failures, 0);
  }

  /** The wait before the next poll, for a uniform draw {@code u} in [0, 1). */
  long waitNanos(double u) {
    return (long) (interval.toNanos() * (1 - jitter + 2 * jitter * u));
  }
}
