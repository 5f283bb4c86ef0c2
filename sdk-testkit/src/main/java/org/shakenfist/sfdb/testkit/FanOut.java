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

  private FanOut(CounterSource source, Runnable call, int calls, double floor, IntConsumer progress) {
    this.source = Objects.requireNonNull(source, "source");
    this.call = Objects.requireNonNull(call, "call");
    if (calls < 1) {
      throw new IllegalArgumentException("calls must be at least 1, got " + calls);
    }
    if (!(floor >= 0 && floor < 1)) {
      throw new IllegalArgumentException("floor must be in [0, 1), got " + floor);
    }
    this.calls = calls;
    this.floor = floor;
    this.progress = progress;
  }

  /** Check over a fake tier: in-process counters, {@code GetClusterConfig} through {@code tier.channel()}. */
  public static FanOut of(DatabaseTier tier) {
    var stub = DatabaseServiceGrpc.newBlockingStub(tier.channel());
    return of(tier.counterSource(), () -> stub.getClusterConfig(ClusterConfigRequest.getDefaultInstance()));
  }

  /** Check over any counter source, driving {@code call} once per call. */
  public static FanOut of(CounterSource source, Runnable call) {
    return new FanOut(source, call, DEFAULT_CALLS, DEFAULT_FLOOR, n -> { });
  }

  /** Number of serial calls to drive (default 100). */
  public FanOut withCalls(int k) {
    return new FanOut(source, call, k, floor, progress);
  }

  /** Minimum share per instance (default 0.05). */
  public FanOut withFloor(double f) {
    return new FanOut(source, call, calls, f, progress);
  }

  /** The call to drive (e.g. through a pick_first channel, to see the check fail). */
  public FanOut withCall(Runnable c) {
    return new FanOut(source, c, calls, floor, progress);
  }

  /** Told the number of calls done after each call (for a progress indicator). */
  public FanOut withProgress(IntConsumer p) {
    return new FanOut(source, call, calls, floor, Objects.requireNonNull(p));
  }

  /** Runs the check; never throws for a failing tier (see {@link FanOutResult#passed()}). */
  public FanOutResult run() {
    List<String> instances = source.instances();
    if (instances.size() < 2) {
      return new FanOutResult(instances, Map.of(), Map.of(), Map.of(), 0, 0, null, floor,
          "requires N>=2 sf-database instances; saw N=" + instances.size(), List.of());
    }
    CounterSource.Snapshot before = source.scrape();
    int failed = 0;
    String firstError = null;
    for (int i = 0; i < calls; i++) {
      try {
        call.run();
      } catch (RuntimeException e) {
        failed++;
        if (firstError == null) {
          firstError = e.toString();
        }
      }
      progress.accept(i + 1);
    }
    CounterSource.Snapshot after = source.scrape();

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
      long sb = before.served(instance);
      long sa = after.served(instance);
      delta.put(instance, sa >= sb ? sa - sb : sa); // a counter that went down means the instance restarted
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
    return new FanOutResult(instances, before.counters(), after.counters(), delta, calls, failed, firstError, floor,
        null, problems);
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
