package org.shakenfist.sfdb.client.internal.channel;

import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * A task on the {@link CoarseTimer}'s wheel, and its own future. It runs at most once per period; cancelling it is one CAS, and one more that clears
 * its slot in the batch it waits in (the wheel drops it when it next looks). A failure of the task is the future's, as on a ScheduledThreadPoolExecutor.
 */
final class WheelTask<V> implements ScheduledFuture<V> {
  @SuppressWarnings("rawtypes")
  private static final AtomicIntegerFieldUpdater<WheelTask> STATE =
      AtomicIntegerFieldUpdater.newUpdater(WheelTask.class, "state");
  static final int PENDING = 0;
  static final int RUNNING = 1;
  static final int DONE = 2;
  static final int CANCELLED = 3;
  private final CoarseTimer.Lease lease;
  // dropped by a cancel from PENDING, so that a cancelled task holds nothing (a call's deadline task would otherwise
  // keep the whole ended call reachable until the wheel drops it: up to a turn, 5.12 s, for one placed in a slot)
  private Runnable command; // or:
  private Callable<V> callable;
  private V result;
  private final long period; // 0: one-shot
  private final boolean fixedRate;
  volatile long due;
  private volatile int state;
  private volatile boolean awaited; // someone waits in get(): completion must notify
  private Throwable failure;
  WheelTask<?> next; // in a slot's list (the wheel's)
  CoarseTimer.Batch batch; // the batch it was added to, until the wheel takes it
  int index; // its slot there
  long rounds; // turns of the wheel left (the wheel's)

  WheelTask(CoarseTimer.Lease lease, Runnable command, long due, long period, boolean fixedRate) {
    this.lease = lease;
    this.command = command;
    this.callable = null;
    this.due = due;
    this.period = period;
    this.fixedRate = fixedRate;
  }

  WheelTask(CoarseTimer.Lease lease, Callable<V> callable, long due) {
    this.lease = lease;
    this.command = null;
    this.callable = callable;
    this.due = due;
    this.period = 0;
    this.fixedRate = false;
  }

  /** On the wheel's thread, when due. */
  void fire() {
    if (!STATE.compareAndSet(this, PENDING, RUNNING)) {
      return;
    }
    try {
      if (callable != null) {
        result = callable.call();
      } else {
        command.run();
      }
    } catch (Throwable e) {
      failure = e;
      finish(DONE);
      return;
    }
    if (period > 0 && !lease.shutdown) {
      if (STATE.compareAndSet(this, RUNNING, PENDING)) { // not cancelled while it ran
        due = fixedRate ? due + period : System.nanoTime() + period;
        lease.wheel.add(this);
      }
      return;
    }
    finish(DONE);
  }

  private void finish(int end) {
    state = end;
    if (awaited) {
      synchronized (this) {
        notifyAll();
      }
    }
  }

  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    int s;
    do {
      s = state;
      if (s >= DONE) {
        return false;
      }
    } while (!STATE.compareAndSet(this, s, CANCELLED));
    if (s == PENDING) { // not running: fire() can no longer read them (its CAS from PENDING fails)
      command = null;
      callable = null;
      CoarseTimer.Batch b = batch;
      if (b != null) {
        b.clear(index, this); // the wheel passes over it unread (a stale index clears nothing: the slot holds another)
      }
    }
    if (awaited) {
      synchronized (this) {
        notifyAll();
      }
    }
    return true;
  }

  @Override
  public boolean isCancelled() {
    return state == CANCELLED;
  }

  @Override
  public boolean isDone() {
    return state >= DONE;
  }

  @Override
  public V get() throws InterruptedException, ExecutionException {
    awaited = true;
    synchronized (this) {
      while (state < DONE) {
        wait();
      }
    }
    return outcome();
  }

  @Override
  public V get(long waitFor, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
    long end = System.nanoTime() + unit.toNanos(waitFor);
    awaited = true;
    synchronized (this) {
      long left;
      while (state < DONE && (left = end - System.nanoTime()) > 0) {
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      if (state < DONE) {
        throw new TimeoutException();
      }
    }
    return outcome();
  }

  private V outcome() throws ExecutionException {
    if (state == CANCELLED) {
      throw new CancellationException();
    }
    if (failure != null) {
      throw new ExecutionException(failure);
    }
    return result;
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
