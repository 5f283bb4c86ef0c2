package org.shakenfist.sfdb.client.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
import io.grpc.SynchronizationContext;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A fake {@link LoadBalancer.Helper} in grpc-java's test style: its subchannels connect nowhere (the test sets
 * their state), their channel takes only unary {@code Health/Check} calls, which the test answers by hand, and
 * its timers run on a {@link ManualClock}. Everything runs on one {@link SynchronizationContext}; nothing sleeps.
 */
public final class FakeLoadBalancerHelper extends LoadBalancer.Helper {
  public final SynchronizationContext sync = new SynchronizationContext((t, e) -> {
    throw new AssertionError(e);
  });
  public final ManualClock clock = new ManualClock();
  /** Subchannels by address name, in creation order. */
  public final Map<String, FakeSubchannel> subchannels = new LinkedHashMap<>();
  public final List<String> channelLog = new ArrayList<>();
  public ConnectivityState state;
  public LoadBalancer.SubchannelPicker picker;
  private int shutdowns;

  /** One address group per name. */
  public static List<EquivalentAddressGroup> groups(String... names) {
    List<EquivalentAddressGroup> out = new ArrayList<>();
    for (String n : names) {
      out.add(new EquivalentAddressGroup(new FakeAddress(n)));
    }
    return out;
  }

  /** The address name a pick result chose, or null when it chose none. */
  public static String name(LoadBalancer.PickResult r) {
    return r.getSubchannel() == null ? null
        : ((FakeAddress) r.getSubchannel().getAddresses().getAddresses().get(0)).name;
  }

  /** One pick of the current picker. */
  public LoadBalancer.PickResult pick() {
    return picker.pickSubchannel(new PickArgs());
  }

  /** The address names the current picker returns over {@code picks} picks. */
  public Set<String> picked(int picks) {
    Set<String> out = new TreeSet<>();
    for (int i = 0; i < picks; i++) {
      String n = name(pick());
      if (n != null) {
        out.add(n);
      }
    }
    return out;
  }

  /** Subchannels shut down so far. */
  public int shutdowns() {
    return shutdowns;
  }

  @Override
  public LoadBalancer.Subchannel createSubchannel(LoadBalancer.CreateSubchannelArgs args) {
    FakeSubchannel s = new FakeSubchannel(args);
    subchannels.put(((FakeAddress) args.getAddresses().get(0).getAddresses().get(0)).name, s);
    return s;
  }

  @Override
  public void updateBalancingState(ConnectivityState newState, LoadBalancer.SubchannelPicker newPicker) {
    state = newState;
    picker = newPicker;
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
  public ScheduledExecutorService getScheduledExecutorService() {
    return clock;
  }

  @Override
  public String getAuthority() {
    return "fake-tier";
  }

  @Override
  public ChannelLogger getChannelLogger() {
    return new ChannelLogger() {
      @Override
      public void log(ChannelLogLevel level, String message) {
        channelLog.add(level + " " + message);
      }

      @Override
      public void log(ChannelLogLevel level, String messageFormat, Object... args) {
        channelLog.add(level + " " + java.text.MessageFormat.format(messageFormat, args));
      }
    };
  }

  /** A socket address that is only a name. */
  public static final class FakeAddress extends SocketAddress {
    private static final long serialVersionUID = 1L;
    final String name;

    public FakeAddress(String name) {
      this.name = name;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof FakeAddress f && f.name.equals(name);
    }

    @Override
    public int hashCode() {
      return name.hashCode();
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** Pick arguments of a unary call. */
  public static final class PickArgs extends LoadBalancer.PickSubchannelArgs {
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
      return HealthGrpc.getCheckMethod();
    }
  }

  /** A subchannel that connects nowhere; its channel only takes Health/Check calls, answered by the test. */
  public final class FakeSubchannel extends LoadBalancer.Subchannel {
    private final LoadBalancer.CreateSubchannelArgs args;
    public final List<FakeCall> calls = new ArrayList<>();
    private LoadBalancer.SubchannelStateListener listener;
    public int connectionRequests;
    public boolean shutdown;

    FakeSubchannel(LoadBalancer.CreateSubchannelArgs args) {
      this.args = args;
    }

    /** What the policy above passed when it created this subchannel. */
    public LoadBalancer.CreateSubchannelArgs args() {
      return args;
    }

    /** The connection reaches {@code s} (from the synchronization context). */
    public void setState(ConnectivityState s) {
      setState(s == ConnectivityState.TRANSIENT_FAILURE
          ? ConnectivityStateInfo.forTransientFailure(Status.UNAVAILABLE.withDescription("connection refused"))
          : ConnectivityStateInfo.forNonError(s));
    }

    public void setState(ConnectivityStateInfo info) {
      sync.execute(() -> listener.onSubchannelState(info));
    }

    public FakeCall lastCall() {
      return calls.get(calls.size() - 1);
    }

    @Override
    public void start(LoadBalancer.SubchannelStateListener l) {
      listener = l;
    }

    @Override
    public void shutdown() {
      shutdown = true;
      shutdowns++;
    }

    @Override
    public void requestConnection() {
      connectionRequests++;
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
      return FakeLoadBalancerHelper.this.getChannelLogger();
    }

    @Override
    public Channel asChannel() {
      return new Channel() {
        @Override
        @SuppressWarnings("unchecked")
        public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
          assertEquals(HealthGrpc.getCheckMethod().getFullMethodName(), method.getFullMethodName(),
              "only unary Health/Check, never Watch");
          FakeCall call = new FakeCall();
          calls.add(call);
          return (ClientCall<Q, R>) call;
        }

        @Override
        public String authority() {
          return "fake";
        }
      };
    }
  }

  /** A Health/Check call the test answers (from the synchronization context, as grpc would call back). */
  public final class FakeCall extends ClientCall<HealthCheckRequest, HealthCheckResponse> {
    private Listener<HealthCheckResponse> listener;
    public HealthCheckRequest request;
    public boolean cancelled;

    public void answer(ServingStatus status) {
      sync.execute(() -> {
        listener.onHeaders(new Metadata());
        listener.onMessage(HealthCheckResponse.newBuilder().setStatus(status).build());
        listener.onClose(Status.OK, new Metadata());
      });
    }

    public void fail(Status status) {
      sync.execute(() -> listener.onClose(status, new Metadata()));
    }

    @Override
    public void start(Listener<HealthCheckResponse> l, Metadata headers) {
      listener = l;
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void cancel(String message, Throwable cause) {
      cancelled = true;
    }

    @Override
    public void halfClose() {}

    @Override
    public void sendMessage(HealthCheckRequest message) {
      request = message;
    }
  }
}
