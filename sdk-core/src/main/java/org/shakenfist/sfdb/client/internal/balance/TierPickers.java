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

  static SubchannelPicker of(Pick pick, List<TierLoadBalancer.Endpoint> endpoints, AtomicInteger sequence,
      IntUnaryOperator random) {
    TierLoadBalancer.Endpoint[] e = endpoints.toArray(new TierLoadBalancer.Endpoint[0]);
    SubchannelPicker[] pickers = new SubchannelPicker[e.length];
    for (int i = 0; i < e.length; i++) {
      pickers[i] = e[i].getCurrentPicker();
    }
    return switch (pick) {
      case ROUND_ROBIN -> new RoundRobin(pickers, sequence);
      case LEAST_REQUEST -> e.length == 1 ? new RoundRobin(pickers, sequence) : new TwoChoices(e, pickers, random);
      case PICK_FIRST -> new RoundRobin(Arrays.copyOf(pickers, 1), sequence); // the policy passes the one instance
    };
  }

  /** Each instance in turn, from a sequence shared by every picker of the policy (an exact rotation). */
  static final class RoundRobin extends SubchannelPicker {
    private final SubchannelPicker[] pickers;
    private final AtomicInteger sequence;

    RoundRobin(SubchannelPicker[] pickers, AtomicInteger sequence) {
      this.pickers = pickers;
      this.sequence = sequence;
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      int i = (sequence.getAndIncrement() & Integer.MAX_VALUE) % pickers.length;
      return pickers[i].pickSubchannel(args);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof RoundRobin r && r.sequence == sequence && Arrays.equals(r.pickers, pickers);
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
   * Power of two choices over calls in flight: two distinct instances drawn from the policy's random source,
   * the one with fewer calls outstanding through this channel wins (the first drawn on a tie).
   */
  static final class TwoChoices extends SubchannelPicker {
    private final TierLoadBalancer.Endpoint[] endpoints;
    private final SubchannelPicker[] pickers;
    private final IntUnaryOperator random;

    TwoChoices(TierLoadBalancer.Endpoint[] endpoints, SubchannelPicker[] pickers, IntUnaryOperator random) {
      this.endpoints = endpoints;
      this.pickers = pickers;
      this.random = random;
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      int n = endpoints.length;
      int i = random.applyAsInt(n);
      int j = random.applyAsInt(n - 1);
      if (j >= i) {
        j++;
      }
      int pick = endpoints[j].inFlight.get() < endpoints[i].inFlight.get() ? j : i;
      PickResult r = pickers[pick].pickSubchannel(args);
      return r.getSubchannel() == null ? r
          : PickResult.withSubchannel(r.getSubchannel(), endpoints[pick].inFlightTracer);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof TwoChoices t && Arrays.equals(t.pickers, pickers);
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
