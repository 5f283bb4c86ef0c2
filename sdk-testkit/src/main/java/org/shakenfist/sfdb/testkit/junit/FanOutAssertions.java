package org.shakenfist.sfdb.testkit.junit;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.shakenfist.sfdb.testkit.FanOut;
import org.shakenfist.sfdb.testkit.FanOutResult;

/**
 * The fan-out check as a JUnit 5 assertion: aborts the test (an assumption) when fewer than 2 instances are
 * configured, fails with the full report when any instance is below the floor.
 *
 * <pre>{@code
 * import static org.shakenfist.sfdb.testkit.junit.FanOutAssertions.assertFansOut;
 *
 * assertFansOut(FanOut.of(tier));
 * }</pre>
 *
 * <p>Without JUnit, use {@link FanOut#run()} or {@link FanOut#check()}.
 */
public final class FanOutAssertions {
  private FanOutAssertions() {}

  /** Runs {@code check}; returns its result when it passed. */
  public static FanOutResult assertFansOut(FanOut check) {
    FanOutResult r = check.run();
    if (r.skipped()) {
      Assumptions.abort(r.skipReason());
    }
    if (!r.passed()) {
      Assertions.fail(r.report());
    }
    return r;
  }
}
