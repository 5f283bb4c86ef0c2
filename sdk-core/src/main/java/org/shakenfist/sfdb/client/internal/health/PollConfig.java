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
 */
public record PollConfig(Duration interval, Duration timeout, int failures) {
  public PollConfig {
    if (interval.isNegative() || interval.isZero() || timeout.isNegative() || timeout.isZero() || failures < 1) {
      throw new IllegalArgumentException("bad poll config " + interval + "/" + timeout + "/" + failures);
    }
  }
}
