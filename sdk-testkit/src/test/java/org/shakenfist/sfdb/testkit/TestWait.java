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

  /** Makes {@code call} until 10 in a row did not reach {@code instance}: the channel stopped picking it. */
  static void untilNotPicked(FakeDatabaseInstance instance, Runnable call) {
    long[] streak = {0};
    until(() -> {
      long seen = instance.requestCount();
      call.run();
      streak[0] = instance.requestCount() == seen ? streak[0] + 1 : 0;
      return streak[0] >= 10;
    }, Duration.ofSeconds(20), "the channel stopped picking " + instance.name());
  }

  /** Makes {@code call} until {@code instance} has served a call since this began (it gets traffic again). */
  static void untilServed(FakeDatabaseInstance instance, Runnable call, Duration timeout) {
    long start = instance.requestCount();
    until(() -> {
      call.run();
      return instance.requestCount() > start;
    }, timeout, instance.name() + " gets traffic again");
  }
}
