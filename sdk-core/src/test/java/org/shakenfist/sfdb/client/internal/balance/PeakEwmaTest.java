package org.shakenfist.sfdb.client.internal.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PeakEwmaTest {
  private static final long MS = 1_000_000;
  private static final long DECAY = 10_000 * MS;

  @Test
  void aSlowerSampleIsTakenAtOnceAFasterOneOnlyPullsAndReadingDecays() {
    PeakEwma e = new PeakEwma(DECAY, 0);
    e.observe(2 * MS, true, 0);
    assertEquals(2 * MS, e.cost(0), 1);
    e.observe(3 * MS, true, 1 * MS);
    assertEquals(3 * MS, e.cost(1 * MS), 1, "a peak replaces the estimate at once");
    e.observe(20 * MS, true, 1 * MS);
    assertTrue(e.cost(1 * MS) < 4 * MS, "one sample far above is an outlier: " + e.cost(1 * MS));
    e.observe(20 * MS, true, 1 * MS);
    assertEquals(20 * MS, e.cost(1 * MS), 1, "two in a row: the instance slowed down");
    e.observe(2 * MS, true, 2 * MS);
    assertEquals(20 * MS - 18 * MS * PeakEwma.MIN_PULL, e.cost(2 * MS), 0.01 * MS,
        "a fast sample 1 ms later pulls it by the least pull");
    double before = e.cost(2 * MS);
    assertEquals(before * Math.exp(-1), e.cost(2 * MS + DECAY), 0.01 * MS, "unread and unsampled, it decays");
    for (int i = 0; i < 60; i++) {
      e.observe(2 * MS, true, 3 * MS + DECAY + i * MS);
    }
    assertTrue(e.cost(3 * MS + DECAY + 60 * MS) < 2.5 * MS, "60 fast samples in 60 ms forget a slow spell: "
        + e.cost(3 * MS + DECAY + 60 * MS));
  }

  @Test
  void aFailureCountsAsASlowCallAndANewInstanceStartsAtTheTiersCost() {
    PeakEwma failing = new PeakEwma(DECAY, 0);
    failing.observe(2 * MS, true, 0);
    failing.observe(1 * MS, false, 0);
    failing.observe(1 * MS, false, 0);
    assertEquals(PeakEwma.FAILURE_PENALTY_NANOS, failing.cost(0), 1, "1 ms failures are no fast instance");
    PeakEwma fresh = new PeakEwma(DECAY, 0);
    assertFalse(fresh.sampled());
    fresh.seedIfUnsampled(3 * MS, 0);
    assertEquals(3 * MS, fresh.cost(0), 1);
    fresh.observe(2 * MS, true, 0);
    fresh.seedIfUnsampled(50 * MS, 0);
    assertTrue(fresh.cost(0) < 3 * MS + 1, "a sampled one is not reseeded");
    fresh.reset(0);
    assertFalse(fresh.sampled());
    assertEquals(0, fresh.cost(0));
  }
}
