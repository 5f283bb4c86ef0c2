package org.shakenfist.sfdb.client.internal.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.testsupport.ManualClock;

/** The reconnect cap's resets: a random first phase, then jittered waits, until cancelled (manual clock). */
class ReconnectCapTest {
  private static final long CAP = Duration.ofSeconds(5).toNanos();

  @Test
  void theFirstResetComesAtARandomPointOfTheFirstCapAndEachNextOneAfterCapPlusMinusTwentyPercent() {
    ManualClock clock = new ManualClock();
    List<Long> resets = new ArrayList<>();
    // draws: the first phase at 0.5, then the lowest and the highest wait
    ArrayDeque<Double> draws = new ArrayDeque<>(List.of(0.5, 0.0, 0.999999, 0.5));
    Future<?> cap = ReconnectCap.start(clock, CAP, () -> resets.add(clock.nanos()), draws::poll);
    clock.advance(Duration.ofMillis(2_499));
    assertEquals(List.of(), resets, "not before its phase");
    clock.advance(Duration.ofMillis(1));
    assertEquals(List.of(2_500_000_000L), resets, "at half the cap: the draw 0.5");
    clock.advance(Duration.ofSeconds(4)); // the lowest draw: 0.8 x 5 s
    assertEquals(6_500_000_000L, resets.get(1));
    clock.advance(Duration.ofSeconds(6)); // the highest: just under 1.2 x 5 s
    assertEquals(2, resets.size() - 1);
    assertTrue(resets.get(2) - resets.get(1) > 5_999_000_000L && resets.get(2) - resets.get(1) < 6_000_000_000L,
        resets.toString());
    cap.cancel(false);
    assertEquals(0, clock.pending(), "cancelling stops the chain and frees the timer");
    clock.advance(Duration.ofSeconds(30));
    assertEquals(3, resets.size());
  }

  @Test
  void theFirstPhaseSpansTheWholeCapAndLaterWaitsPlusMinusTwentyPercent() {
    assertEquals(0, ReconnectCap.delayNanos(CAP, true, 0.0));
    assertEquals(CAP / 2, ReconnectCap.delayNanos(CAP, true, 0.5));
    assertEquals((long) (CAP * 0.8), ReconnectCap.delayNanos(CAP, false, 0.0));
    assertEquals((long) (CAP * 1.2), ReconnectCap.delayNanos(CAP, false, 1.0));
  }
}
