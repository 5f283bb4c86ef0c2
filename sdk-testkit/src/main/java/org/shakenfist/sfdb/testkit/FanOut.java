package org.shakenfist.sfdb.testkit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntConsumer;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;

/**
 * The fan-out check (Java port of Shakenfist's {@code test_database_tier.py}): read every instance's
 * {@code database_*_total} counters, drive K serial calls, read again, and require every instance to have
 * served at least {@code floor} (default 5 %) of them. It fails when the tier silently degrades to one
 * instance (pick_first, a crashed instance, an instance that went NOT_SERVING).
 *
 * <pre>{@code
 * // fake tier, in a JUnit test (FanOutAssertions.assertFansOut), or anywhere
 * FanOut.of(tier).check();
 * // real cluster
 * DatabaseChannelConfig config = DatabaseChannelConfig.fromEnv();
 * try (DatabaseChannel ch = DatabaseChannels.fromConfig(config)) {
 *   var stub = DatabaseServiceGrpc.newBlockingStub(ch);
 *   FanOutResult r = FanOut.of(CounterSource.prometheus(config.hosts(), config.metricsPort()),
 *       () -> stub.getClusterConfig(ClusterConfigRequest.getDefaultInstance())).run();
 *   System.out.println(r.report());
 * }
 * }</pre>
 *
 * <p>Immutable; {@code with*} methods return a modified copy.
 */
public final class FanOut {
  public static final int DEFAULT_CALLS = 100;
  public static final double DEFAULT_FLOOR = 0.05;

  private final CounterSource source;
  private final Runnable call;
  private final int calls;
  private final double floor;
  private final IntConsumer progress;
  private final int windows;

  private FanOut(CounterSource source, Runnable call, int calls, double floor, IntConsumer progress, int windows) {
    this.source = Objects.requireNonNull(source, "source");
    this.call = Objects.requireNonNull(call, "call");
    if (calls < 1) {
      throw new IllegalArgumentException("calls must be at least 1, got " + calls);
    }
    if (!(floor >= 0 && floor < 1)) {
      throw new IllegalArgumentException("floor must be in [0, 1), got " + floor);
    }
    if (windows < 1 || windows > calls) {
      throw new IllegalArgumentException("windows must be in 1.." + calls + " (the calls), got " + windows);
    }
    this.calls = calls;
    this.floor = floor;
    this.progress = progress;
    this.windows = windows;
  }

  /** Check over a fake tier: in-process counters, {@code GetClusterConfig} through {@code tier.channel()}. */
  public static FanOut of(DatabaseTier tier) {
    var stub = DatabaseServiceGrpc.newBlockingStub(tier.channel());
    return of(tier.counterSource(), () -> stub.getClusterConfig(ClusterConfigRequest.getDefaultInstance()));
  }

  /** Check over any counter source, driving {@code call} once per call. */
  public static FanOut of(CounterSource source, Runnable call) {
    return new FanOut(source, call, DEFAULT_CALLS, DEFAULT_FLOOR, n -> { }, 1);
  }

  /** Number of serial calls to drive (default 100). */
  public FanOut withCalls(int k) {
    return new FanOut(source, call, k, floor, progress, Math.min(windows, k));
  }

  /** Minimum share per instance (default 0.05). */
  public FanOut withFloor(double f) {
    return new FanOut(source, call, calls, f, progress, windows);
  }

  /** The call to drive (e.g. through a pick_first channel, to see the check fail). */
  public FanOut withCall(Runnable c) {
    return new FanOut(source, c, calls, floor, progress, windows);
  }

  /** Told the number of calls done after each call (for a progress indicator). */
  public FanOut withProgress(IntConsumer p) {
    return new FanOut(source, call, calls, floor, Objects.requireNonNull(p), windows);
  }

  /**
   * Windowed mode: the calls are split into {@code w} consecutive windows (counters read at every boundary)
   * and every instance must serve at least one call in each window, besides the overall floor. It catches
   * an instance that drops out mid-run, which a floor over the whole run misses (an instance that served the
   * first half of 100 calls and then went NOT_SERVING still has 25 %). Default 1 (no windows).
   */
  public FanOut withWindows(int w) {
    return new FanOut(source, call, calls, floor, progress, w);
  }

  /** Runs the check; never throws for a failing tier (see {@link FanOutResult#passed()}). */
  public FanOutResult run() {
    List<String> instances = source.instances();
    if (instances.size() < 2) {
      return new FanOutResult(instances, Map.of(), Map.of(), Map.of(), 0, 0, null, floor,
          "requires N>=2 sf-database instances; saw N=" + instances.size(), List.of());
    }
    List<CounterSource.Snapshot> marks = new ArrayList<>();
    marks.add(source.scrape());
    int failed = 0;
    String firstError = null;
    int done = 0;
    for (int w = 0; w < windows; w++) {
      int end = (int) ((long) calls * (w + 1) / windows);
      for (; done < end; done++) {
        try {
          call.run();
        } catch (RuntimeException e) {
          failed++;
          if (firstError == null) {
            firstError = e.toString();
          }
        }
        progress.accept(done + 1);
      }
      marks.add(source.scrape());
    }
    CounterSource.Snapshot before = marks.get(0);
    CounterSource.Snapshot after = marks.get(windows);

    List<String> problems = new ArrayList<>();
    Map<String, Long> delta = new LinkedHashMap<>();
    for (String instance : instances) {
      Map<String, Double> b = before.counters().get(instance);
      Map<String, Double> a = after.counters().get(instance);
      if (b == null || a == null) {
        String why = b == null ? before.errors().get(instance) : after.errors().get(instance);
        problems.add(instance + ": metrics unreachable " + (b == null ? "before" : "after") + " the run (" + why + ")");
        delta.put(instance, 0L);
        continue;
      }
      delta.put(instance, served(before, after, instance));
    }
    long total = delta.values().stream().mapToLong(Long::longValue).sum();
    if (total == 0) {
      problems.add("no instance counted any of the " + calls + " calls");
    } else {
      for (String instance : instances) {
        long d = delta.get(instance);
        if (d < floor * total) {
          problems.add(instance + " served " + d + " of " + total + " calls (" + FanOutResult.pct(d / (double) total)
              + " < floor " + FanOutResult.pct(floor) + ")");
        }
      }
    }
    for (int w = 0; w < windows && windows > 1; w++) {
      for (String instance : instances) {
        long d = served(marks.get(w), marks.get(w + 1), instance);
        if (d == 0) {
          long first = (long) calls * w / windows + 1;
          long last = (long) calls * (w + 1) / windows;
          problems.add(instance + " served 0 of the " + (last - first + 1) + " calls of window " + (w + 1) + " of "
              + windows + " (calls " + first + "-" + last + ")");
        }
      }
    }
    return new FanOutResult(instances, before.counters(), after.counters(), delta, calls, failed, firstError, floor,
        null, problems);
  }

  /**
   * Calls served between two readings; -1 when either is unreadable; a counter that went down: restarted, so
   * its whole new count. (A restart whose new count passes the old one looks like no restart.)
   */
  private static long served(CounterSource.Snapshot from, CounterSource.Snapshot to, String instance) {
    long a = from.served(instance);
    long b = to.served(instance);
    if (a < 0 || b < 0) {
      return -1;
    }
    return b >= a ? b - a : b;
  }

  /**
   * Runs the check without any test framework: returns the result when it passed or was skipped (fewer than
   * 2 instances: see {@link FanOutResult#skipped()}), throws {@link FanOutException} with the full report when
   * an instance served less than the floor. JUnit 5 tests use
   * {@link org.shakenfist.sfdb.testkit.junit.FanOutAssertions#assertFansOut(FanOut)}, which also turns a skip
   * into an aborted test.
   */
  public FanOutResult check() {
    FanOutResult r = run();
    if (!r.skipped() && !r.passed()) {
      throw new FanOutException(r);
    }
    return r;
  }
}
