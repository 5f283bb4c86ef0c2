package org.shakenfist.sfdb.client.internal;

import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.util.ForwardingLoadBalancer;
import io.grpc.util.ForwardingLoadBalancerHelper;
import io.grpc.util.ForwardingSubchannel;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Policy {@code sfdb_least_request}: power of two choices over outstanding calls. Each pick samples two
 * different READY instances at random and takes the one with fewer calls in flight (streams created and not
 * yet closed through this channel), so an instance that answers slowly accumulates calls and is picked less.
 *
 * <p>round_robin stays underneath and keeps managing connections (and, under {@code sfdb_poll_health},
 * sees health-filtered states); this wrapper only replaces its picker while the tier is READY. It gives up
 * round_robin's exact rotation: on a healthy tier the split is even only on average.
 */
final class LeastRequestLoadBalancer extends ForwardingLoadBalancer {
  private final LoadBalancer child;
  private final Object childConfig;
  /** Every started subchannel; touched only from the synchronization context. */
  private final Set<CountedSubchannel> subchannels = new LinkedHashSet<>();

  LeastRequestLoadBalancer(Helper helper) {
    LoadBalancerProvider rr = LoadBalancerRegistry.getDefaultRegistry().getProvider("round_robin");
    this.childConfig = rr.parseLoadBalancingPolicyConfig(Map.of()).getConfig();
    this.child = rr.newLoadBalancer(new ForwardingLoadBalancerHelper() {
      @Override
      protected Helper delegate() {
        return helper;
      }

      @Override
      public Subchannel createSubchannel(CreateSubchannelArgs args) {
        return new CountedSubchannel(helper.createSubchannel(args));
      }

      @Override
      public void updateBalancingState(ConnectivityState state, SubchannelPicker picker) {
        if (state == ConnectivityState.READY) {
          List<CountedSubchannel> ready = new ArrayList<>();
          for (CountedSubchannel s : subchannels) {
            if (s.state == ConnectivityState.READY) {
              ready.add(s);
            }
          }
          if (!ready.isEmpty()) {
            picker = new TwoChoicesPicker(ready);
          }
        }
        helper.updateBalancingState(state, picker);
      }
    });
  }

  @Override
  protected LoadBalancer delegate() {
    return child;
  }

  @Override
  public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
    return child.acceptResolvedAddresses(resolved.toBuilder().setLoadBalancingPolicyConfig(childConfig).build());
  }

  /** Picks the less busy of two random READY instances. */
  static final class TwoChoicesPicker extends SubchannelPicker {
    private final CountedSubchannel[] ready;

    TwoChoicesPicker(List<CountedSubchannel> ready) {
      this.ready = ready.toArray(new CountedSubchannel[0]);
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      CountedSubchannel pick = ready[0];
      int n = ready.length;
      if (n > 1) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int i = random.nextInt(n);
        int j = random.nextInt(n - 1);
        if (j >= i) {
          j++;
        }
        CountedSubchannel a = ready[i];
        CountedSubchannel b = ready[j];
        pick = b.outstanding.get() < a.outstanding.get() ? b : a;
      }
      return PickResult.withSubchannel(pick, pick.tracerFactory);
    }

    @Override
    public String toString() {
      return "TwoChoicesPicker" + List.of(ready);
    }
  }

  /** A subchannel with its count of calls in flight and the connectivity state its owner was last told. */
  final class CountedSubchannel extends ForwardingSubchannel {
    private final Subchannel delegate;
    final AtomicInteger outstanding = new AtomicInteger();
    private volatile ConnectivityState state = ConnectivityState.IDLE;
    final ClientStreamTracer.Factory tracerFactory = new ClientStreamTracer.Factory() {
      @Override
      public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
        outstanding.incrementAndGet();
        return new ClientStreamTracer() {
          @Override
          public void streamClosed(Status status) {
            outstanding.decrementAndGet();
          }
        };
      }
    };

    CountedSubchannel(Subchannel delegate) {
      this.delegate = delegate;
    }

    @Override
    protected Subchannel delegate() {
      return delegate;
    }

    @Override
    public void start(SubchannelStateListener listener) {
      subchannels.add(this);
      delegate.start((ConnectivityStateInfo info) -> {
        state = info.getState();
        listener.onSubchannelState(info);
      });
    }

    @Override
    public void shutdown() {
      subchannels.remove(this);
      state = ConnectivityState.SHUTDOWN;
      delegate.shutdown();
    }

    @Override
    public String toString() {
      return delegate.getAddresses() + "=" + outstanding.get();
    }
  }
}
