package org.shakenfist.sfdb.testkit.sim;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.internal.balance.TierLoadBalancerProvider;
import org.shakenfist.sfdb.client.internal.balance.TierPolicy;

/**
 * A deterministic, discrete-event simulation of one client's channel over a tier, in virtual time: the SDK's own
 * balancing stack (the tier policy, its health producer, pick_first per instance, the pickers) is driven through
 * a simulated helper whose subchannels connect to {@link SimInstance}s, whose health polls those instances
 * answer, and whose timers run on a {@link VirtualClock}. Nothing is re-implemented: a policy change shows here
 * as it would on a channel. The same builder and seed give the same result, byte for byte.
 *
 * <pre>{@code
 * Simulation sim = Simulation.builder().instances(4).policy("least_request").seed(7)
 *     .serviceTime(SimInstance.ServiceTime.lognormal(2, 0.3)).openLoop(400).duration(Duration.ofSeconds(60))
 *     .build();
 * sim.at(Duration.ofSeconds(15), () -> sim.instance(1).slowdown(10));
 * sim.at(Duration.ofSeconds(45), () -> sim.instance(1).slowdown(1));
 * SimResult r = sim.run();
 * System.out.println(r.table());
 * }</pre>
 *
 * <p>Connections: one to each instance, up in 1 ms; refused while the instance is down, retried after grpc's
 * backoff (1 s, x1.6, capped at the SDK's 5 s); dropped when it goes down. Calls: picked when they arrive (calls
 * that find nothing to pick wait for the next picker; an error pick fails them), served by the instance's
 * 64-worker pool, latency measured from the intended arrival time. Not simulated yet: retries and the retry
 * budget, per-call deadlines, network delay.
 */
public final class Simulation {
  private final VirtualClock clock = new VirtualClock();
  private final SynchronizationContext sync = new SynchronizationContext((t, e) -> {
    throw new IllegalStateException("the policy threw inside the simulation", e);
  });
  private final SplittableRandom serviceRandom;
  private final SplittableRandom arrivalRandom;
  private final List<SimInstance> instances = new ArrayList<>();
  private final Map<SimInstance, List<SimSubchannel>> connections = new LinkedHashMap<>();
  private final ArrayDeque<Call> pending = new ArrayDeque<>();
  private final Builder spec;
  private final LoadBalancer lb;
  private final SimResult.Recorder recorder;
  private LoadBalancer.SubchannelPicker picker;

  private Simulation(Builder b) {
    this.spec = b;
    SplittableRandom root = new SplittableRandom(b.seed);
    // separate streams: a policy's own draws never shift the arrivals or service times another policy sees
    this.arrivalRandom = root.split();
    this.serviceRandom = root.split();
    SplittableRandom policyRandom = root.split();
    for (int i = 0; i < b.instances; i++) {
      SimInstance inst = new SimInstance("sim-" + i, this, b.serviceTime);
      instances.add(inst);
      connections.put(inst, new ArrayList<>());
    }
    TierPolicy defaults = TierPolicy.of(DatabaseChannelConfig.builder().hosts("sim").loadBalancingPolicy(b.policy)
        .healthCheck(b.healthCheck).ewmaDecay(b.ewmaDecay).build(), null);
    TierPolicy policy = defaults.with(policyRandom::nextInt, clock::nanos);
    this.lb = TierLoadBalancerProvider.newLoadBalancer(new SimHelper(), policy);
    this.recorder = new SimResult.Recorder(instances.stream().map(SimInstance::name).toList(), b.duration.toNanos());
  }

  public static Builder builder() {
    return new Builder();
  }

  public VirtualClock clock() {
    return clock;
  }

  public SimInstance instance(int i) {
    return instances.get(i);
  }

  public List<SimInstance> instances() {
    return List.copyOf(instances);
  }

  /** Runs {@code event} at virtual time {@code at} from the start (scenarios change instances this way). */
  public void at(Duration at, Runnable event) {
    clock.at(at.toNanos(), event);
  }

  SplittableRandom random() {
    return serviceRandom;
  }

  /** Runs the whole simulation once. */
  public SimResult run() {
    List<EquivalentAddressGroup> groups = new ArrayList<>();
    for (SimInstance i : instances) {
      groups.add(new EquivalentAddressGroup(new SimAddress(i)));
    }
    sync.execute(() -> lb.acceptResolvedAddresses(LoadBalancer.ResolvedAddresses.newBuilder()
        .setAddresses(groups).build()));
    long end = spec.duration.toNanos();
    if (spec.ratePerSecond > 0) {
      clock.at(spec.warmup.toNanos(), this::arrive);
    }
    clock.runUntil(end);
    sync.execute(lb::shutdown);
    return recorder.result(spec.describe());
  }

  /** Open loop: Poisson arrivals at the configured rate, each at its own intended time. */
  private void arrive() {
    long now = clock.nanos();
    submit(new Call(now));
    double gapSeconds = -Math.log(1 - arrivalRandom.nextDouble()) / spec.ratePerSecond;
    clock.at(now + Math.max(1, (long) (gapSeconds * 1e9)), this::arrive);
  }

  private void submit(Call call) {
    LoadBalancer.PickResult r = picker == null ? LoadBalancer.PickResult.withNoResult()
        : picker.pickSubchannel(PICK_ARGS);
    SimSubchannel s = r.getSubchannel() == null ? null : connected(r.getSubchannel());
    if (s != null) {
      ClientStreamTracer tracer = r.getStreamTracerFactory() == null ? null
          : r.getStreamTracerFactory().newClientStreamTracer(STREAM_INFO, new Metadata());
      if (tracer != null) {
        tracer.streamCreated(Attributes.EMPTY, new Metadata());
      }
      s.instance.handle(status -> {
        if (tracer != null) {
          tracer.streamClosed(status);
        }
        recorder.done(s.instance.name(), call.intended, clock.nanos(), status.isOk());
      });
    } else if (r.getSubchannel() == null && !r.getStatus().isOk()) {
      recorder.done(null, call.intended, clock.nanos(), false); // fails fast, as a call without waitForReady
    } else {
      pending.add(call); // nothing to pick yet: waits for the next picker, as grpc's delayed transport
    }
  }

  /** The READY simulated connection under a picked subchannel (the policy hands out its own wrappers). */
  private SimSubchannel connected(LoadBalancer.Subchannel picked) {
    SimInstance i = ((SimAddress) picked.getAllAddresses().get(0).getAddresses().get(0)).instance;
    for (SimSubchannel c : connections.get(i)) {
      if (c.state == ConnectivityState.READY) {
        return c;
      }
    }
    return null;
  }

  /** An instance went down: its connections drop (to IDLE, as grpc's transport closing). */
  void connectionsDropped(SimInstance instance) {
    for (SimSubchannel s : List.copyOf(connections.get(instance))) {
      if (s.state == ConnectivityState.READY) {
        s.moveTo(ConnectivityState.IDLE, Status.OK);
      }
    }
  }

  private record Call(long intended) {}

  private static final class SimAddress extends SocketAddress {
    private static final long serialVersionUID = 1L;
    final transient SimInstance instance;

    SimAddress(SimInstance instance) {
      this.instance = instance;
    }

    @Override
    public String toString() {
      return instance.name();
    }
  }

  private final class SimHelper extends LoadBalancer.Helper {
    @Override
    public LoadBalancer.Subchannel createSubchannel(LoadBalancer.CreateSubchannelArgs args) {
      SimInstance i = ((SimAddress) args.getAddresses().get(0).getAddresses().get(0)).instance;
      SimSubchannel s = new SimSubchannel(args, i, Simulation.this);
      connections.get(i).add(s);
      return s;
    }

    @Override
    public void updateBalancingState(ConnectivityState state, LoadBalancer.SubchannelPicker newPicker) {
      picker = newPicker;
      List<Call> waiting = new ArrayList<>(pending);
      pending.clear();
      // re-picked after the policy's update is done, as grpc's delayed transport does
      clock.execute(() -> waiting.forEach(Simulation.this::submit));
    }

    @Override
    public void refreshNameResolution() {}

    @Override
    public io.grpc.ManagedChannel createOobChannel(EquivalentAddressGroup eag, String authority) {
      throw new UnsupportedOperationException();
    }

    @Override
    public SynchronizationContext getSynchronizationContext() {
      return sync;
    }

    @Override
    public java.util.concurrent.ScheduledExecutorService getScheduledExecutorService() {
      return clock;
    }

    @Override
    public String getAuthority() {
      return "simulated-tier";
    }

    @Override
    public io.grpc.ChannelLogger getChannelLogger() {
      return SimSubchannel.QUIET;
    }
  }

  void removed(SimSubchannel s) {
    connections.get(s.instance).remove(s);
  }

  SynchronizationContext sync() {
    return sync;
  }

  private static final ClientStreamTracer.StreamInfo STREAM_INFO =
      ClientStreamTracer.StreamInfo.newBuilder().setCallOptions(CallOptions.DEFAULT).build();

  private static final LoadBalancer.PickSubchannelArgs PICK_ARGS = new LoadBalancer.PickSubchannelArgs() {
    @Override
    public CallOptions getCallOptions() {
      return CallOptions.DEFAULT;
    }

    @Override
    public Metadata getHeaders() {
      return new Metadata();
    }

    @Override
    public io.grpc.MethodDescriptor<?, ?> getMethodDescriptor() {
      return io.grpc.health.v1.HealthGrpc.getCheckMethod(); // any unary method: the pickers do not look
    }
  };

  /** What to simulate. */
  public static final class Builder {
    private int instances = 3;
    private SimInstance.ServiceTime serviceTime = SimInstance.ServiceTime.lognormal(2, 0.3);
    private String policy = "round_robin";
    private org.shakenfist.sfdb.client.HealthCheckMode healthCheck = org.shakenfist.sfdb.client.HealthCheckMode.POLL;
    private long seed = 1;
    private double ratePerSecond = 300;
    private Duration duration = Duration.ofSeconds(60);
    private Duration warmup = Duration.ofSeconds(1);
    private String name = "custom";
    private Duration ewmaDecay = Duration.ofSeconds(10);

    public Builder instances(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("instances must be at least 1, got " + n);
      }
      this.instances = n;
      return this;
    }

    public Builder serviceTime(SimInstance.ServiceTime t) {
      this.serviceTime = Objects.requireNonNull(t);
      return this;
    }

    /** A {@code SHAKENFIST_MARIADB_GATEWAY_LB_POLICY} value. */
    public Builder policy(String policy) {
      this.policy = Objects.requireNonNull(policy);
      return this;
    }

    public Builder healthCheck(org.shakenfist.sfdb.client.HealthCheckMode mode) {
      this.healthCheck = Objects.requireNonNull(mode);
      return this;
    }

    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Poisson arrivals at {@code callsPerSecond} (open loop), from the end of the warm-up on. */
    public Builder openLoop(double callsPerSecond) {
      if (!(callsPerSecond > 0)) {
        throw new IllegalArgumentException("the rate must be positive, got " + callsPerSecond);
      }
      this.ratePerSecond = callsPerSecond;
      return this;
    }

    public Builder duration(Duration d) {
      this.duration = Objects.requireNonNull(d);
      return this;
    }

    /** When the load starts (connections and first health answers come before). */
    public Builder warmup(Duration d) {
      this.warmup = Objects.requireNonNull(d);
      return this;
    }

    /** {@code peak_ewma}'s decay (the channel setting {@code ewmaDecay}). */
    public Builder ewmaDecay(Duration d) {
      this.ewmaDecay = Objects.requireNonNull(d);
      return this;
    }

    /** The scenario's name in the result. */
    public Builder name(String name) {
      this.name = Objects.requireNonNull(name);
      return this;
    }

    String describe() {
      return name + " policy=" + policy + " instances=" + instances + " seed=" + seed + " rate=" + ratePerSecond
          + "/s duration=" + duration.toSeconds() + "s";
    }

    public Simulation build() {
      return new Simulation(this);
    }
  }
}
