package org.shakenfist.sfdb.testkit.sim;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelLogger;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A simulated connection of one client to one {@link SimInstance}: IDLE → CONNECTING → READY in 1 ms, or
 * TRANSIENT_FAILURE when the instance is down and a retry after grpc's jittered backoff (or at the client's next
 * backoff reset, the SDK's cap); dropped to IDLE when the instance goes down. Its
 * channel takes {@code Health/Check} calls, which the instance answers in virtual time (deadlines honoured).
 */
final class SimSubchannel extends LoadBalancer.Subchannel {
  static final ChannelLogger QUIET = new ChannelLogger() {
    @Override
    public void log(ChannelLogLevel level, String message) {}

    @Override
    public void log(ChannelLogLevel level, String messageFormat, Object... args) {}
  };
  private static final long CONNECT_NANOS = 1_000_000;
  private static final long BACKOFF_FIRST_NANOS = 1_000_000_000;
  private static final long BACKOFF_MAX_NANOS = 120_000_000_000L; // grpc's; the SDK's cap is the client's reset

  final SimInstance instance;
  private final LoadBalancer.CreateSubchannelArgs args;
  private final Simulation sim;
  private final Simulation.Client client;
  private LoadBalancer.SubchannelStateListener listener;
  ConnectivityState state = ConnectivityState.IDLE;
  private long backoff = BACKOFF_FIRST_NANOS;
  private ScheduledFuture<?> pending;

  SimSubchannel(LoadBalancer.CreateSubchannelArgs args, SimInstance instance, Simulation sim,
      Simulation.Client client) {
    this.args = args;
    this.instance = instance;
    this.sim = sim;
    this.client = client;
  }

  @Override
  public void start(LoadBalancer.SubchannelStateListener l) {
    listener = l;
  }

  @Override
  public void requestConnection() {
    if (state == ConnectivityState.IDLE) {
      connect();
    }
  }

  private void connect() {
    sim.recorder().connectAttempt(sim.indexOf(instance), sim.clock().nanos());
    moveTo(ConnectivityState.CONNECTING, Status.OK);
    pending = sim.clock().schedule(() -> {
      if (state != ConnectivityState.CONNECTING) {
        return;
      }
      if (instance.isUp()) {
        backoff = BACKOFF_FIRST_NANOS;
        moveTo(ConnectivityState.READY, Status.OK);
      } else {
        moveTo(ConnectivityState.TRANSIENT_FAILURE, Status.UNAVAILABLE.withDescription("connection refused"));
        // grpc's ExponentialBackoffPolicy: the current backoff +- jitter x itself, then x1.6 up to 120 s
        double jitter = sim.reconnectJitter();
        long wait = jitter == 0 ? backoff
            : (long) (backoff * (1 + jitter * (2 * sim.connectRandom().nextDouble() - 1)));
        backoff = Math.min(BACKOFF_MAX_NANOS, (long) (backoff * 1.6));
        pending = sim.clock().schedule(this::connect, wait, TimeUnit.NANOSECONDS);
      }
    }, CONNECT_NANOS, TimeUnit.NANOSECONDS);
  }

  /** grpc's {@code resetConnectBackoff()}: a connection waiting out its backoff tries again now, from 1 s. */
  void resetBackoff() {
    backoff = BACKOFF_FIRST_NANOS;
    if (state == ConnectivityState.TRANSIENT_FAILURE) {
      if (pending != null) {
        pending.cancel(false);
      }
      connect();
    }
  }

  void moveTo(ConnectivityState s, Status status) {
    if (state == ConnectivityState.SHUTDOWN) {
      return;
    }
    if ((state == ConnectivityState.READY) != (s == ConnectivityState.READY)) {
      sim.recorder().connected(sim.indexOf(instance), s == ConnectivityState.READY ? 1 : -1, sim.clock().nanos());
    }
    state = s;
    ConnectivityStateInfo info = s == ConnectivityState.TRANSIENT_FAILURE
        ? ConnectivityStateInfo.forTransientFailure(status) : ConnectivityStateInfo.forNonError(s);
    sim.sync().execute(() -> listener.onSubchannelState(info));
  }

  @Override
  public void shutdown() {
    if (pending != null) {
      pending.cancel(false);
    }
    if (state == ConnectivityState.READY) {
      sim.recorder().connected(sim.indexOf(instance), -1, sim.clock().nanos());
    }
    state = ConnectivityState.SHUTDOWN;
    client.connections.get(instance).remove(this);
  }

  @Override
  public List<EquivalentAddressGroup> getAllAddresses() {
    return args.getAddresses();
  }

  @Override
  public Attributes getAttributes() {
    return args.getAttributes();
  }

  @Override
  public ChannelLogger getChannelLogger() {
    return QUIET;
  }

  @Override
  public Channel asChannel() {
    return new Channel() {
      @Override
      @SuppressWarnings("unchecked")
      public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
        if (!HealthGrpc.getCheckMethod().getFullMethodName().equals(method.getFullMethodName())) {
          throw new UnsupportedOperationException("a simulated subchannel takes Health/Check only: " + method);
        }
        return (ClientCall<Q, R>) new HealthCall(options);
      }

      @Override
      public String authority() {
        return instance.name();
      }
    };
  }

  /** One Health/Check, answered by the instance or ended by its deadline, in virtual time. */
  private final class HealthCall extends ClientCall<Object, HealthCheckResponse> {
    private final long timeoutNanos;
    private Listener<HealthCheckResponse> listener;
    private boolean closed;

    HealthCall(CallOptions options) {
      // grpc's Deadline runs on the wall clock: read the timeout it was made with, to the millisecond
      long left = options.getDeadline() == null ? Long.MAX_VALUE : options.getDeadline().timeRemaining(TimeUnit.NANOSECONDS);
      this.timeoutNanos = left == Long.MAX_VALUE ? left : Math.round(left / 1e6) * 1_000_000;
    }

    @Override
    public void start(Listener<HealthCheckResponse> l, Metadata headers) {
      listener = l;
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void sendMessage(Object message) {}

    @Override
    public void halfClose() {
      if (state != ConnectivityState.READY) {
        close(Status.UNAVAILABLE.withDescription("not connected"), null);
        return;
      }
      if (timeoutNanos != Long.MAX_VALUE) {
        sim.clock().schedule(() -> close(Status.DEADLINE_EXCEEDED.withDescription("poll timed out"), null),
            timeoutNanos, TimeUnit.NANOSECONDS);
      }
      instance.check(serving -> close(Status.OK, HealthCheckResponse.newBuilder().setStatus(serving
          ? HealthCheckResponse.ServingStatus.SERVING : HealthCheckResponse.ServingStatus.NOT_SERVING).build()));
    }

    @Override
    public void cancel(String message, Throwable cause) {
      close(Status.CANCELLED.withDescription(message), null);
    }

    private void close(Status status, HealthCheckResponse response) {
      if (closed) {
        return;
      }
      closed = true;
      if (response != null) {
        listener.onHeaders(new Metadata());
        listener.onMessage(response);
      }
      listener.onClose(status, new Metadata());
    }
  }
}
