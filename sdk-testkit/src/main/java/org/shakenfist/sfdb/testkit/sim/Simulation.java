package org.shakenfist.sfdb.testkit.sim;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.internal.balance.ReconnectCap;
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
 * Simulation sim = Simulation.builder().instances(4).policy("peak_ewma").seed(7)
 *     .serviceTime(SimInstance.ServiceTime.lognormal(2, 0.3)).openLoop(400).duration(Duration.ofSeconds(60))
 *     .build();
 * sim.fault(1, Duration.ofSeconds(15), Duration.ofSeconds(45), () -> sim.instance(1).slowdown(10),
 *     () -> sim.instance(1).slowdown(1));
 * SimResult r = sim.run();
 * System.out.println(r.table());
 * }</pre>
 *
 * <p>Clients: one by default; {@link SimulationBuilder#clients} simulates a fleet of client processes, each with
 * a channel of its own (policy state, connections, health polls, retry budget), the calls spread over them at
 * random. Connections: one from each client to each instance, up in 1 ms; refused while the instance is down,
 * retried after grpc's backoff (1 s, x1.6, each wait jittered +-20 % as grpc's {@code ExponentialBackoffPolicy})
 * or at the client's next backoff reset, the SDK's cap ({@code ReconnectCap}: about every
 * {@code reconnectBackoffMax}, jittered; {@link SimulationBuilder#reconnectJitter} 0 turns both jitters off);
 * dropped when it goes down. Calls: picked when they arrive (calls
 * that find nothing to pick wait for the next picker; an error pick fails the attempt), served by the instance's
 * 64-worker pool; latency from the intended start (open loop) or the actual start (closed loop). With the
 * channel's {@code retryMethods} set, a failed attempt with a retryable code is retried as grpc does (gRFC A6:
 * jittered exponential backoff, at most {@code retryMaxAttempts}, throttled by the retry budget). Not simulated:
 * per-call deadlines, network delay, a call cut after its response headers (never retried by grpc).
 */
public final class Simulation {
  private static final MethodDescriptor<?, ?> ANY_UNARY = HealthGrpc.getCheckMethod(); // the pickers do not look

  private final VirtualClock clock = new VirtualClock();
  private final SynchronizationContext sync = new SynchronizationContext((t, e) -> {
    throw new IllegalStateException("the policy threw inside the simulation", e);
  });
  private final SplittableRandom serviceRandom;
  private final SplittableRandom arrivalRandom;
  private final SplittableRandom retryRandom;
  private final SplittableRandom connectRandom;
  private final List<SimInstance> instances = new ArrayList<>();
  private final List<Client> clients = new ArrayList<>();
  private final SimulationBuilder spec;
  private final DatabaseChannelConfig channel;
  private final boolean retries;
  private final SimResult.Recorder recorder;

  /** One client process: its channel's policy, connections, picker, waiting calls and retry budget. */
  final class Client {
    final LoadBalancer lb;
    final Map<SimInstance, List<SimSubchannel>> connections = new LinkedHashMap<>();
    final ArrayDeque<Call> pending = new ArrayDeque<>();
    LoadBalancer.SubchannelPicker picker;
    double retryTokens = channel.retryBudgetTokens();

    Client(java.util.function.IntUnaryOperator random) {
      for (SimInstance i : instances) {
        connections.put(i, new ArrayList<>());
      }
      // its own poll scope (null): a simulated process of one channel polls each instance once per interval
      TierPolicy policy = TierPolicy.of(channel, null).with(random, clock::nanos, null);
      this.lb = TierLoadBalancerProvider.newLoadBalancer(new SimHelper(Simulation.this, this), policy);
    }

    /** The SDK's reconnect cap ({@link ReconnectCap}) on this client's channel, in virtual time. */
    void resetBackoffs(boolean first) {
      if (!first) {
        for (List<SimSubchannel> cs : connections.values()) {
          List.copyOf(cs).forEach(SimSubchannel::resetBackoff);
        }
      }
      long cap = channel.reconnectBackoffMax().toNanos();
      // without jitter: at a fixed rate from the channel's start, as the SDK did before the cap was jittered
      long wait = spec.reconnectJitter == 0 ? cap : ReconnectCap.delayNanos(cap, first, connectRandom.nextDouble());
      clock.at(clock.nanos() + Math.max(1, wait), () -> resetBackoffs(false));
    }

    void newPicker(LoadBalancer.SubchannelPicker p) {
      picker = p;
      List<Call> waiting = new ArrayList<>(pending);
      pending.clear();
      // re-picked after the policy's update is done, as grpc's delayed transport does
      clock.execute(() -> waiting.forEach(Simulation.this::attempt));
    }
  }

  Simulation(SimulationBuilder b) {
    this.spec = b;
    this.channel = b.channel;
    this.retries = !channel.retryMethods().isEmpty();
    SplittableRandom root = new SplittableRandom(b.seed);
    // separate streams: a policy's own draws never shift the arrivals or service times another policy sees
    this.arrivalRandom = root.split();
    this.serviceRandom = root.split();
    SplittableRandom policyRandom = root.split();
    this.retryRandom = root.split();
    SplittableRandom phases = root.split();
    this.connectRandom = root.split();
    for (int i = 0; i < b.instances; i++) {
      SimInstance inst = new SimInstance("sim-" + i, this, b.serviceTime,
          (long) (phases.nextDouble() * SimInstance.HEALTH_LOOP_NANOS));
      instances.add(inst);
    }
    for (int c = 0; c < b.clients; c++) {
      SplittableRandom r = c == 0 ? policyRandom : policyRandom.split();
      clients.add(new Client(r::nextInt));
    }
    this.recorder = new SimResult.Recorder(instances.stream().map(SimInstance::name).toList(), b.duration.toNanos(),
        b.clients, b.warmup.toNanos());
  }

  public static SimulationBuilder builder() {
    return new SimulationBuilder();
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

  /**
   * A fault of instance {@code instance} from {@code from} to {@code to}: {@code start} and {@code end} run then,
   * and the result reports how long the instance took to fall to 5 % of the calls and to come back.
   */
  public void fault(int instance, Duration from, Duration to, Runnable start, Runnable end) {
    at(from, start);
    at(to, end);
    recorder.fault(instance, from.toNanos(), to.toNanos());
  }

  SplittableRandom random() {
    return serviceRandom;
  }

  /** Draws grpc's reconnect jitter. */
  SplittableRandom connectRandom() {
    return connectRandom;
  }

  double reconnectJitter() {
    return spec.reconnectJitter;
  }

  SynchronizationContext sync() {
    return sync;
  }

  SimResult.Recorder recorder() {
    return recorder;
  }

  int indexOf(SimInstance i) {
    return instances.indexOf(i);
  }

  /** Runs the whole simulation once. */
  public SimResult run() {
    List<EquivalentAddressGroup> groups = new ArrayList<>();
    for (SimInstance i : instances) {
      groups.add(new EquivalentAddressGroup(new SimHelper.SimAddress(i)));
      i.startHealthLoop();
    }
    for (Client c : clients) {
      sync.execute(() -> c.lb.acceptResolvedAddresses(LoadBalancer.ResolvedAddresses.newBuilder()
          .setAddresses(groups).build()));
      c.resetBackoffs(true);
    }
    long end = spec.duration.toNanos();
    if (spec.callers > 0) {
      for (int c = 0; c < spec.callers; c++) {
        clock.at(spec.warmup.toNanos(), this::callerStarts);
      }
    } else {
      clock.at(spec.warmup.toNanos(), this::arrive);
    }
    clock.runUntil(end);
    for (Client c : clients) {
      sync.execute(c.lb::shutdown);
    }
    return recorder.result(spec.describe());
  }

  /** Open loop: Poisson arrivals at the configured rate, each at its own intended time. */
  private void arrive() {
    long now = clock.nanos();
    attempt(new Call(now, null, client()));
    double gapSeconds = -Math.log(1 - arrivalRandom.nextDouble()) / spec.ratePerSecond;
    clock.at(now + Math.max(1, (long) (gapSeconds * 1e9)), this::arrive);
  }

  /** Closed loop: one caller's next call; the caller starts another when it ends. */
  private void callerStarts() {
    attempt(new Call(clock.nanos(), () -> clock.at(clock.nanos() + spec.thinkTime.toNanos(), this::callerStarts),
        client()));
  }

  /** The client a new call starts in: the only one, or one at random. */
  private Client client() {
    return clients.size() == 1 ? clients.get(0) : clients.get(arrivalRandom.nextInt(clients.size()));
  }

  private void attempt(Call call) {
    Client client = call.client;
    LoadBalancer.PickResult r = client.picker == null ? LoadBalancer.PickResult.withNoResult()
        : client.picker.pickSubchannel(PICK_ARGS);
    SimSubchannel s = r.getSubchannel() == null ? null : connected(client, r.getSubchannel());
    if (s != null) {
      call.attempts++;
      ClientStreamTracer tracer = r.getStreamTracerFactory() == null ? null
          : r.getStreamTracerFactory().newClientStreamTracer(STREAM_INFO, new Metadata());
      if (tracer != null) {
        tracer.streamCreated(Attributes.EMPTY, new Metadata());
      }
      recorder.sent(instances.indexOf(s.instance), clock.nanos());
      s.instance.handle(status -> {
        if (tracer != null) {
          tracer.streamClosed(status);
        }
        attemptEnded(call, status);
      });
    } else if (r.getSubchannel() == null && !r.getStatus().isOk()) {
      call.attempts++;
      attemptEnded(call, r.getStatus()); // fails at the pick, as a call without waitForReady
    } else {
      client.pending.add(call); // nothing to pick yet: waits for the next picker, as grpc's delayed transport
    }
  }

  /** An attempt ended: the call is done, or retried as the channel's retry policy and budget allow. */
  private void attemptEnded(Call call, Status status) {
    boolean retryable = retries && channel.retryStatusCodes().contains(status.getCode());
    int maxTokens = channel.retryBudgetTokens();
    Client c = call.client;
    if (maxTokens > 0) {
      c.retryTokens = status.isOk() ? Math.min(maxTokens, c.retryTokens + channel.retryBudgetRatio())
          : retryable ? Math.max(0, c.retryTokens - 1) : c.retryTokens;
    }
    if (!status.isOk() && retryable && call.attempts < channel.retryMaxAttempts()
        && (maxTokens == 0 || c.retryTokens > maxTokens / 2.0)) {
      // gRFC A6: the n-th retry waits random(0, min(initialBackoff * 2^(n-1), maxBackoff))
      double cap = Math.min(channel.retryInitialBackoff().toNanos() * Math.pow(2, call.attempts - 1),
          channel.retryMaxBackoff().toNanos());
      clock.at(clock.nanos() + (long) (retryRandom.nextDouble() * cap), () -> attempt(call));
      return;
    }
    recorder.done(call.start, clock.nanos(), status, call.attempts);
    if (call.then != null) {
      call.then.run();
    }
  }

  /** The READY simulated connection under a picked subchannel (the policy hands out its own wrappers). */
  private SimSubchannel connected(Client client, LoadBalancer.Subchannel picked) {
    SimInstance i = SimHelper.instanceOf(picked.getAllAddresses().get(0));
    for (SimSubchannel c : client.connections.get(i)) {
      if (c.state == ConnectivityState.READY) {
        return c;
      }
    }
    return null;
  }

  /** An instance went down: its connections drop (to IDLE, as grpc's transport closing). */
  void connectionsDropped(SimInstance instance) {
    for (Client c : clients) {
      for (SimSubchannel s : List.copyOf(c.connections.get(instance))) {
        if (s.state == ConnectivityState.READY) {
          s.moveTo(ConnectivityState.IDLE, Status.OK);
        }
      }
    }
  }

  /** One call: when it started, what runs when it ends (closed loop), its attempts so far. */
  private static final class Call {
    final long start;
    final Runnable then;
    final Client client;
    int attempts;

    Call(long start, Runnable then, Client client) {
      this.start = start;
      this.then = then;
      this.client = client;
    }
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
    public MethodDescriptor<?, ?> getMethodDescriptor() {
      return ANY_UNARY;
    }
  };
}
