package org.shakenfist.sfdb.client.internal.channel;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The timer of the SDK's in-process channels: grpc schedules a task for every call's deadline (and cancels it
 * when the call ends). On a {@code ScheduledThreadPoolExecutor} (grpc's default) scheduling into an empty
 * queue wakes the timer thread, once per call. Netty's {@link HashedWheelTimer} only appends to a queue that
 * its thread drains every {@link #TICK}: no wake-up per call, deadlines accurate to one tick (10 ms; grpc
 * deadlines are seconds).
 *
 * <p>One wheel (one daemon thread {@code sfdb-coarse-timer}) serves every open channel; each channel holds
 * a lease ({@link #lease()}), and the thread ends when the last lease is released. Tasks run on the wheel's
 * thread, so they must be short (grpc's are: cancel a call, start a retry, poll a health check).
 */
public final class CoarseTimer {
  static final long TICK_MILLIS = 10;
  /** Granularity of every delay on the wheel. */
  public static final java.time.Duration TICK = java.time.Duration.ofMillis(TICK_MILLIS);

  static final String THREAD_NAME = "sfdb-coarse-timer";

  private static HashedWheelTimer wheel;
  private static int leases;

  private CoarseTimer() {}

  /**
   * A scheduled executor over the shared wheel; {@code shutdown()} releases the lease (and the thread, when
   * it was the last one). Only scheduling is supported: {@code execute} runs on the next tick.
   */
  public static synchronized ScheduledExecutorService lease() {
    if (leases++ == 0) {
      wheel = new HashedWheelTimer(new ThreadFactoryBuilder().setNameFormat(THREAD_NAME)
          .setDaemon(true).build(), TICK_MILLIS, TimeUnit.MILLISECONDS, 512);
      wheel.start();
    }
    return new Lease(wheel);
  }

  /** Leases held now (one per open in-process SDK channel). */
  static synchronized int leases() {
    return leases;
  }

  private static void release(HashedWheelTimer w) {
    synchronized (CoarseTimer.class) {
      if (--leases > 0 || wheel != w) {
        return;
      }
      wheel = null;
    }
    if (THREAD_NAME.equals(Thread.currentThread().getName())) {
      // stop() may not run on the wheel's own thread (it would wait for itself)
      Thread stopper = new Thread(w::stop, THREAD_NAME + "-stop");
      stopper.setDaemon(true);
      stopper.start();
    } else {
      w.stop();
    }
  }

  private static final class Lease extends AbstractExecutorService implements ScheduledExecutorService {
    private final HashedWheelTimer wheel;
    private volatile boolean shutdown;

    Lease(HashedWheelTimer wheel) {
      this.wheel = wheel;
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      return schedule(Executors.callable(command), delay, unit);
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
      WheelTask<V> task = new WheelTask<>(callable, System.nanoTime() + unit.toNanos(delay));
      task.arm(delay, unit);
      return task;
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
      return periodic(command, initialDelay, unit.toNanos(period), true, unit);
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
      return periodic(command, initialDelay, unit.toNanos(delay), false, unit);
    }

    private ScheduledFuture<?> periodic(Runnable command, long initialDelay, long periodNanos, boolean fixedRate,
        TimeUnit unit) {
      if (periodNanos <= 0) {
        throw new IllegalArgumentException("period must be positive: " + periodNanos + " ns");
      }
      WheelTask<Void> task = new WheelTask<>(Executors.callable(command, null),
          System.nanoTime() + unit.toNanos(initialDelay)) {
        @Override
        public void run() {
          if (runAndReset() && !shutdown) {
            due = fixedRate ? due + periodNanos : System.nanoTime() + periodNanos;
            arm(Math.max(0, due - System.nanoTime()), TimeUnit.NANOSECONDS);
          }
        }
      };
      task.arm(initialDelay, unit);
      return task;
    }

    @Override
    public void execute(Runnable command) {
      schedule(command, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public void shutdown() {
      if (!shutdown) {
        synchronized (this) {
          if (!shutdown) {
            shutdown = true;
            release(wheel);
          }
        }
      }
    }

    @Override
    public List<Runnable> shutdownNow() {
      shutdown();
      return List.of();
    }

    @Override
    public boolean isShutdown() {
      return shutdown;
    }

    @Override
    public boolean isTerminated() {
      return shutdown;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return shutdown;
    }

    /** A task on the wheel; cancelling it cancels its wheel entry. */
    private class WheelTask<V> extends FutureTask<V> implements ScheduledFuture<V> {
      volatile long due;
      private volatile Timeout timeout;

      WheelTask(Callable<V> callable, long due) {
        super(callable);
        this.due = due;
      }

      void arm(long delay, TimeUnit unit) {
        if (shutdown) {
          throw new RejectedExecutionException("sfdb coarse timer lease released");
        }
        timeout = wheel.newTimeout(t -> run(), delay, unit);
      }

      @Override
      public boolean cancel(boolean mayInterruptIfRunning) {
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        Timeout t = timeout;
        if (cancelled && t != null) {
          t.cancel();
        }
        return cancelled;
      }

      @Override
      public long getDelay(TimeUnit unit) {
        return unit.convert(due - System.nanoTime(), TimeUnit.NANOSECONDS);
      }

      @Override
      public int compareTo(Delayed other) {
        return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
      }
    }
  }
}
