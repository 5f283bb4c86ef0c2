package org.shakenfist.sfdb.client.internal.channel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;

/**
 * The timer of the SDK's in-process channels. grpc schedules a task for every call's deadline and cancels it
 * when the call ends, which is nearly always long before the deadline. On a {@code ScheduledThreadPoolExecutor}
 * (grpc's default) each schedule into an empty queue wakes the timer thread, once per call (~0.4 us on the
 * caller, more on the other core); on Netty's {@code HashedWheelTimer} a schedule and a cancel are two queue
 * offers and two atomic counter updates (~0.12 us). Here a schedule is one object, one atomic add and one write
 * into a batch of slots that the timer thread takes whole every {@link #TICK}, and a cancel is one CAS of the task's
 * state and one of its slot: a task cancelled before the next tick is passed over unread; one that lives longer waits in its wheel slot and is dropped when the
 * slot comes round (at most one turn of the wheel, 5.12 s, later). Deadlines fire within one tick (10 ms) after
 * they are due, never before; grpc's deadlines are seconds.
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
  private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS);
  private static final int SLOTS = 512; // one turn: 5.12 s

  private static Wheel wheel;
  private static int leases;

  private CoarseTimer() {}

  /**
   * A scheduled executor over the shared wheel; {@code shutdown()} releases the lease (and the thread, when
   * it was the last one). {@code execute} runs the task on the next tick.
   */
  public static synchronized ScheduledExecutorService lease() {
    if (leases++ == 0) {
      wheel = new Wheel();
    }
    return new Lease(wheel);
  }

  /** Leases held now (one per open in-process SDK channel). */
  static synchronized int leases() {
    return leases;
  }

  private static void release(Wheel w) {
    synchronized (CoarseTimer.class) {
      if (--leases > 0 || wheel != w) {
        return;
      }
      wheel = null;
    }
    w.stop();
  }

  /**
   * Tasks added since the wheel last looked, one slot each in the order they came. A cancel clears its task's slot,
   * so the wheel passes over a task cancelled before the next tick without reading it: the wheel's thread reads one
   * array in order, not one object per call (following a stack linked through the tasks cost that thread ~90 ns of
   * cache misses per call, on the callers' CPU when they share one).
   */
  static final class Batch {
    final WheelTask<?>[] slots;
    /** Slots handed out; it passes the length when the batch is full. */
    volatile int claimed;
    /** Set by the wheel before it reads the slots: a task written after that is taken back by its adder. */
    volatile boolean sealed;
    /** The full batch this one replaced before the wheel took it, or null. */
    final Batch older;

    Batch(int capacity, Batch older) {
      this.slots = new WheelTask<?>[capacity];
      this.older = older;
    }

    /** Clears slot {@code index} if it still holds {@code t}; true when it did. */
    boolean clear(int index, WheelTask<?> t) {
      return SLOT.compareAndSet(slots, index, t, null);
    }
  }

  private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(WheelTask[].class);
  private static final VarHandle CLAIMED;
  private static final VarHandle CURRENT;

  static {
    try {
      CLAIMED = MethodHandles.lookup().findVarHandle(Batch.class, "claimed", int.class);
      CURRENT = MethodHandles.lookup().findVarHandle(Wheel.class, "current", Batch.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  static final int MIN_BATCH = 16;
  static final int MAX_BATCH = 4096;

  /** The wheel and its thread: slots of tasks by due tick, fed from batches of new tasks. */
  static final class Wheel implements Runnable {
    private volatile Batch current = new Batch(MIN_BATCH, null);
    private final WheelTask<?>[] slots = new WheelTask<?>[SLOTS]; // each a list linked through Task.next; the wheel thread's own
    private final long origin = System.nanoTime();
    private final Thread thread;
    private volatile boolean stopped;
    private long tick; // ticks processed; the wheel thread's own
    private int lastSeen; // tasks in the last batches taken; the wheel thread's own

    Wheel() {
      thread = new Thread(this, THREAD_NAME);
      thread.setDaemon(true);
      thread.start();
    }

    void add(WheelTask<?> t) {
      for (;;) {
        Batch b = current;
        int i = (int) CLAIMED.getAndAdd(b, 1);
        if (i >= b.slots.length) { // full: a bigger one takes its place (whoever replaces it first)
          CURRENT.compareAndSet(this, b, new Batch(Math.min(b.slots.length * 2, MAX_BATCH), b));
          continue;
        }
        t.batch = b;
        t.index = i;
        SLOT.setVolatile(b.slots, i, t);
        // the wheel seals a batch before it reads it: either it sees this slot, or this sees the seal (or both)
        if (!b.sealed || !b.clear(i, t)) {
          return; // the wheel will take it, or took it, or a cancel cleared it
        }
        // sealed before the wheel could see it, and taken back: into the next batch
      }
    }

    void stop() {
      stopped = true;
      LockSupport.unpark(thread);
    }

    @Override
    public void run() {
      while (!stopped) {
        long wait;
        while ((wait = origin + (tick + 1) * TICK_NANOS - System.nanoTime()) > 0 && !stopped) {
          LockSupport.parkNanos(this, wait);
        }
        if (stopped) {
          return;
        }
        tick++;
        Batch b = current;
        if (b.claimed > 0 || b.older != null) { // nothing added since the last tick: nothing to replace
          int seen = 0;
          for (Batch x = (Batch) CURRENT.getAndSet(this, new Batch(capacity(b.claimed), null)); x != null;
              x = x.older) {
            seen += take(x);
          }
          lastSeen = seen;
        }
        expire((int) (tick & (SLOTS - 1)));
      }
    }

    /** The next batch's size: room for as many tasks as came in the last tick that had any, within bounds. */
    private int capacity(int claimedNow) {
      int want = Math.max(lastSeen, claimedNow) + (Math.max(lastSeen, claimedNow) >> 2);
      return Math.max(MIN_BATCH, Math.min(MAX_BATCH, want));
    }

    /** Seals {@code b}, then places its live tasks; returns the slots it had. */
    private int take(Batch b) {
      b.sealed = true;
      int n = Math.min(b.claimed, b.slots.length);
      for (int i = 0; i < n; i++) {
        WheelTask<?> t = (WheelTask<?>) SLOT.getVolatile(b.slots, i);
        if (t != null && (t = (WheelTask<?>) SLOT.getAndSet(b.slots, i, null)) != null) {
          t.batch = null; // a long-lived task does not keep the batch
          if (!t.isDone()) {
            place(t);
          }
        }
      }
      return n;
    }

    /** Puts {@code t} in the slot of its due tick (this tick's slot when it is due already). */
    private void place(WheelTask<?> t) {
      long dueTick = Math.max(tick, ceilDiv(t.due - origin, TICK_NANOS));
      t.rounds = (dueTick - tick) / SLOTS;
      int slot = (int) (dueTick & (SLOTS - 1));
      t.next = slots[slot];
      slots[slot] = t;
    }

    /** Runs the due tasks of {@code slot}, drops the cancelled ones, counts the others' remaining turns down. */
    private void expire(int slot) {
      WheelTask<?> keep = null;
      for (WheelTask<?> t = slots[slot]; t != null; ) {
        WheelTask<?> next = t.next;
        if (t.isDone()) {
          // cancelled: dropped
        } else if (t.rounds > 0) {
          t.rounds--;
          t.next = keep;
          keep = t;
        } else {
          t.fire();
        }
        t = next;
      }
      slots[slot] = keep;
    }

    private static long ceilDiv(long a, long b) {
      return a <= 0 ? 0 : (a + b - 1) / b;
    }
  }

  static final class Lease extends AbstractExecutorService implements ScheduledExecutorService {
    final Wheel wheel;
    volatile boolean shutdown;

    Lease(Wheel wheel) {
      this.wheel = wheel;
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      return submit(new WheelTask<Void>(this, command, System.nanoTime() + Math.max(0, unit.toNanos(delay)), 0, false));
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
      return submit(new WheelTask<>(this, callable, System.nanoTime() + Math.max(0, unit.toNanos(delay))));
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
      return periodic(command, initialDelay, period, unit, true);
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
      return periodic(command, initialDelay, delay, unit, false);
    }

    private ScheduledFuture<?> periodic(Runnable command, long initialDelay, long period, TimeUnit unit,
        boolean fixedRate) {
      long periodNanos = unit.toNanos(period);
      if (periodNanos <= 0) {
        throw new IllegalArgumentException("period must be positive: " + periodNanos + " ns");
      }
      return submit(new WheelTask<Void>(this, command, System.nanoTime() + Math.max(0, unit.toNanos(initialDelay)),
          periodNanos, fixedRate));
    }

    private <T extends WheelTask<?>> T submit(T task) {
      if (shutdown) {
        throw new RejectedExecutionException("sfdb coarse timer lease released");
      }
      wheel.add(task);
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
  }
}
