package org.shakenfist.sfdb.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelLogger;
import io.grpc.ClientCall;
import io.grpc.ClientStreamTracer;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PollHealthLoadBalancer} alone, deterministically: a fake helper whose subchannels never connect
 * anywhere (the test sets their state), Health/Check calls the test answers by hand, and a manual clock for
 * the poll timer. Nothing sleeps.
 */
class PollHealthLoadBalancerTest {
  private static final Duration INTERVAL = Duration.ofSeconds(2);
  private static final PollHealthConfig CONFIG =
      new PollHealthConfig(INTERVAL, Duration.ofSeconds(1), 3, "round_robin", true);

  private final SynchronizationContext sync = new SynchronizationContext((t, e) -> {
    throw new AssertionError(e);
  });
  private final ManualClock clock = new ManualClock();
  private final FakeHelper helper = new FakeHelper();
  private final Map<String, FakeSubchannel> subchannels = new LinkedHashMap<>();
  private PollHealthLoadBalancer lb;

  @BeforeEach
  void startWithTwoReadyInstances() {
    lb = new PollHealthLoadBalancer(helper);
    sync.execute(() -> lb.acceptResolvedAddresses(LoadBalancer.ResolvedAddresses.newBuilder()
        .setAddresses(List.of(eag("a"), eag("b")))
        .setLoadBalancingPolicyConfig(CONFIG)
        .build()));
    assertEquals(Set.of("a", "b"), subchannels.keySet());
    subchannels.values().forEach(s -> s.setState(ConnectivityState.READY));
  }

  @Test
  void everyReadyInstanceIsPolledAtOnceAndPicked() {
    assertEquals(1, subchannels.get("a").calls.size());
    assertEquals(1, subchannels.get("b").calls.size());
    subchannels.values().forEach(s -> s.lastCall().answer(ServingStatus.SERVING));
    assertEquals(Set.of("a", "b"), picked());
  }

  @Test
  void nextPollComesOneIntervalAfterTheLastAnswerNotBefore() {
    FakeSubchannel a = subchannels.get("a");
    a.lastCall().answer(ServingStatus.SERVING);
    clock.advance(INTERVAL.minusMillis(1));
    assertEquals(1, a.calls.size(), "no poll before the interval");
    clock.advance(Duration.ofMillis(1));
    assertEquals(2, a.calls.size(), "polled again after exactly one interval");
    assertEquals("", a.lastCall().request.getService(), "polls service \"\" only");
  }

  @Test
  void notServingLeavesTheRotationAtOnceAndServingBringsItBack() {
    subchannels.get("a").lastCall().answer(ServingStatus.SERVING);
    subchannels.get("b").lastCall().answer(ServingStatus.NOT_SERVING);
    assertEquals(Set.of("a"), picked(), "an explicit NOT_SERVING needs no further strikes");
    clock.advance(INTERVAL);
    subchannels.get("b").lastCall().answer(ServingStatus.SERVING);
    assertEquals(Set.of("a", "b"), picked());
  }

  @Test
  void unansweredPollsNeedThreeStrikes() {
    subchannels.get("a").lastCall().answer(ServingStatus.SERVING);
    FakeSubchannel b = subchannels.get("b");
    for (int strike = 1; strike <= 3; strike++) {
      b.lastCall().fail(Status.DEADLINE_EXCEEDED);
      assertEquals(strike < 3 ? Set.of("a", "b") : Set.of("a"), picked(), "after strike " + strike);
      clock.advance(INTERVAL);
    }
    b.lastCall().answer(ServingStatus.SERVING);
    assertEquals(Set.of("a", "b"), picked(), "one SERVING answer brings it back");
  }

  @Test
  void whenEveryInstanceIsUnhealthyCallsGoToAllOfThemUntilOneRecovers() {
    subchannels.values().forEach(s -> s.lastCall().answer(ServingStatus.NOT_SERVING));
    assertEquals(Set.of("a", "b"), picked(), "panic mode: all rather than none");
    clock.advance(INTERVAL);
    subchannels.get("a").lastCall().answer(ServingStatus.SERVING);
    assertEquals(Set.of("a"), picked(), "panic over");
  }

  @Test
  void aServerWithoutHealthServiceIsHealthy() {
    subchannels.get("a").lastCall().answer(ServingStatus.SERVING);
    subchannels.get("b").lastCall().fail(Status.UNIMPLEMENTED);
    assertEquals(Set.of("a", "b"), picked());
  }

  @Test
  void aConnectionLostStopsPollingAndShutdownLeavesNoTimer() {
    FakeSubchannel b = subchannels.get("b");
    b.lastCall().answer(ServingStatus.SERVING);
    b.setState(ConnectivityState.IDLE);
    clock.advance(INTERVAL.multipliedBy(5));
    assertEquals(1, b.calls.size(), "no polls of an instance that is not READY");
    subchannels.get("a").lastCall().answer(ServingStatus.SERVING);
    assertTrue(clock.pending() > 0, "a's next poll is scheduled");
    sync.execute(lb::shutdown);
    assertEquals(0, clock.pending(), "shutdown cancels every poll timer");
  }

  @Test
  void leastRequestChildPicksTheLessBusyHealthyInstance() {
    sync.execute(lb::shutdown);
    subchannels.clear();
    lb = new PollHealthLoadBalancer(helper);
    sync.execute(() -> lb.acceptResolvedAddresses(LoadBalancer.ResolvedAddresses.newBuilder()
        .setAddresses(List.of(eag("a"), eag("b"), eag("c")))
        .setLoadBalancingPolicyConfig(new PollHealthConfig(INTERVAL, Duration.ofSeconds(1), 3,
            LeastRequestLoadBalancerProvider.POLICY, true))
        .build()));
    subchannels.values().forEach(s -> s.setState(ConnectivityState.READY));
    subchannels.get("a").lastCall().answer(ServingStatus.SERVING);
    subchannels.get("b").lastCall().answer(ServingStatus.SERVING);
    subchannels.get("c").lastCall().answer(ServingStatus.NOT_SERVING);
    assertTrue(helper.picker instanceof LeastRequestLoadBalancer.TwoChoicesPicker, helper.picker.toString());
    // random picks: 200 of them miss one of two equally loaded instances with probability 2^-199
    assertEquals(Set.of("a", "b"), picked(200), "health still decides: the NOT_SERVING instance gets nothing");

    // Two calls in flight on a (streams created for picks of a): with two healthy instances both are sampled,
    // so b wins every pick.
    LoadBalancer.PickResult onA = null;
    for (int i = 0; i < 200 && onA == null; i++) {
      LoadBalancer.PickResult r = helper.picker.pickSubchannel(new PickArgs());
      onA = name(r).equals("a") ? r : null;
    }
    assertTrue(onA != null, "a is picked while nothing is in flight");
    List<ClientStreamTracer> inFlight = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      inFlight.add(onA.getStreamTracerFactory().newClientStreamTracer(STREAM, new Metadata()));
    }
    for (int i = 0; i < 50; i++) {
      assertEquals("b", name(helper.picker.pickSubchannel(new PickArgs())), "pick " + i);
    }
    inFlight.forEach(t -> t.streamClosed(Status.OK));
    assertEquals(Set.of("a", "b"), picked(200), "calls finished: both are picked again");
  }

  private static final ClientStreamTracer.StreamInfo STREAM =
      ClientStreamTracer.StreamInfo.newBuilder().setCallOptions(CallOptions.DEFAULT).build();

  private static String name(LoadBalancer.PickResult r) {
    return ((FakeAddress) r.getSubchannel().getAddresses().getAddresses().get(0)).name;
  }

  private Set<String> picked() {
    return picked(8);
  }

  /** Addresses the picker returns over {@code picks} picks. */
  private Set<String> picked(int picks) {
    Set<String> out = new TreeSet<>();
    for (int i = 0; i < picks; i++) {
      LoadBalancer.PickResult r = helper.picker.pickSubchannel(new PickArgs());
      if (r.getSubchannel() != null) {
        out.add(name(r));
      }
    }
    return out;
  }

  private static EquivalentAddressGroup eag(String name) {
    return new EquivalentAddressGroup(new FakeAddress(name));
  }

  private static final class FakeAddress extends SocketAddress {
    private static final long serialVersionUID = 1L;
    final String name;

    FakeAddress(String name) {
      this.name = name;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private static final class PickArgs extends LoadBalancer.PickSubchannelArgs {
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

  private final class FakeHelper extends LoadBalancer.Helper {
    LoadBalancer.SubchannelPicker picker;

    @Override
    public LoadBalancer.Subchannel createSubchannel(LoadBalancer.CreateSubchannelArgs args) {
      FakeSubchannel s = new FakeSubchannel(args);
      subchannels.put(((FakeAddress) args.getAddresses().get(0).getAddresses().get(0)).name, s);
      return s;
    }

    @Override
    public void updateBalancingState(ConnectivityState state, LoadBalancer.SubchannelPicker newPicker) {
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
      return "poll-health-test";
    }

    @Override
    public ChannelLogger getChannelLogger() {
      return QUIET;
    }
  }

  private static final ChannelLogger QUIET = new ChannelLogger() {
    @Override
    public void log(ChannelLogLevel level, String message) {}

    @Override
    public void log(ChannelLogLevel level, String messageFormat, Object... args) {}
  };

  /** A subchannel that connects nowhere; its channel only takes Health/Check calls, answered by the test. */
  private final class FakeSubchannel extends LoadBalancer.Subchannel {
    private final LoadBalancer.CreateSubchannelArgs args;
    final List<FakeCall> calls = new ArrayList<>();
    private LoadBalancer.SubchannelStateListener listener;

    FakeSubchannel(LoadBalancer.CreateSubchannelArgs args) {
      this.args = args;
    }

    void setState(ConnectivityState state) {
      sync.execute(() -> listener.onSubchannelState(ConnectivityStateInfo.forNonError(state)));
    }

    FakeCall lastCall() {
      return calls.get(calls.size() - 1);
    }

    @Override
    public void start(LoadBalancer.SubchannelStateListener l) {
      listener = l;
    }

    @Override
    public void shutdown() {}

    @Override
    public void requestConnection() {}

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

  private static final class FakeCall extends ClientCall<HealthCheckRequest, HealthCheckResponse> {
    private Listener<HealthCheckResponse> listener;
    HealthCheckRequest request;

    void answer(ServingStatus status) {
      listener.onHeaders(new Metadata());
      listener.onMessage(HealthCheckResponse.newBuilder().setStatus(status).build());
      listener.onClose(Status.OK, new Metadata());
    }

    void fail(Status status) {
      listener.onClose(status, new Metadata());
    }

    @Override
    public void start(Listener<HealthCheckResponse> l, Metadata headers) {
      listener = l;
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void cancel(String message, Throwable cause) {}

    @Override
    public void halfClose() {}

    @Override
    public void sendMessage(HealthCheckRequest message) {
      request = message;
    }
  }

  /** A scheduled executor on a manual clock: tasks run when {@link #advance} passes their time. */
  private static final class ManualClock extends AbstractExecutorService implements ScheduledExecutorService {
    private long now;
    private long sequence;
    private final PriorityQueue<Task> queue = new PriorityQueue<>(
        Comparator.comparingLong((Task t) -> t.due).thenComparingLong(t -> t.seq));

    void advance(Duration d) {
      long target = now + d.toNanos();
      while (!queue.isEmpty() && queue.peek().due <= target) {
        Task t = queue.poll();
        now = t.due;
        t.command.run();
      }
      now = target;
    }

    int pending() {
      return queue.size();
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      Task t = new Task(command, now + unit.toNanos(delay), sequence++);
      queue.add(t);
      return t;
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
      throw new UnsupportedOperationException();
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
      throw new UnsupportedOperationException();
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void execute(Runnable command) {
      schedule(command, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public void shutdown() {}

    @Override
    public List<Runnable> shutdownNow() {
      return List.of();
    }

    @Override
    public boolean isShutdown() {
      return false;
    }

    @Override
    public boolean isTerminated() {
      return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }

    private final class Task implements ScheduledFuture<Object> {
      final Runnable command;
      final long due;
      final long seq;
      private boolean cancelled;

      Task(Runnable command, long due, long seq) {
        this.command = command;
        this.due = due;
        this.seq = seq;
      }

      @Override
      public long getDelay(TimeUnit unit) {
        return unit.convert(due - now, TimeUnit.NANOSECONDS);
      }

      @Override
      public int compareTo(Delayed o) {
        return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
      }

      @Override
      public boolean cancel(boolean mayInterrupt) {
        cancelled = queue.remove(this);
        return cancelled;
      }

      @Override
      public boolean isCancelled() {
        return cancelled;
      }

      @Override
      public boolean isDone() {
        return cancelled || !queue.contains(this);
      }

      @Override
      public Object get() {
        return null;
      }

      @Override
      public Object get(long timeout, TimeUnit unit) {
        return null;
      }
    }
  }
}
