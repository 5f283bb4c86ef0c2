package org.shakenfist.sfdb.client.internal.balance;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleSupplier;

/**
 * The SDK's cap on grpc's reconnect backoff (grpc-java's grows 1 s x1.6 up to 120 s and has no public setting):
 * the channel's {@code resetConnectBackoff()} (instances in TRANSIENT_FAILURE reconnect at once) runs about every
 * cap. Not at a fixed rate from the channel's start: daemons restarted together (a deploy) would then reconnect
 * to a restarted gateway in step, every one of them in the same millisecond. The first reset comes at a random
 * point of the first cap, each next one after cap x [1 - {@link #JITTER}, 1 + {@link #JITTER}].
 */
public final class ReconnectCap {
  /** The spread of each wait between resets: +-20 %, as grpc's own backoff jitter. */
  public static final double JITTER = 0.2;

  private ReconnectCap() {}

  /** The wait before a reset, for a uniform draw {@code u} in [0, 1): the first one's, or any later one's. */
  public static long delayNanos(long capNanos, boolean first, double u) {
    return first ? (long) (capNanos * u) : (long) (capNanos * (1 - JITTER + 2 * JITTER * u));
  }

  /** Runs {@code reset} on {@code timer} as above until the returned future is cancelled. */
  public static Future<?> start(ScheduledExecutorService timer, long capNanos, Runnable reset) {
    return start(timer, capNanos, reset, () -> ThreadLocalRandom.current().nextDouble());
  }

  static Future<?> start(ScheduledExecutorService timer, long capNanos, Runnable reset, DoubleSupplier random) {
    CompletableFuture<Void> handle = new CompletableFuture<>();
    AtomicReference<ScheduledFuture<?>> next = new AtomicReference<>();
    Runnable[] tick = new Runnable[1];
    tick[0] = () -> {
      if (handle.isDone()) {
        return;
      }
      reset.run();
      next.set(timer.schedule(tick[0], delayNanos(capNanos, false, random.getAsDouble()), TimeUnit.NANOSECONDS));
    };
    next.set(timer.schedule(tick[0], delayNanos(capNanos, true, random.getAsDouble()), TimeUnit.NANOSECONDS));
    handle.whenComplete((v, e) -> {
      ScheduledFuture<?> pending = next.get();
      if (pending != null) {
        pending.cancel(false);
      }
    });
    return handle;
  }
}
