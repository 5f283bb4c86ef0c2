package org.shakenfist.sfdb.client.internal.balance;

import io.grpc.ChannelLogger.ChannelLogLevel;
import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.grpc.util.ForwardingSubchannel;
import io.grpc.util.MultiChildLoadBalancer;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import org.shakenfist.sfdb.client.EndpointState.Health;
import org.shakenfist.sfdb.client.GatewayHost;
import org.shakenfist.sfdb.client.HealthCheckMode;
import org.shakenfist.sfdb.client.internal.health.HealthChecks;
import org.shakenfist.sfdb.client.internal.resolve.SfdbNameResolver;

/**
 * The SDK's root policy ({@code sfdb_tier}): a petiole policy in grpc-java's shape
 * ({@link MultiChildLoadBalancer}, like round_robin) with one pick_first child per gateway instance. It
 * <ul>
 *   <li>consumes health: each child's subchannel is created with a health-consumer listener
 *       ({@link LoadBalancer#HEALTH_CONSUMER_LISTENER_ARG_KEY}) that the health producer below (unary polls, or
 *       grpc's Watch) tells; pick_first sees the raw connection state, untouched. With health checks on, an
 *       instance enters the rotation at its first SERVING answer, not when it connects;</li>
 *   <li>picks among the instances in the rotation as its {@link Pick} says; an instance that enters a rotation
 *       that already serves ramps up from 0.1 of its share to all of it over the slow-start window;</li>
 *   <li>panics: when every connected instance has been found unhealthy, calls go to all of them rather than
 *       to none (logged once per panic);</li>
 *   <li>reports every instance's state to the channel's {@link EndpointStates}.</li>
 * </ul>
 * Every method runs on the channel's synchronization context; the picker runs on callers' threads.
 */
final class TierLoadBalancer extends MultiChildLoadBalancer {
  private static final Logger log = Logger.getLogger(TierLoadBalancer.class.getName());
  /** Statuses that say the instance failed the call (not the caller's own error, not a cancel). */
  static final java.util.Set<Status.Code> INSTANCE_FAILURES = java.util.EnumSet.of(Status.Code.UNAVAILABLE,
      Status.Code.INTERNAL, Status.Code.UNKNOWN, Status.Code.DEADLINE_EXCEEDED, Status.Code.RESOURCE_EXHAUSTED,
      Status.Code.DATA_LOSS);
  private final TierPolicy policy;
  private final AtomicInteger sequence;
  private final Map<Object, EquivalentAddressGroup> groups = new HashMap<>();
  private SubchannelPicker currentPicker;
  private boolean panic;
  private Endpoint stuckTo; // PICK_FIRST: the instance every call goes to while it stays in the rotation
  private SynchronizationContext.ScheduledHandle rampTimer; // rebuilds the picker when the last ramp ends
  private long rampTimerFor = Long.MIN_VALUE;
  private long servingSince = Long.MIN_VALUE; // when the rotation last became non-empty
  /** Instances entering this soon after the rotation first served are the channel's start: no ramp. */
  static final long STARTUP_NANOS = 2_000_000_000L;

  TierLoadBalancer(Helper helper, TierPolicy policy) {
    super(helper);
    this.policy = policy;
    this.sequence = new AtomicInteger(policy.random().applyAsInt(Integer.MAX_VALUE));
  }

  @Override
  protected Map<Object, ResolvedAddresses> createChildAddressesMap(ResolvedAddresses resolved) {
    Map<Object, ResolvedAddresses> map = super.createChildAddressesMap(resolved);
    map.forEach((key, child) -> groups.put(key, child.getAddresses().get(0)));
    return map;
  }

  @Override
  protected ChildLbState createChildLbState(Object key) {
    return new Endpoint(key, groups.get(key));
  }

  @Override
  public void shutdown() {
    for (ChildLbState c : getChildLbStates()) {
      Endpoint e = (Endpoint) c;
      if (e.ejectionTimer != null) {
        e.ejectionTimer.cancel();
        e.ejectionTimer = null;
      }
    }
    if (rampTimer != null) {
      rampTimer.cancel();
      rampTimer = null;
    }
    super.shutdown();
    groups.clear();
  }

  @Override
  protected void updateOverallBalancingState() {
    List<Endpoint> inRotation = new ArrayList<>();
    List<Endpoint> unhealthy = new ArrayList<>();
    boolean awaitingHealth = false; // connected, first health answer not in yet
    boolean connecting = false;
    for (ChildLbState c : getChildLbStates()) {
      Endpoint e = (Endpoint) c;
      ConnectivityState s = e.getCurrentState();
      if (s == ConnectivityState.READY) {
        switch (e.healthState()) {
          case READY -> {
            if (e.ejected) {
              unhealthy.add(e);
            } else {
              inRotation.add(e);
            }
          }
          case TRANSIENT_FAILURE -> unhealthy.add(e);
          default -> awaitingHealth = true;
        }
      } else if (s == ConnectivityState.CONNECTING || s == ConnectivityState.IDLE) {
        connecting = true;
      }
    }
    // panic: every connected instance was found unhealthy (one still connecting or reconnecting does not count)
    setPanic(inRotation.isEmpty() && !unhealthy.isEmpty() && !awaitingHealth);
    boolean waiting = awaitingHealth || connecting;
    if (panic) {
      inRotation = unhealthy;
    }
    long now = policy.ticker().getAsLong();
    // slow start: an instance that enters while another one stays in ramps up; not in panic, not when it is the
    // only one, and not among a channel's first instances (their first answers come in over its first seconds)
    boolean served = false;
    for (Endpoint e : inRotation) {
      served |= e.wasIn;
    }
    if (inRotation.isEmpty() || panic) {
      servingSince = Long.MIN_VALUE;
    } else if (servingSince == Long.MIN_VALUE) {
      servingSince = now;
    }
    long window = panic ? 0 : policy.slowStart().toNanos();
    long rampsUntil = Long.MIN_VALUE;
    for (ChildLbState c : getChildLbStates()) {
      Endpoint e = (Endpoint) c;
      boolean in = inRotation.contains(e);
      if (!in) {
        e.latency.reset(now); // when it returns, its old latency no longer says anything
      } else if (!e.wasIn) {
        boolean ramps = served && window > 0 && (e.everIn || now - servingSince >= STARTUP_NANOS);
        e.enter(now, ramps ? window : 0);
      }
      if (in && e.rampsUntil() > now) {
        rampsUntil = Math.max(rampsUntil, e.rampsUntil());
      }
      e.wasIn = in;
      e.report(in);
    }
    scheduleRampEnd(rampsUntil, now);
    if (policy.pick() == Pick.PEAK_EWMA) { // a new or returning instance starts at the tier's typical cost
      double sum = 0;
      int n = 0;
      for (Endpoint e : inRotation) {
        if (e.latency.sampled()) {
          sum += e.latency.cost(now);
          n++;
        }
      }
      for (Endpoint e : inRotation) {
        e.latency.seedIfUnsampled(n == 0 ? 0 : sum / n, now);
      }
    }
    if (!inRotation.isEmpty()) {
      if (policy.pick() == Pick.PICK_FIRST) { // one instance, kept while it is in, as pick_first keeps its connection
        stuckTo = inRotation.contains(stuckTo) ? stuckTo : inRotation.get(0);
        inRotation = List.of(stuckTo);
      }
      update(ConnectivityState.READY, TierPickers.of(policy.pick(), inRotation, sequence, policy.random(),
          policy.ticker(), rampsUntil > now, policy.ejectAfter() > 0));
    } else if (waiting || !unhealthy.isEmpty()) {
      update(ConnectivityState.CONNECTING, new FixedResultPicker(PickResult.withNoResult()));
    } else { // every instance failed to connect: their pick_first pickers carry the errors
      List<Endpoint> all = new ArrayList<>();
      getChildLbStates().forEach(c -> all.add((Endpoint) c));
      update(ConnectivityState.TRANSIENT_FAILURE, TierPickers.of(Pick.ROUND_ROBIN, all, sequence, policy.random(),
          policy.ticker(), false, false));
    }
  }

  /** Base and longest time an ejected instance stays out (doubling for each repeat in between). */
  static final long EJECTION_NANOS = 10_000_000_000L;
  static final int MAX_EJECTION_DOUBLINGS = 4; // 160 s

  /**
   * {@code e} failed {@link TierPolicy#ejectAfter()} calls in a row: out for a while, unless that would leave fewer
   * than half of the connected instances in the rotation (then the failures are the tier's or the caller's, not
   * this instance's, and ejecting would only concentrate the load).
   */
  private void maybeEject(Endpoint e) {
    if (e.ejected || !e.wasIn) {
      return;
    }
    int connected = 0;
    int serving = 0;
    for (ChildLbState c : getChildLbStates()) {
      Endpoint o = (Endpoint) c;
      if (o.getCurrentState() == ConnectivityState.READY) {
        connected++;
        serving += o.wasIn && !o.ejected ? 1 : 0;
      }
    }
    if (2 * (serving - 1) < connected) {
      return;
    }
    long out = EJECTION_NANOS << Math.min(e.ejections, MAX_EJECTION_DOUBLINGS);
    e.ejections++;
    e.ejected = true;
    getHelper().getChannelLogger().log(ChannelLogLevel.WARNING, "sfdb: {0} failed {1} calls in a row: out for {2} s",
        e.address, policy.ejectAfter(), out / 1_000_000_000L);
    log.warning("sfdb: gateway instance " + e.address + " failed " + policy.ejectAfter()
        + " calls in a row: ejected for " + out / 1_000_000_000L + " s");
    e.ejectionTimer = getHelper().getSynchronizationContext().schedule(() -> {
      e.ejectionTimer = null;
      e.ejected = false;
      e.consecutiveFailures.set(0);
      updateOverallBalancingState();
    }, out, java.util.concurrent.TimeUnit.NANOSECONDS, getHelper().getScheduledExecutorService());
    updateOverallBalancingState();
  }

  /** While an instance ramps up, its picker weighs it; when the last ramp ends, the picks go back to the plain ones. */
  private void scheduleRampEnd(long until, long now) {
    if (until <= now || until == rampTimerFor) {
      return;
    }
    if (rampTimer != null) {
      rampTimer.cancel();
    }
    rampTimerFor = until;
    rampTimer = getHelper().getSynchronizationContext().schedule(() -> {
      rampTimer = null;
      rampTimerFor = Long.MIN_VALUE;
      updateOverallBalancingState();
    }, until - now, java.util.concurrent.TimeUnit.NANOSECONDS, getHelper().getScheduledExecutorService());
  }

  private void update(ConnectivityState state, SubchannelPicker picker) {
    if (state != currentConnectivityState || !picker.equals(currentPicker)) {
      currentConnectivityState = state;
      currentPicker = picker;
      getHelper().updateBalancingState(state, picker);
    }
  }

  private void setPanic(boolean now) {
    if (now == panic) {
      return;
    }
    panic = now;
    getHelper().getChannelLogger().log(now ? ChannelLogLevel.WARNING : ChannelLogLevel.INFO, now
        ? "sfdb: every gateway instance failed its health checks: panic mode, sending to all of them"
        : "sfdb: panic mode over");
    if (now) {
      log.warning("sfdb: every gateway instance of " + getHelper().getAuthority()
          + " failed its health checks: panic mode, sending calls to all of them");
    }
  }

  /** One gateway instance's child: its pick_first, its health as the producer reports it, its calls in flight. */
  final class Endpoint extends ChildLbState {
    private final GatewayHost host;
    private final SocketAddress address;
    final AtomicInteger inFlight = new AtomicInteger();
    final PeakEwma latency = new PeakEwma(policy.ewmaDecay().toNanos(), policy.ticker().getAsLong());
    /** Failed calls in a row (ejection). */
    final AtomicInteger consecutiveFailures = new AtomicInteger();
    boolean ejected; // on the synchronization context
    int ejections;
    SynchronizationContext.ScheduledHandle ejectionTimer;

    /**
     * Counts the calls in flight (least_request, peak_ewma), times each (peak_ewma) and counts failures in a row
     * (ejection); installed on every pick of such a policy.
     */
    final ClientStreamTracer.Factory inFlightTracer = new ClientStreamTracer.Factory() {
      @Override
      public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
        inFlight.incrementAndGet();
        boolean timed = policy.pick() == Pick.PEAK_EWMA;
        long start = timed ? policy.ticker().getAsLong() : 0;
        return new ClientStreamTracer() {
          @Override
          public void streamClosed(Status status) {
            inFlight.decrementAndGet();
            boolean failed = INSTANCE_FAILURES.contains(status.getCode());
            if (timed) {
              long now = policy.ticker().getAsLong();
              latency.observe(now - start, !failed, now);
            }
            if (policy.ejectAfter() > 0) {
              if (!failed) {
                consecutiveFailures.set(0);
              } else if (consecutiveFailures.incrementAndGet() == policy.ejectAfter()) {
                TierLoadBalancer.this.getHelper().getSynchronizationContext().execute(() -> maybeEject(Endpoint.this));
              }
            }
          }
        };
      }
    };
    boolean wasIn; // in the rotation at the last update
    boolean everIn;
    private long enteredAt;
    private long rampNanos; // 0: no ramp since it entered
    private ConnectivityStateInfo raw = ConnectivityStateInfo.forNonError(ConnectivityState.IDLE);
    private ConnectivityStateInfo health = ConnectivityStateInfo.forNonError(ConnectivityState.CONNECTING);
    private Health verdict = Health.UNKNOWN;

    Endpoint(Object key, EquivalentAddressGroup group) {
      super(key, pickFirstLbProvider);
      this.host = group == null ? null : group.getAttributes().get(SfdbNameResolver.GATEWAY_HOST);
      this.address = group == null ? null : group.getAddresses().get(0);
    }

    /** It entered the rotation at {@code now}, ramping up over {@code rampNanos} (0: at once). */
    void enter(long now, long rampNanos) {
      this.everIn = true;
      this.enteredAt = now;
      this.rampNanos = rampNanos;
    }

    long rampsUntil() {
      return rampNanos == 0 ? Long.MIN_VALUE : enteredAt + rampNanos;
    }

    /** Its share of the calls now, relative to a full one: from 0.1 at entry to 1 at the end of its ramp. */
    double weight(long now) {
      long since = now - enteredAt;
      return rampNanos == 0 || since >= rampNanos ? 1 : 0.1 + 0.9 * Math.max(0, since) / rampNanos;
    }

    /** READY (healthy), TRANSIENT_FAILURE (found unhealthy) or anything else (not known yet). */
    ConnectivityState healthState() {
      return policy.health() == HealthCheckMode.OFF ? ConnectivityState.READY : health.getState();
    }

    @Override
    protected ChildLbStateHelper createChildHelper() {
      return new ChildLbStateHelper() {
        @Override
        public Subchannel createSubchannel(CreateSubchannelArgs args) {
          CreateSubchannelArgs withConsumer = policy.health() == HealthCheckMode.OFF ? args : args.toBuilder()
              .addOption(HEALTH_CONSUMER_LISTENER_ARG_KEY, Endpoint.this::onHealth).build();
          return new RawStateObserver(super.createSubchannel(withConsumer));
        }

        @Override
        public void updateBalancingState(ConnectivityState state, SubchannelPicker picker) {
          super.updateBalancingState(state, picker);
          if (state == ConnectivityState.IDLE && !resolvingAddresses) {
            getLb().requestConnection(); // as round_robin: reconnect at once, do not wait for a pick
          }
        }
      };
    }

    private void onHealth(ConnectivityStateInfo info) {
      health = info;
      if (info.getState() == ConnectivityState.READY) {
        verdict = Health.SERVING;
      } else if (info.getState() == ConnectivityState.TRANSIENT_FAILURE && getCurrentState() == ConnectivityState.READY) {
        verdict = Health.NOT_SERVING;
      } else if (info.getState() == ConnectivityState.CONNECTING || info.getState() == ConnectivityState.IDLE) {
        verdict = Health.UNKNOWN; // (re)connecting: the last verdict no longer holds
      } // a connection failure (TRANSIENT_FAILURE while not READY) leaves the last verdict as it was
      if (!resolvingAddresses) {
        updateOverallBalancingState();
      }
    }

    @Override
    protected void shutdown() {
      super.shutdown();
      if (policy.states() != null && host != null) {
        policy.states().remove(host, address);
      }
    }

    void report(boolean in) {
      if (policy.states() == null || host == null) {
        return;
      }
      Health h = policy.health() == HealthCheckMode.OFF ? Health.UNCHECKED : verdict;
      String problem = in ? ""
          : getCurrentState() == ConnectivityState.READY ? describe(health.getStatus())
          : raw.getStatus().isOk() ? "" : HealthChecks.describe(raw.getStatus());
      policy.states().update(host, address, getCurrentState(), h, in, problem);
    }

    private String describe(Status s) {
      return s.isOk() ? "" : s.getDescription() == null ? s.getCode().toString() : s.getDescription();
    }

    @Override
    public String toString() {
      return address + "/" + getCurrentState() + "/" + health.getState();
    }

    /** Remembers the connection's raw state (for the endpoint view's problem) and passes it on unchanged. */
    private final class RawStateObserver extends ForwardingSubchannel {
      private final Subchannel delegate;

      RawStateObserver(Subchannel delegate) {
        this.delegate = delegate;
      }

      @Override
      protected Subchannel delegate() {
        return delegate;
      }

      @Override
      public void start(SubchannelStateListener listener) {
        delegate.start(info -> {
          raw = info;
          listener.onSubchannelState(info);
        });
      }
    }
  }
}
