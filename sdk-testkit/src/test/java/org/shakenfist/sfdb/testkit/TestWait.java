package org.shakenfist.sfdb.testkit;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** The testkit tests' one way to wait for a condition (Awaitility, polled every 5 ms). */
final class TestWait {
  private TestWait() {}

  static void until(BooleanSupplier condition, Duration timeout, String what) {
    await(what).atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
        .until(condition::getAsBoolean);
  }
}
