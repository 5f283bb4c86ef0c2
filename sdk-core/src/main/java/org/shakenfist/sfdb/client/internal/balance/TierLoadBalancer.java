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
 *       to none; when fewer than the panic threshold's share of the instances are in the rotation, the connected
 *       ones out only by ejection or unanswered polls come back in (never one that answered NOT_SERVING while
 *       another serves); logged once per panic;</li>
 *   <li>reports every instance's state to the channel's {@link EndpointStates}.</li>
 * </ul>
 * Every method runs on the channel's synchronization context; the picker runs on callers' threads.
 */
final class TierLoadBalancer extends MultiChildLoadBalancer {
  private static final Logger log = Logger.getLogger(TierLoadBalancer.class.getName());
  private final TierPolicy policy;
  private final AtomicInteger sequence;
  private final Map<Object, EquivalentAddressGroup> groups = new HashMap<>();
  private SubchannelPicker currentPicker;
  private Panic panic = Panic.NONE;
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
    getChildLbStates().forEach(c -> ((Endpoint) c).ejection.cancel());
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
    List<Endpoint> spare = new ArrayList<>(); // out only by ejection or unanswered polls: the panic threshold's
    boolean awaitingHealth = false; // connected, first health answer not in yet
    boolean connecting = false;
    for (ChildLbState c : getChildLbStates()) {
      Endpoint e = (Endpoint) c;
      ConnectivityState s = e.getCurrentState();
      if (s == ConnectivityState.READY) {
        switch (e.healthState()) {
          case READY -> {
            if (e.ejection.out) {
              unhealthy.add(e);
              spare.add(e);
            } else {
              inRotation.add(e);
            }
          }
          case TRANSIENT_FAILURE -> {
            unhealthy.add(e);
            if (e.health.unanswered()) {
              spare.add(e);
            }
          }
          default -> awaitingHealth = true;
        }
      } else if (s == ConnectivityState.CONNECTING || s == ConnectivityState.IDLE) {
        connecting = true;
      }
    }
    // panic: every connected instance was found unhealthy (one still connecting or reconnecting does not count);
    // or fewer than the threshold's share of all instances are in, and some connected are out only by ejection or
    // unanswered polls (an overloaded instance answers late: taking it out piles its load onto the rest)
    int total = getChildLbStates().size();
    Panic mode = inRotation.isEmpty() && !unhealthy.isEmpty() && !awaitingHealth ? Panic.ALL
        : !inRotation.isEmpty() && !spare.isEmpty() && 100L * inRotation.size() < (long) policy.panicThreshold() * total
        ? Panic.THRESHOLD : Panic.NONE;
    setPanic(mode, inRotation.size(), total, spare.size());
    boolean waiting = awaitingHealth || connecting;
    if (panic == Panic.ALL) {
      inRotation = unhealthy;
    } else if (panic == Panic.THRESHOLD) {
      inRotation.addAll(spare);
    }
    boolean panicking = panic != Panic.NONE;
    long now = policy.ticker().getAsLong();
    // slow start: an instance that enters while another one stays in ramps up; not in panic, not when it is the
    // only one, and not among a channel's first instances (their first answers come in over its first seconds)
    boolean served = false;
    for (Endpoint e : inRotation) {
      served |= e.wasIn;
    }
    if (inRotation.isEmpty() || panicking) {
      servingSince = Long.MIN_VALUE;
    } else if (servingSince == Long.MIN_VALUE) {
      servingSince = now;
    }
    long window = panicking ? 0 : policy.slowStart().toNanos();
    long rampsUntil = Long.MIN_VALUE;
    for (ChildLbState c : getChildLbStates()) {
      Endpoint e = (Endpoint) c;
      boolean in = inRotation.contains(e);
      if (!in) {
        e.latency.reset(now); // when it returns, its old latency no longer says anything
      } else if (!e.wasIn) {
        boolean ramps = served && window > 0 && (e.ramp.everIn() || now - servingSince >= STARTUP_NANOS);
        e.ramp.enter(now, ramps ? window : 0);
      }
      if (in && e.ramp.until() > now) {
        rampsUntil = Math.max(rampsUntil, e.ramp.until());
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

  /**
   * {@code e} failed {@link TierPolicy#ejectAfter()} calls in a row, or half of its last {@link Ejection#WINDOW}
   * calls; if its failures stand out against the other instances' in the rotation ({@link Ejection#standsOut}:
   * errors spread evenly over the instances eject none), it is out for a while, unless that would leave fewer
   * than half of the connected instances in the rotation (then the failures are the tier's or the caller's, not
   * this instance's, and ejecting would only concentrate the load).
   */
  private void maybeEject(Endpoint e) {
    if (e.ejection.out || !e.wasIn) {
      return;
    }
    int connected = 0;
    int serving = 0;
    double othersRate = 0;
    int others = 0;
    for (ChildLbState c : getChildLbStates()) {
      Endpoint o = (Endpoint) c;
      if (o.getCurrentState() == ConnectivityState.READY) {
        connected++;
        boolean in = o.wasIn && !o.ejection.out;
        serving += in ? 1 : 0;
        if (in && o != e) {
          othersRate += o.ejection.longRate();
          others++;
        }
      }
    }
    double rate = others == 0 ? 0 : othersRate / others;
    // a window's ratio alone, scanned at every failure, shows extremes by chance: the ratio trigger also needs the
    // instance's own long-run rate, over at least 50 calls, at twice the others'
    if (!Ejection.allowed(serving, connected) || !Ejection.standsOut(e.ejection.failures(), rate)
        || !e.ejection.inARowTrigger && !e.ejection.longRateAbove(2 * rate)) {
      return;
    }
    String why = e.ejection.inARowTrigger ? policy.ejectAfter() + " failed calls in a row" : e.ejection.ratioReason();
    long out = e.ejection.eject(why);
    getHelper().getChannelLogger().log(ChannelLogLevel.WARNING, "sfdb: {0}: {1}: out for {2} s",
        e.address, why, out / 1_000_000_000L);
    log.warning("sfdb: gateway instance " + e.address + ": " + why + ": ejected for " + out / 1_000_000_000L + " s");
    e.ejection.timer = getHelper().getSynchronizationContext().schedule(() -> {
      e.ejection.restore();
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

  /** Whether, and why, calls go to instances found unhealthy. */
  private enum Panic { NONE, THRESHOLD, ALL }

  private void setPanic(Panic now, int in, int total, int spare) {
    if (now == panic) {
      return;
    }
    Panic before = panic;
    panic = now;
    String message = switch (now) {
      case ALL -> "every gateway instance (" + total + ") failed its health checks: panic mode, sending calls to "
          + "all of them";
      case THRESHOLD -> in + " of " + total + " gateway instances in the rotation, below the panic threshold of "
          + policy.panicThreshold() + " %: panic mode, sending calls to the " + spare
          + " ejected or not answering health polls too";
      case NONE -> "panic mode over: " + (before == Panic.ALL ? "an instance passed its health checks"
          : "enough instances in the rotation");
    };
    getHelper().getChannelLogger().log(now == Panic.NONE ? ChannelLogLevel.INFO : ChannelLogLevel.WARNING,
        "sfdb: " + message);
    if (now == Panic.NONE) {
      log.info("sfdb: " + message);
    } else {
      log.warning("sfdb: " + message);
    }
  }

  /** One gateway instance's child: its pick_first, its health as the producer reports it, its calls in flight. */
  final class Endpoint extends ChildLbState {
    private final GatewayHost host;
    private final SocketAddress address;
    final AtomicInteger inFlight = new AtomicInteger();
    final PeakEwma latency = new PeakEwma(policy.ewmaDecay().toNanos(), policy.ticker().getAsLong());
    final Ejection ejection = new Ejection();
    final Ramp ramp = new Ramp();
    /** Installed on every pick of a policy that counts, times or ejects (see {@link EndpointTracer}). */
    final ClientStreamTracer.Factory inFlightTracer = new EndpointTracer(policy, inFlight, latency, ejection,
        () -> TierLoadBalancer.this.getHelper().getSynchronizationContext().execute(() -> maybeEject(this)));
    boolean wasIn; // in the rotation at the last update
    private final EndpointHealth health = new EndpointHealth();

    Endpoint(Object key, EquivalentAddressGroup group) {
      super(key, pickFirstLbProvider);
      this.host = group == null ? null : group.getAttributes().get(SfdbNameResolver.GATEWAY_HOST);
      this.address = group == null ? null : group.getAddresses().get(0);
    }

    double weight(long now) {
      return ramp.weight(now);
    }

    /** READY (healthy), TRANSIENT_FAILURE (found unhealthy) or anything else (not known yet). */
    ConnectivityState healthState() {
      return policy.health() == HealthCheckMode.OFF ? ConnectivityState.READY : health.state();
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
      health.report(info, getCurrentState() == ConnectivityState.READY);
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
      Health h = policy.health() == HealthCheckMode.OFF ? Health.UNCHECKED : health.verdict();
      String problem = !in && ejection.out ? "ejected: " + ejection.why
          : health.problem(in, getCurrentState() == ConnectivityState.READY);
      policy.states().update(host, address, getCurrentState(), h, in, problem);
    }

    @Override
    public String toString() {
      return address + "/" + getCurrentState() + "/" + health.state();
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
          health.raw(info);
          listener.onSubchannelState(info);
        });
      }
    }
  }
}
