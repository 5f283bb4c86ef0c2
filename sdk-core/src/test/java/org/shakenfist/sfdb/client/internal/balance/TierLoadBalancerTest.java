package org.shakenfist.sfdb.client.internal.balance;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.IntUnaryOperator;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.EndpointState;
import org.shakenfist.sfdb.client.GatewayHost;
import org.shakenfist.sfdb.client.HealthCheckMode;
import org.shakenfist.sfdb.client.internal.channel.CoarseTimer;
import org.shakenfist.sfdb.client.internal.channel.DefaultDeadline;
import org.shakenfist.sfdb.client.internal.health.PollConfig;
import org.shakenfist.sfdb.client.internal.resolve.SfdbNameResolver;
import org.shakenfist.sfdb.client.testsupport.FakeLoadBalancerHelper;
import org.shakenfist.sfdb.client.testsupport.FakeLoadBalancerHelper.FakeSubchannel;
import org.shakenfist.sfdb.client.testsupport.LogCapture;
import org.shakenfist.sfdb.client.testsupport.NoopCall;

/**
 * The tier policy as a channel builds it (provider, unary health producer, pick_first children), driven by a
 * fake helper, hand-answered Health/Check calls, a manual clock and a seeded random source: no threads, no
 * sleeps, no pending timer at teardown.
 */
class TierLoadBalancerTest {
  private static final Duration INTERVAL = Duration.ofSeconds(2);
  private static final PollConfig POLL = new PollConfig(INTERVAL, Duration.ofSeconds(1), 3);
  private final FakeLoadBalancerHelper fake = new FakeLoadBalancerHelper();
  private LoadBalancer lb;

  private void start(HealthCheckMode health, Pick pick, IntUnaryOperator random, EndpointStates states,
      List<EquivalentAddressGroup> groups) {
    lb = TierLoadBalancerProvider.newLoadBalancer(fake, new TierPolicy(health, POLL, pick, states, random));
    fake.sync.execute(() -> lb.acceptResolvedAddresses(LoadBalancer.ResolvedAddresses.newBuilder()
        .setAddresses(groups).build()));
  }

  private void start(Pick pick, String... names) {
    start(HealthCheckMode.POLL, pick, new Random(1)::nextInt, null, FakeLoadBalancerHelper.groups(names));
  }

  private FakeSubchannel sub(String name) {
    return fake.subchannels.get(name);
  }

  private void ready(String... names) {
    for (String n : names) {
      sub(n).setState(ConnectivityState.READY);
    }
  }

  private void answer(ServingStatus status, String... names) {
    for (String n : names) {
      sub(n).lastCall().answer(status);
    }
  }

  @AfterEach
  void noTimerOutlivesTheShutdown() {
    fake.sync.execute(lb::shutdown);
    assertEquals(0, fake.clock.pending(), "shutdown cancels every poll timer");
    assertEquals(fake.subchannels.size(), fake.shutdowns(), "every subchannel is shut down");
  }

  @Test
  void aConnectedInstanceEntersTheRotationAtItsFirstServingAnswerNotBefore() {
    start(Pick.ROUND_ROBIN, "a", "b");
    assertEquals(1, sub("a").connectionRequests, "each instance's pick_first connects at once");
    ready("a", "b");
    assertEquals(ConnectivityState.CONNECTING, fake.state, "connected, no health answer yet: calls wait");
    assertNull(fake.pick().getSubchannel());
    answer(ServingStatus.NOT_SERVING, "a");
    assertEquals(ConnectivityState.CONNECTING, fake.state, "a NOT_SERVING at start never takes a call");
    answer(ServingStatus.SERVING, "b");
    assertEquals(Set.of("b"), fake.picked(8));
  }

  private void startWithSlowStart(Pick pick, Duration window, String... names) {
    lb = TierLoadBalancerProvider.newLoadBalancer(fake, new TierPolicy(HealthCheckMode.POLL, POLL, pick, null,
        new Random(5)::nextInt, fake.clock::nanos, Duration.ofSeconds(10), window));
    fake.sync.execute(() -> lb.acceptResolvedAddresses(LoadBalancer.ResolvedAddresses.newBuilder()
        .setAddresses(FakeLoadBalancerHelper.groups(names)).build()));
  }

  private Map<String, Integer> picks(int n) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(FakeLoadBalancerHelper.name(fake.pick()), 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void aReturningInstanceRampsFromATenthOfItsShareToAllOfItAndTheOthersShareWhatItDeclines() {
    startWithSlowStart(Pick.ROUND_ROBIN, Duration.ofSeconds(10), "a", "b", "c");
    ready("a", "b", "c");
    answer(ServingStatus.SERVING, "a", "b", "c");
    assertEquals(Map.of("a", 1000, "b", 1000, "c", 1000), picks(3000), "a channel's first instances do not ramp");
    fake.clock.advance(INTERVAL);
    answer(ServingStatus.NOT_SERVING, "b");
    fake.clock.advance(INTERVAL);
    answer(ServingStatus.SERVING, "b"); // back at weight 0.1: 0.1 / (1 + 0.1 + 1) of the calls
    Map<String, Integer> first = picks(30_000);
    assertEquals(0.1 / 2.1, first.get("b") / 30_000.0, 0.005, first.toString());
    assertEquals(first.get("a"), first.get("c"), 30_000 * 0.02, "what b declines is shared, not left to one neighbour: "
        + first);
    fake.clock.advance(Duration.ofSeconds(5)); // half way: weight 0.55
    Map<String, Integer> half = picks(30_000);
    assertEquals(0.55 / 2.55, half.get("b") / 30_000.0, 0.01, half.toString());
    fake.clock.advance(Duration.ofSeconds(5)); // the ramp's end rebuilds the plain rotation
    assertEquals(Map.of("a", 1000, "b", 1000, "c", 1000), picks(3000), "an exact rotation once every weight is full");
  }

  @Test
  void peakEwmaRampsAReturningInstanceByItsCost() {
    startWithSlowStart(Pick.PEAK_EWMA, Duration.ofSeconds(10), "a", "b");
    ready("a", "b");
    answer(ServingStatus.SERVING, "a", "b");
    fake.clock.advance(INTERVAL);
    answer(ServingStatus.NOT_SERVING, "b");
    fake.clock.advance(INTERVAL);
    answer(ServingStatus.SERVING, "b");
    // equal costs (no estimates yet, no calls in flight): the first drawn wins, b half the draws, and keeps one
    // with probability its weight, 0.1 at entry
    Map<String, Integer> first = picks(20_000);
    assertEquals(0.05, first.get("b") / 20_000.0, 0.01, first.toString());
    fake.clock.advance(Duration.ofSeconds(10));
    Map<String, Integer> after = picks(20_000);
    assertEquals(0.5, after.get("b") / 20_000.0, 0.02, "its full share after the window: " + after);
  }

  @Test
  void aZeroWindowTurnsSlowStartOff() {
    startWithSlowStart(Pick.ROUND_ROBIN, Duration.ZERO, "c", "d");
    ready("c", "d");
    answer(ServingStatus.SERVING, "c", "d");
    fake.clock.advance(INTERVAL);
    answer(ServingStatus.NOT_SERVING, "d");
    fake.clock.advance(INTERVAL);
    answer(ServingStatus.SERVING, "d");
    assertEquals(Map.of("c", 500, "d", 500), picks(1000), "window 0: back at its full share at once");
  }

  private void startWithEjection(String... names) {
    startWithPanicThreshold(50, names); // the defaults: 5 failures, 50 %
  }

  private void startWithPanicThreshold(int percent, String... names) {
    lb = TierLoadBalancerProvider.newLoadBalancer(fake, new TierPolicy(HealthCheckMode.POLL, POLL, Pick.ROUND_ROBIN,
        null, new Random(5)::nextInt, fake.clock::nanos, Duration.ofSeconds(10), Duration.ZERO, 5, percent, null));
    fake.sync.execute(() -> lb.acceptResolvedAddresses(LoadBalancer.ResolvedAddresses.newBuilder()
        .setAddresses(FakeLoadBalancerHelper.groups(names)).build()));
  }

  /** Picks until {@code name} is picked, and ends that call with {@code status} (through the pick's tracer). */
  private void callOn(String name, io.grpc.Status status) {
    callOn(name, status, CallOptions.DEFAULT);
  }

  /** {@link #callOn(String, Status)} for a call made with {@code options}. */
  private void callOn(String name, io.grpc.Status status, CallOptions options) {
    for (int i = 0; i < 100; i++) {
      LoadBalancer.PickResult r = fake.pick();
      if (FakeLoadBalancerHelper.name(r).equals(name)) {
        io.grpc.ClientStreamTracer t = r.getStreamTracerFactory().newClientStreamTracer(
            io.grpc.ClientStreamTracer.StreamInfo.newBuilder().setCallOptions(options).build(), new io.grpc.Metadata());
        t.streamClosed(status);
        return;
      }
    }
    throw new AssertionError(name + " never picked");
  }

  @Test
  void fiveFailuresInARowEjectAnInstanceOfTwoForTenSecondsThenTwentyAndASuccessResetsTheCount() {
    startWithEjection("a", "b");
    ready("a", "b");
    answer(ServingStatus.SERVING, "a", "b");
    for (int i = 0; i < 4; i++) {
      callOn("b", io.grpc.Status.UNAVAILABLE);
    }
    callOn("b", io.grpc.Status.OK); // four in a row, then a success: the count starts again
    for (int i = 0; i < 4; i++) {
      callOn("b", io.grpc.Status.INTERNAL);
    }
    assertEquals(Set.of("a", "b"), fake.picked(10), "four in a row: still in");
    callOn("b", io.grpc.Status.UNAVAILABLE);
    assertEquals(Set.of("a"), fake.picked(20), "the fifth in a row ejects it, even of two instances");
    fake.clock.advance(Duration.ofSeconds(10));
    answer(ServingStatus.SERVING, "a", "b");
    assertEquals(Set.of("a", "b"), fake.picked(10), "back after 10 s");
    for (int i = 0; i < 5; i++) {
      callOn("b", io.grpc.Status.UNAVAILABLE);
    }
    assertEquals(Set.of("a"), fake.picked(10), "ejected again");
    fake.clock.advance(Duration.ofSeconds(10));
    answer(ServingStatus.SERVING, "a", "b");
    assertEquals(Set.of("a"), fake.picked(10), "a repeat doubles the time out");
    fake.clock.advance(Duration.ofSeconds(10));
    answer(ServingStatus.SERVING, "a", "b");
    assertEquals(Set.of("a", "b"), fake.picked(10), "back after 20 s");
  }

  @Test
  void neverMoreThanHalfTheInstancesAreEjectedAndTheCallersOwnErrorsDoNotCount() {
    startWithEjection("a", "b");
    ready("a", "b");
    answer(ServingStatus.SERVING, "a", "b");
    for (int i = 0; i < 5; i++) {
      callOn("a", io.grpc.Status.UNAVAILABLE);
    }
    assertEquals(Set.of("b"), fake.picked(10));
    for (int i = 0; i < 5; i++) {
      callOn("b", io.grpc.Status.UNAVAILABLE);
    }
    assertEquals(Set.of("b"), fake.picked(10), "the last one of two is never ejected");
    fake.clock.advance(Duration.ofSeconds(10));
    answer(ServingStatus.SERVING, "a", "b");
    for (int i = 0; i < 10; i++) {
      callOn("a", io.grpc.Status.NOT_FOUND);
      callOn("a", io.grpc.Status.CANCELLED);
    }
    assertEquals(Set.of("a", "b"), fake.picked(10), "NOT_FOUND, CANCELLED: the caller's, not the instance's");
  }

  @Test
  void aCallCutByTheSdksDefaultDeadlineCountsAsTheInstancesFailure() throws Exception {
    startWithEjection("a", "b");
    ready("a", "b");
    answer(ServingStatus.SERVING, "a", "b");
    // the attempt of a call the SDK's own deadline cancelled closes CANCELLED: its Expiry, among the call's
    // tracer factories, says it was the deadline
    ScheduledExecutorService timer = CoarseTimer.lease();
    try {
      DefaultDeadline deadline = new DefaultDeadline(Duration.ofMillis(1), timer);
      DefaultDeadline.Expiry expiry = new DefaultDeadline.Expiry(null);
      CallOptions cut = DefaultDeadline.withExpiry(CallOptions.DEFAULT, expiry);
      deadline.arm(new NoopCall(), expiry);
      await("the deadline passes").atMost(Duration.ofSeconds(5))
          .until(() -> DefaultDeadline.code(Status.CANCELLED, cut) == Status.Code.DEADLINE_EXCEEDED);
      for (int i = 0; i < 5; i++) {
        callOn("b", Status.CANCELLED, CallOptions.DEFAULT); // the caller's own cancel: not the instance's
      }
      assertEquals(Set.of("a", "b"), fake.picked(10), "the caller's cancels do not eject");
      for (int i = 0; i < 5; i++) {
        callOn("b", Status.CANCELLED, cut);
      }
      assertEquals(Set.of("a"), fake.picked(10), "five calls cut by the deadline eject it");
    } finally {
      timer.shutdown();
    }
  }

  /** Three polls of {@code silent} go unanswered while {@code serving} answer SERVING. */
  private void silence(String silent, String... serving) {
    for (int strike = 0; strike < 3; strike++) {
      fake.clock.advance(INTERVAL);
      answer(ServingStatus.SERVING, serving);
      sub(silent).lastCall().fail(Status.DEADLINE_EXCEEDED);
    }
  }

  @Test
  void belowThePanicThresholdTheInstancesOutBySilenceComeBackButNotOnesThatSaidNotServing() {
    startWithPanicThreshold(50, "a", "b", "c", "d");
    ready("a", "b", "c", "d");
    answer(ServingStatus.SERVING, "a", "b", "c", "d");
    try (LogCapture warnings = LogCapture.of(TierLoadBalancer.class, Level.WARNING)) {
      fake.clock.advance(INTERVAL);
      answer(ServingStatus.NOT_SERVING, "d");
      answer(ServingStatus.SERVING, "a", "b");
      silence("c", "a", "b");
      assertEquals(Set.of("a", "b"), fake.picked(12), "2 of 4 in: not below 50 %, c stays out");
      fake.clock.advance(INTERVAL);
      answer(ServingStatus.NOT_SERVING, "b");
      assertEquals(Set.of("a", "c"), fake.picked(12), "1 of 4 in: c, which only stopped answering, takes calls "
          + "again; b and d said NOT_SERVING and stay out");
      assertEquals(1, warnings.count("below the panic threshold of 50 %"), warnings.messages().toString());
      fake.clock.advance(INTERVAL);
      answer(ServingStatus.SERVING, "a", "b");
      assertEquals(Set.of("a", "b"), fake.picked(12), "2 of 4 in again: the panic is over, c is out");
      assertTrue(fake.channelLog.contains("INFO sfdb: panic mode over: enough instances in the rotation"),
          fake.channelLog.toString());
    }
  }

  @Test
  void aZeroPanicThresholdKeepsThemOut() {
    startWithPanicThreshold(0, "a", "b", "c", "d");
    ready("a", "b", "c", "d");
    answer(ServingStatus.SERVING, "a", "b", "c", "d");
    fake.clock.advance(INTERVAL);
    answer(ServingStatus.NOT_SERVING, "b", "d");
    answer(ServingStatus.SERVING, "a");
    silence("c", "a");
    assertEquals(Set.of("a"), fake.picked(12), "threshold 0: one of four, still no panic");
  }

  @Test
  void anEjectionThatLeavesFewerThanTheThresholdInIsUndoneByThePanic() {
    startWithEjection("a", "b", "c");
    ready("a", "b");
    sub("c").setState(ConnectivityState.TRANSIENT_FAILURE); // down: out of the tier, not a spare
    answer(ServingStatus.SERVING, "a", "b");
    for (int i = 0; i < 5; i++) {
      callOn("b", Status.UNAVAILABLE);
    }
    assertEquals(Set.of("a", "b"), fake.picked(12), "b ejected would leave 1 of 3: below 50 %, b takes calls");
    sub("c").setState(ConnectivityState.READY);
    answer(ServingStatus.SERVING, "c");
    assertEquals(Set.of("a", "c"), fake.picked(12), "2 of 3 in: b's ejection holds");
  }

  @Test
  void roundRobinIsAnExactRotationOverTheHealthyInstances() {
    start(Pick.ROUND_ROBIN, "a", "b", "c");
    ready("a", "b", "c");
    answer(ServingStatus.SERVING, "a", "b", "c");
    Map<String, Integer> counts = new HashMap<>();
    List<String> order = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      String n = FakeLoadBalancerHelper.name(fake.pick());
      counts.merge(n, 1, Integer::sum);
      order.add(n);
    }
    assertEquals(Map.of("a", 100, "b", 100, "c", 100), counts);
    for (int i = 3; i < 300; i++) {
      assertEquals(order.get(i - 3), order.get(i), "the same cycle of three, pick " + i);
    }
  }

  @Test
  void notServingLeavesTheRotationAtOnceAndServingBringsItBack() {
    start(Pick.ROUND_ROBIN, "a", "b");
    ready("a", "b");
    answer(ServingStatus.SERVING, "a", "b");
    fake.clock.advance(INTERVAL);
    answer(ServingStatus.NOT_SERVING, "b");
    answer(ServingStatus.SERVING, "a");
    assertEquals(Set.of("a"), fake.picked(8));
    fake.clock.advance(INTERVAL);
    answer(ServingStatus.SERVING, "b");
    assertEquals(Set.of("a", "b"), fake.picked(8));
  }

  @Test
  void unansweredPollsNeedThreeStrikes() {
    start(Pick.ROUND_ROBIN, "a", "b");
    ready("a", "b");
    answer(ServingStatus.SERVING, "a", "b");
    for (int strike = 1; strike <= 3; strike++) {
      fake.clock.advance(INTERVAL);
      answer(ServingStatus.SERVING, "a");
      sub("b").lastCall().fail(Status.DEADLINE_EXCEEDED);
      assertEquals(strike < 3 ? Set.of("a", "b") : Set.of("a"), fake.picked(8), "after strike " + strike);
    }
  }

  @Test
  void whenEveryConnectedInstanceIsUnhealthyCallsGoToAllOfThemUntilOneRecovers() {
    start(Pick.ROUND_ROBIN, "a", "b");
    ready("a", "b");
    try (LogCapture warnings = LogCapture.of(TierLoadBalancer.class, Level.WARNING)) {
      answer(ServingStatus.NOT_SERVING, "a", "b");
      assertEquals(ConnectivityState.READY, fake.state);
      assertEquals(Set.of("a", "b"), fake.picked(8), "panic mode: all rather than none");
      for (int round = 0; round < 3; round++) { // more NOT_SERVING answers: still the one panic
        fake.clock.advance(INTERVAL);
        answer(ServingStatus.NOT_SERVING, "a", "b");
      }
      assertEquals(1, warnings.count("panic mode"), "logged once per panic: " + warnings.messages());
      fake.clock.advance(INTERVAL);
      answer(ServingStatus.SERVING, "a");
      answer(ServingStatus.NOT_SERVING, "b");
      assertEquals(Set.of("a"), fake.picked(8), "panic over");
      assertTrue(fake.channelLog.contains("INFO sfdb: panic mode over: an instance passed its health checks"),
          fake.channelLog.toString());
    }
  }

  @Test
  void anInstanceStillReconnectingDoesNotHoldOffThePanicOfTheConnectedOnes() {
    start(Pick.ROUND_ROBIN, "a", "b", "c");
    ready("a", "b");
    sub("c").setState(ConnectivityState.TRANSIENT_FAILURE);
    answer(ServingStatus.NOT_SERVING, "a", "b");
    assertEquals(Set.of("a", "b"), fake.picked(8));
    sub("c").setState(ConnectivityState.CONNECTING); // c's next connection attempt
    assertEquals(ConnectivityState.READY, fake.state, "still panicking: calls are not held for c");
    assertEquals(Set.of("a", "b"), fake.picked(8));
  }

  @Test
  void aConnectionFailureIsNotAHealthVerdictAndEveryFailedInstanceGivesItsError() {
    start(Pick.ROUND_ROBIN, "a", "b");
    sub("a").setState(ConnectivityState.TRANSIENT_FAILURE);
    sub("b").setState(ConnectivityState.TRANSIENT_FAILURE);
    assertEquals(ConnectivityState.TRANSIENT_FAILURE, fake.state, "nothing reachable: fail fast, no panic");
    LoadBalancer.PickResult r = fake.pick();
    assertEquals(Status.Code.UNAVAILABLE, r.getStatus().getCode());
    assertEquals("connection refused", r.getStatus().getDescription());
    assertEquals(0, sub("a").calls.size(), "nothing is polled while not connected");
  }

  @Test
  void aDroppedConnectionIsReconnectedAtOnceAndMustAnswerSERVINGAgain() {
    start(Pick.ROUND_ROBIN, "a", "b");
    ready("a", "b");
    answer(ServingStatus.SERVING, "a", "b");
    int before = sub("b").connectionRequests;
    sub("b").setState(ConnectivityState.IDLE);
    assertEquals(before + 1, sub("b").connectionRequests, "as round_robin: an IDLE instance reconnects at once");
    assertEquals(Set.of("a"), fake.picked(8));
    ready("b");
    assertEquals(Set.of("a"), fake.picked(8), "back, but not in the rotation before a SERVING answer");
    answer(ServingStatus.SERVING, "b");
    assertEquals(Set.of("a", "b"), fake.picked(8));
  }

  @Test
  void healthOffPutsEveryConnectedInstanceInAtOnceAndNeverPolls() {
    start(HealthCheckMode.OFF, Pick.ROUND_ROBIN, new Random(1)::nextInt, null, FakeLoadBalancerHelper.groups("a", "b"));
    ready("a", "b");
    assertEquals(Set.of("a", "b"), fake.picked(8));
    assertEquals(0, sub("a").calls.size() + sub("b").calls.size());
    assertNull(sub("a").args().getOption(LoadBalancer.HEALTH_CONSUMER_LISTENER_ARG_KEY), "no consumer, no producer");
  }

  @Test
  void leastRequestTakesTheLessBusyOfTwoDistinctInstances() {
    List<Integer> draws = new ArrayList<>();
    Random seeded = new Random(7);
    start(HealthCheckMode.POLL, Pick.LEAST_REQUEST, bound -> {
      int v = seeded.nextInt(bound);
      draws.add(v);
      return v;
    }, null, FakeLoadBalancerHelper.groups("a", "b", "c"));
    ready("a", "b", "c");
    answer(ServingStatus.SERVING, "a", "b");
    answer(ServingStatus.NOT_SERVING, "c");
    assertEquals(Set.of("a", "b"), fake.picked(200), "health still decides: the NOT_SERVING instance gets nothing");

    // two calls in flight on a (streams created for a pick of a): b wins every pick, since both are drawn
    LoadBalancer.PickResult onA = null;
    while (onA == null) {
      LoadBalancer.PickResult r = fake.pick();
      onA = "a".equals(FakeLoadBalancerHelper.name(r)) ? r : null;
    }
    ClientStreamTracer.StreamInfo info = ClientStreamTracer.StreamInfo.newBuilder().setCallOptions(CallOptions.DEFAULT).build();
    List<ClientStreamTracer> inFlight = List.of(onA.getStreamTracerFactory().newClientStreamTracer(info, new Metadata()),
        onA.getStreamTracerFactory().newClientStreamTracer(info, new Metadata()));
    for (int i = 0; i < 50; i++) {
      assertEquals("b", FakeLoadBalancerHelper.name(fake.pick()), "pick " + i);
    }
    inFlight.forEach(t -> t.streamClosed(Status.OK));
    assertEquals(Set.of("a", "b"), fake.picked(200), "calls finished: both are picked again");
  }

  @Test
  void leastRequestNeverDrawsTheSameInstanceTwice() {
    int[] next = {0};
    int[] script = {1, 1, 0, 0, 2, 1}; // (i, j) pairs as drawn: j is drawn from n - 1 and skips i
    start(HealthCheckMode.POLL, Pick.LEAST_REQUEST, bound -> script[next[0]++ % script.length] % bound, null,
        FakeLoadBalancerHelper.groups("a", "b", "c"));
    ready("a", "b", "c");
    answer(ServingStatus.SERVING, "a", "b", "c");
    next[0] = 0;
    // ties go to the first drawn: i = 1 (b), j = 1 -> 2 (c): b; i = 0 (a), j = 0 -> 1: a; i = 2 (c), j = 1: c
    assertEquals(List.of("b", "a", "c"), List.of(FakeLoadBalancerHelper.name(fake.pick()),
        FakeLoadBalancerHelper.name(fake.pick()), FakeLoadBalancerHelper.name(fake.pick())));
  }

  /** 300 serial calls under peak_ewma over a, b (2 ms) and c (20 ms, or failing in 1 ms): the picks per instance. */
  private Map<String, Integer> peakEwmaPicks(boolean cFails) {
    long[] now = {0};
    lb = TierLoadBalancerProvider.newLoadBalancer(fake, new TierPolicy(HealthCheckMode.POLL, POLL, Pick.PEAK_EWMA,
        null, new Random(3)::nextInt, () -> now[0], Duration.ofSeconds(10), Duration.ZERO));
    fake.sync.execute(() -> lb.acceptResolvedAddresses(LoadBalancer.ResolvedAddresses.newBuilder()
        .setAddresses(FakeLoadBalancerHelper.groups("a", "b", "c")).build()));
    ready("a", "b", "c");
    answer(ServingStatus.SERVING, "a", "b", "c");
    ClientStreamTracer.StreamInfo info = ClientStreamTracer.StreamInfo.newBuilder().setCallOptions(CallOptions.DEFAULT).build();
    Map<String, Integer> picked = new HashMap<>();
    for (int k = 0; k < 300; k++) {
      LoadBalancer.PickResult r = fake.pick();
      String n = FakeLoadBalancerHelper.name(r);
      picked.merge(n, 1, Integer::sum);
      ClientStreamTracer t = r.getStreamTracerFactory().newClientStreamTracer(info, new Metadata());
      boolean bad = n.equals("c");
      now[0] += !bad ? 2_000_000 : cFails ? 1_000_000 : 20_000_000;
      t.streamClosed(bad && cFails ? Status.UNAVAILABLE : Status.OK);
      now[0] += 1_000_000;
    }
    return picked;
  }

  @Test
  void peakEwmaAvoidsAnInstanceWhoseCallsAreSlow() {
    Map<String, Integer> picked = peakEwmaPicks(false);
    assertTrue(picked.getOrDefault("c", 0) <= 3, "seen slow once, it loses every duel: " + picked);
    assertEquals(300, picked.get("a") + picked.get("b") + picked.getOrDefault("c", 0));
  }

  @Test
  void peakEwmaAvoidsAnInstanceThatFailsFastInsteadOfFavouringIt() {
    Map<String, Integer> picked = peakEwmaPicks(true);
    assertTrue(picked.getOrDefault("c", 0) <= 3, "a 1 ms failure counts as a slow call: " + picked);
  }

  @Test
  void pickFirstSendsEverythingToOneInstanceWhileItStaysInTheRotation() {
    start(Pick.PICK_FIRST, "a", "b");
    ready("a", "b");
    answer(ServingStatus.SERVING, "b");
    assertEquals(Set.of("b"), fake.picked(50));
    answer(ServingStatus.SERVING, "a");
    assertEquals(Set.of("b"), fake.picked(50), "a joining does not move the calls: b stays while it is in");
    fake.clock.advance(INTERVAL);
    answer(ServingStatus.SERVING, "a");
    answer(ServingStatus.NOT_SERVING, "b");
    assertEquals(Set.of("a"), fake.picked(50), "b out: a takes everything");
  }

  @Test
  void reportsEveryInstanceToTheEndpointView() {
    GatewayHost a = GatewayHost.of("10.0.0.20", 13005);
    GatewayHost b = GatewayHost.of("10.0.0.21", 13005);
    EndpointStates states = new EndpointStates(List.of(a, b), EndpointState.Health.UNKNOWN, null,
        new SimpleMeterRegistry(), Clock.systemUTC());
    List<EquivalentAddressGroup> groups = List.of(
        new EquivalentAddressGroup(new FakeLoadBalancerHelper.FakeAddress("a"),
            Attributes.newBuilder().set(SfdbNameResolver.GATEWAY_HOST, a).build()),
        new EquivalentAddressGroup(new FakeLoadBalancerHelper.FakeAddress("b"),
            Attributes.newBuilder().set(SfdbNameResolver.GATEWAY_HOST, b).build()));
    start(HealthCheckMode.POLL, Pick.ROUND_ROBIN, new Random(1)::nextInt, states, groups);
    ready("a", "b");
    answer(ServingStatus.SERVING, "a");
    answer(ServingStatus.NOT_SERVING, "b");
    List<EndpointState> view = states.snapshot();
    assertEquals(List.of(true, false), view.stream().map(EndpointState::inRotation).toList());
    assertEquals(List.of(EndpointState.Health.SERVING, EndpointState.Health.NOT_SERVING),
        view.stream().map(EndpointState::health).toList());
    assertEquals(ConnectivityState.READY, view.get(1).connectivity(), "the connection itself is fine");
    assertEquals("health poll: status NOT_SERVING", view.get(1).problem());
    sub("b").setState(ConnectivityState.TRANSIENT_FAILURE);
    assertEquals(ConnectivityState.TRANSIENT_FAILURE, states.snapshot().get(1).connectivity());
    assertEquals("UNAVAILABLE: connection refused", states.snapshot().get(1).problem());
    assertNotEquals(0, fake.subchannels.size());
  }

  @Test
  void theSelfCheckNamesAJarThatLostThePolicysRegistration() {
    lb = TierLoadBalancerProvider.newLoadBalancer(fake, new TierPolicy(HealthCheckMode.OFF, POLL, Pick.ROUND_ROBIN,
        null, new Random(1)::nextInt));
    TierLoadBalancerProvider.requireRegistered(io.grpc.LoadBalancerRegistry.getDefaultRegistry());
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> TierLoadBalancerProvider.requireRegistered(new io.grpc.LoadBalancerRegistry()));
    assertTrue(e.getMessage().contains("sfdb_tier") && e.getMessage().contains("META-INF/services"), e.getMessage());
  }
}
