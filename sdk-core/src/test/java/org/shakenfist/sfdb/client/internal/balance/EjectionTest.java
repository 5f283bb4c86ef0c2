package org.shakenfist.sfdb.client.internal.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** One instance's ejection triggers: failures in a row, the window's ratio, and when its failures stand out. */
class EjectionTest {
  @Test
  void fiveInARowTriggersAndASuccessResetsTheRun() {
    Ejection e = new Ejection();
    for (int i = 0; i < 4; i++) {
      assertFalse(e.record(true, 5));
    }
    assertFalse(e.record(false, 5));
    for (int i = 0; i < 4; i++) {
      assertFalse(e.record(true, 5));
    }
    assertTrue(e.record(true, 5));
    assertTrue(e.inARowTrigger);
    assertEquals(9, e.failures(), "the window holds the last 10 outcomes, 9 failed");
  }

  @Test
  void aFullWindowHalfFailedTriggersWithoutARun() {
    Ejection e = new Ejection();
    boolean triggered = false;
    for (int i = 0; i < 40 && !triggered; i++) {
      triggered = e.record(i % 2 == 0, 5); // every other call fails: never 2 in a row
      if (i < 19) {
        assertFalse(triggered, "not before the window is full: call " + i);
      }
    }
    assertTrue(triggered);
    assertFalse(e.inARowTrigger);
    assertEquals(Ejection.WINDOW_FAILURES, e.failures());
    e.restore();
    assertEquals(0, e.failures());
    assertFalse(e.longRateAbove(0));
  }

  @Test
  void failuresStandOutOnlyWellAboveTheOthersRate() {
    assertTrue(Ejection.standsOut(5, 0), "a dead instance among healthy ones, at its 5th failure");
    assertTrue(Ejection.standsOut(9, 0.10), "45 % among instances failing 10 %");
    assertFalse(Ejection.standsOut(6, 0.10), "30 % among 10 %: not enough");
    assertFalse(Ejection.standsOut(11, 0.30), "5 in a row within 30 % everywhere");
    assertFalse(Ejection.standsOut(20, 0.60), "60 % everywhere: never");
  }

  @Test
  void theLongRateIsThePlainMeanUntilItHasEnoughCalls() {
    Ejection e = new Ejection();
    for (int i = 0; i < 49; i++) {
      e.record(i % 4 == 0, 5);
    }
    assertFalse(e.longRateAbove(0.1), "49 calls are not enough");
    e.record(false, 5);
    assertTrue(e.longRateAbove(0.25) && !e.longRateAbove(0.27), "13 of 50: " + e.longRate());
  }
}
