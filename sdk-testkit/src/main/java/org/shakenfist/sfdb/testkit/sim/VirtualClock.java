package org.shakenfist.sfdb.testkit.sim;

import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Virtual time for a {@link Simulation}: a scheduled executor whose tasks run when {@link #runUntil} reaches
 * them, in time order and, at equal times, in the order they were scheduled (so a run is deterministic). grpc's
 * synchronization context and the SDK's policies schedule their timers here, as on a channel's executor.
 */
public final class VirtualClock extends AbstractExecutorService implements ScheduledExecutorService {
  private final PriorityQueue<Task> queue = new PriorityQueue<>();
  private long now;
  private long sequence;

  /** Nanoseconds since the simulation began. */
  public long nanos() {
    return now;
  }

  /** Runs every task due up to {@code until} (virtual nanoseconds), then stops there. */
  public void runUntil(long until) {
    while (!queue.isEmpty() && queue.peek().due <= until) {
      Task t = queue.poll();
      now = t.due;
      t.run();
    }
    now = Math.max(now, until);
  }

  /** Runs {@code command} at virtual time {@code at} (nanoseconds; now if it has passed). */
  public ScheduledFuture<?> at(long at, Runnable command) {
    Task t = new Task(command, Math.max(at, now), sequence++);
    queue.add(t);
    return t;
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return at(now + unit.toNanos(delay), command);
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException("the simulation schedules Runnables only");
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
    throw new UnsupportedOperationException("the simulation schedules one-shot tasks only");
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException("the simulation schedules one-shot tasks only");
  }

  @Override
  public void execute(Runnable command) {
    at(now, command);
  }

  @Override
  public void shutdown() {}

  @Override
  public List<Runnable> shutdownNow() {
    return List.of();
  }

  @Override
  public boolean isShutdown() {
    return false;
  }

  @Override
  public boolean isTerminated() {
    return false;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return true;
  }

  private final class Task implements ScheduledFuture<Object>, Comparable<Delayed>, Runnable {
    private final Runnable command;
    private final long due;
    private final long seq;
    private boolean cancelled;
    private boolean done;

    Task(Runnable command, long due, long seq) {
      this.command = command;
      this.due = due;
      this.seq = seq;
    }

    @Override
    public void run() {
      if (!cancelled) {
        done = true;
        command.run();
      }
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(due - now, TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      Task t = (Task) o;
      return due != t.due ? Long.compare(due, t.due) : Long.compare(seq, t.seq);
    }

    @Override
    public boolean cancel(boolean mayInterrupt) {
      if (done || cancelled) {
        return false;
      }
      cancelled = true;
      queue.remove(this);
      return true;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return done || cancelled;
    }

    @Override
    public Object get() {
      return null;
    }

    @Override
    public Object get(long timeout, TimeUnit unit) {
      return null;
    }
  }
}
