package org.shakenfist.sfdb.client.internal.balance;

import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.SubchannelPicker;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;

/**
 * The pickers of the tier policy, one per {@link Pick}. Each holds a snapshot of its instances' pick_first
 * pickers (taken on the synchronization context) and is called on callers' threads.
 */
final class TierPickers {
  private TierPickers() {}

  /**
   * @param ramping some instance ramps up (slow start): the picker weighs the instances while they do
   * @param counted every pick carries its instance's tracer (failures in a row, for ejection)
   */
  static SubchannelPicker of(Pick pick, List<TierLoadBalancer.Endpoint> endpoints, AtomicInteger sequence,
      IntUnaryOperator random, java.util.function.LongSupplier ticker, boolean ramping, boolean counted) {
    TierLoadBalancer.Endpoint[] e = endpoints.toArray(new TierLoadBalancer.Endpoint[0]);
    SubchannelPicker[] pickers = new SubchannelPicker[e.length];
    for (int i = 0; i < e.length; i++) {
      pickers[i] = e[i].getCurrentPicker();
    }
    boolean ramps = ramping && e.length > 1;
    return switch (pick) {
      case ROUND_ROBIN -> ramps ? new RampingRotation(e, pickers, sequence, random, ticker, counted)
          : new RoundRobin(pickers, sequence, counted ? e : null);
      case LEAST_REQUEST -> e.length == 1 ? new RoundRobin(pickers, sequence, counted ? e : null)
          : new TwoChoices(e, pickers, random, ticker, false, ramps);
      case PEAK_EWMA -> new TwoChoices(e, pickers, random, ticker, true, ramps); // one: still timed, for its return
      case PICK_FIRST -> new RoundRobin(Arrays.copyOf(pickers, 1), sequence, null); // the policy passes the one
    };
  }

  private static final int DRAWS = 1 << 20;

  /**
   * round_robin while an instance ramps up: the rotation's next instance takes the call with probability its
   * weight (1 for those not ramping, so with nothing ramping this is the exact rotation); a call it declines goes
   * to an instance drawn at random by the same rule, so no one neighbour in the rotation takes what the ramping
   * one declines (Envoy #26290). Each instance's share is then its weight over the sum of the weights (a ramping
   * one at 0.1 among two full ones: 0.1 / 2.1). At most eight draws; the eighth is kept.
   */
  static final class RampingRotation extends SubchannelPicker {
    private final TierLoadBalancer.Endpoint[] endpoints;
    private final SubchannelPicker[] pickers;
    private final AtomicInteger sequence;
    private final IntUnaryOperator random;
    private final java.util.function.LongSupplier ticker;
    private final boolean counted;

    RampingRotation(TierLoadBalancer.Endpoint[] endpoints, SubchannelPicker[] pickers, AtomicInteger sequence,
        IntUnaryOperator random, java.util.function.LongSupplier ticker, boolean counted) {
      this.endpoints = endpoints;
      this.pickers = pickers;
      this.sequence = sequence;
      this.random = random;
      this.ticker = ticker;
      this.counted = counted;
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      long now = ticker.getAsLong();
      int i = (sequence.getAndIncrement() & Integer.MAX_VALUE) % pickers.length;
      for (int draw = 0; draw < 7 && !takes(endpoints[i].weight(now)); draw++) {
        i = random.applyAsInt(pickers.length);
      }
      return traced(pickers[i].pickSubchannel(args), counted ? endpoints : null, i);
    }

    private boolean takes(double weight) {
      return weight >= 1 || random.applyAsInt(DRAWS) < weight * DRAWS;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof RampingRotation r && r.sequence == sequence && Arrays.equals(r.pickers, pickers);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(pickers) + 1;
    }

    @Override
    public String toString() {
      return "RampingRotation" + Arrays.toString(endpoints);
    }
  }

  /** The pick of instance {@code i}, carrying its tracer when {@code endpoints} is not null. */
  static PickResult traced(PickResult r, TierLoadBalancer.Endpoint[] endpoints, int i) {
    return endpoints == null || r.getSubchannel() == null ? r
        : PickResult.withSubchannel(r.getSubchannel(), endpoints[i].inFlightTracer);
  }

  /**
   * Each instance in turn, from a sequence shared by every picker of the policy (an exact rotation); with
   * {@code endpoints}, each pick carries its instance's tracer (failures in a row).
   */
  static final class RoundRobin extends SubchannelPicker {
    private final SubchannelPicker[] pickers;
    private final AtomicInteger sequence;
    private final TierLoadBalancer.Endpoint[] endpoints; // null: untraced

    RoundRobin(SubchannelPicker[] pickers, AtomicInteger sequence, TierLoadBalancer.Endpoint[] endpoints) {
      this.pickers = pickers;
      this.sequence = sequence;
      this.endpoints = endpoints;
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      int i = (sequence.getAndIncrement() & Integer.MAX_VALUE) % pickers.length;
      return traced(pickers[i].pickSubchannel(args), endpoints, i);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof RoundRobin r && r.sequence == sequence && Arrays.equals(r.pickers, pickers)
          && (r.endpoints == null) == (endpoints == null);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(pickers);
    }

    @Override
    public String toString() {
      return "RoundRobin" + Arrays.toString(pickers);
    }
  }

  /**
   * Power of two choices: two distinct instances drawn from the policy's random source; the cheaper wins (the
   * first drawn on a tie). The cost is the calls outstanding through this channel (least_request) or, with a
   * ticker, the peak-EWMA latency x (calls outstanding + 1) (peak_ewma). Every pick is timed and counted.
   */
  static final class TwoChoices extends SubchannelPicker {
    private final TierLoadBalancer.Endpoint[] endpoints;
    private final SubchannelPicker[] pickers;
    private final IntUnaryOperator random;
    private final java.util.function.LongSupplier ticker;
    private final boolean latency; // peak_ewma: cost = latency x (calls in flight + 1); else calls in flight
    private final boolean ramping; // slow start: a cost is divided by the instance's weight

    TwoChoices(TierLoadBalancer.Endpoint[] endpoints, SubchannelPicker[] pickers, IntUnaryOperator random,
        java.util.function.LongSupplier ticker, boolean latency, boolean ramping) {
      this.endpoints = endpoints;
      this.pickers = pickers;
      this.random = random;
      this.ticker = ticker;
      this.latency = latency;
      this.ramping = ramping;
    }

    /**
     * peak_ewma's choice: the lower cost wins, cost = max(latency estimate x (calls in flight + 1),
     * {@link PeakEwma#FLOOR_NANOS}); on equal costs the one with fewer calls in flight, then the first drawn. Without
     * the floor and the estimate's outlier guard, a 50 us in-process tier locked an instance out after its first,
     * JIT-cold call (the fan-out check failed: 0 of 3000 calls). The floor applies to the product, not to the
     * estimate: floored first, a 0.5 ms instance with one call in flight cost 10 ms, as much as a 10 ms one with
     * none, and the slow instance got 0.5 % of the calls (open loop, 200 calls/s), enough to set the p99.
     */
    private int cheaper(int i, int j) {
      long now = ticker.getAsLong();
      TierLoadBalancer.Endpoint a = endpoints[i];
      TierLoadBalancer.Endpoint b = endpoints[j];
      double ca = Math.max(a.latency.cost(now) * (a.inFlight.get() + 1), PeakEwma.FLOOR_NANOS);
      double cb = Math.max(b.latency.cost(now) * (b.inFlight.get() + 1), PeakEwma.FLOOR_NANOS);
      if (cb != ca) {
        return cb < ca ? j : i;
      }
      return b.inFlight.get() < a.inFlight.get() ? j : i;
    }

    /** least_request's choice: fewer calls in flight; the first drawn on a tie. */
    private int fewer(int i, int j) {
      return endpoints[j].inFlight.get() < endpoints[i].inFlight.get() ? j : i;
    }

    /**
     * Slow start: a ramping winner keeps the call with probability its weight, else the other one takes it, so a
     * ramping instance gets about its weight times what it would win (whatever the load: a cost divided by the
     * weight would give it nothing at all while no calls are in flight).
     */
    private int ramped(int winner, int other) {
      double w = endpoints[winner].weight(ticker.getAsLong());
      return w >= 1 || random.applyAsInt(DRAWS) < w * DRAWS ? winner : other;
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      int n = endpoints.length;
      int pick = 0;
      if (n > 1) {
        int i = random.applyAsInt(n);
        int j = random.applyAsInt(n - 1);
        if (j >= i) {
          j++;
        }
        pick = latency ? cheaper(i, j) : fewer(i, j);
        if (ramping) {
          pick = ramped(pick, pick == i ? j : i);
        }
      }
      return traced(pickers[pick].pickSubchannel(args), endpoints, pick);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof TwoChoices t && t.ramping == ramping && Arrays.equals(t.pickers, pickers);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(pickers);
    }

    @Override
    public String toString() {
      return "TwoChoices" + Arrays.toString(endpoints);
    }
  }
}
