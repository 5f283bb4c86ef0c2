package org.shakenfist.sfdb.client.internal.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.LoadBalancer;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.testsupport.FakeLoadBalancerHelper;
import org.shakenfist.sfdb.client.testsupport.FakeLoadBalancerHelper.FakeSubchannel;
import org.shakenfist.sfdb.client.testsupport.LogCapture;

/**
 * The unary health producer alone: what its consumer hears, what the raw listener hears, when it polls.
 * Fake helper, hand-answered Health/Check calls, manual clock.
 */
class HealthPollingHelperTest {
  private static final Duration INTERVAL = Duration.ofSeconds(2);
  private final FakeLoadBalancerHelper fake = new FakeLoadBalancerHelper();
  private final List<ConnectivityState> raw = new ArrayList<>();
  private final List<ConnectivityStateInfo> health = new ArrayList<>();
  private LoadBalancer.Subchannel subchannel;
  private FakeSubchannel below;

  @BeforeEach
  void createOne() {
    HealthPollingHelper producer = new HealthPollingHelper(fake, new PollConfig(INTERVAL, Duration.ofSeconds(1), 3), b -> 0);
    fake.sync.execute(() -> {
      subchannel = producer.createSubchannel(LoadBalancer.CreateSubchannelArgs.newBuilder()
          .setAddresses(FakeLoadBalancerHelper.groups("a"))
          .addOption(LoadBalancer.HEALTH_CONSUMER_LISTENER_ARG_KEY, health::add)
          .build());
      subchannel.start(info -> raw.add(info.getState()));
    });
    below = fake.subchannels.get("a");
  }

  private ConnectivityState lastHealth() {
    return health.get(health.size() - 1).getState();
  }

  @Test
  void theRawStateIsAPassThroughAndHealthGoesToTheConsumer() {
    below.setState(ConnectivityState.CONNECTING);
    below.setState(ConnectivityState.READY);
    assertEquals(ConnectivityState.CONNECTING, lastHealth(), "connected, no answer yet: not healthy yet");
    below.lastCall().answer(ServingStatus.NOT_SERVING);
    assertEquals(ConnectivityState.TRANSIENT_FAILURE, lastHealth(), "an explicit NOT_SERVING needs no strikes");
    assertEquals("health poll: status NOT_SERVING", health.get(health.size() - 1).getStatus().getDescription());
    assertEquals(List.of(ConnectivityState.CONNECTING, ConnectivityState.READY), raw,
        "pick_first below the consumer sees the connection as it is, never the health verdict");
    assertEquals(null, below.args().getOption(LoadBalancer.HEALTH_CONSUMER_LISTENER_ARG_KEY),
        "the producer is the consumer's only one: what is below never sees the consumer");
  }

  @Test
  void pollsServiceEmptyOneIntervalAfterEachAnswer() {
    below.setState(ConnectivityState.READY);
    assertEquals(1, below.calls.size(), "polled at once when READY");
    assertEquals("", below.lastCall().request.getService(), "service \"\" only, as the real gateway registers");
    below.lastCall().answer(ServingStatus.SERVING);
    assertEquals(ConnectivityState.READY, lastHealth());
    fake.clock.advance(INTERVAL.minusMillis(1));
    assertEquals(1, below.calls.size(), "no poll before the interval");
    fake.clock.advance(Duration.ofMillis(1));
    assertEquals(2, below.calls.size(), "polled again after exactly one interval");
  }

  @Test
  void eachWaitIsJitteredWithinTwentyPercentOfTheIntervalByThePolicysRandomSource() {
    // draws: the lowest, then the highest value the random source can give
    java.util.ArrayDeque<Integer> draws = new java.util.ArrayDeque<>(List.of(0, (1 << 20) - 1));
    HealthPollingHelper jittered = new HealthPollingHelper(fake,
        new PollConfig(INTERVAL, Duration.ofSeconds(1), 3, PollConfig.JITTER), bound -> draws.poll());
    List<ConnectivityStateInfo> seen = new ArrayList<>();
    fake.sync.execute(() -> jittered.createSubchannel(LoadBalancer.CreateSubchannelArgs.newBuilder()
        .setAddresses(FakeLoadBalancerHelper.groups("b"))
        .addOption(LoadBalancer.HEALTH_CONSUMER_LISTENER_ARG_KEY, seen::add).build()).start(info -> { }));
    FakeSubchannel b = fake.subchannels.get("b");
    b.setState(ConnectivityState.READY);
    b.lastCall().answer(ServingStatus.SERVING);
    fake.clock.advance(Duration.ofMillis(1599));
    assertEquals(1, b.calls.size(), "not before 0.8 x the interval");
    fake.clock.advance(Duration.ofMillis(1));
    assertEquals(2, b.calls.size(), "the lowest draw: 0.8 x 2 s");
    b.lastCall().answer(ServingStatus.SERVING);
    fake.clock.advance(Duration.ofMillis(2399));
    assertEquals(2, b.calls.size(), "the highest draw waits almost 1.2 x 2 s");
    fake.clock.advance(Duration.ofMillis(1));
    assertEquals(3, b.calls.size());
  }

  @Test
  void silenceTakesThreeStrikesFromAHealthyInstance() {
    below.setState(ConnectivityState.READY);
    below.lastCall().answer(ServingStatus.SERVING);
    for (int strike = 1; strike <= 3; strike++) {
      fake.clock.advance(INTERVAL);
      below.lastCall().fail(Status.DEADLINE_EXCEEDED);
      assertEquals(strike < 3 ? ConnectivityState.READY : ConnectivityState.TRANSIENT_FAILURE, lastHealth(),
          "after strike " + strike);
    }
    fake.clock.advance(INTERVAL);
    below.lastCall().answer(ServingStatus.SERVING);
    assertEquals(ConnectivityState.READY, lastHealth(), "one SERVING answer brings it back");
  }

  @Test
  void anInstanceWhoseFirstPollFailsIsNotHealthy() {
    below.setState(ConnectivityState.READY);
    below.lastCall().fail(Status.DEADLINE_EXCEEDED);
    assertEquals(ConnectivityState.TRANSIENT_FAILURE, lastHealth(), "never answered: stays out, with a reason");
  }

  @Test
  void aServerWithoutHealthServiceIsHealthyAndWarnedOnce() {
    try (LogCapture warnings = LogCapture.of(SharedHealthPolls.class, Level.WARNING)) {
      below.setState(ConnectivityState.READY);
      for (int round = 0; round < 3; round++) {
        below.lastCall().fail(Status.UNIMPLEMENTED);
        assertEquals(ConnectivityState.READY, lastHealth());
        fake.clock.advance(INTERVAL);
      }
      assertEquals(1, warnings.count("has no grpc.health.v1 service"), warnings.messages().toString());
    }
  }

  @Test
  void leavingReadyCancelsThePollAndStopsPollingAndShutdownLeavesNoTimer() {
    below.setState(ConnectivityState.READY);
    below.setState(ConnectivityState.IDLE);
    assertTrue(below.lastCall().cancelled, "the poll in flight is cancelled");
    assertEquals(ConnectivityState.IDLE, lastHealth(), "not connected: health follows the connection");
    below.lastCall().answer(ServingStatus.SERVING);
    assertEquals(ConnectivityState.IDLE, lastHealth(), "a late answer of an old connection is ignored");
    fake.clock.advance(INTERVAL.multipliedBy(5));
    assertEquals(1, below.calls.size(), "no polls while not READY");
    below.setState(ConnectivityState.READY);
    below.lastCall().answer(ServingStatus.SERVING);
    assertEquals(1, fake.clock.pending(), "the next poll is scheduled");
    fake.sync.execute(subchannel::shutdown);
    assertEquals(0, fake.clock.pending(), "shutdown cancels the poll timer");
    assertTrue(below.shutdown);
  }

  @Test
  void aSubchannelWithoutConsumerIsNotWrapped() {
    HealthPollingHelper producer = new HealthPollingHelper(fake, new PollConfig(INTERVAL, Duration.ofSeconds(1), 3), b -> 0);
    fake.sync.execute(() -> assertTrue(producer.createSubchannel(LoadBalancer.CreateSubchannelArgs.newBuilder()
        .setAddresses(FakeLoadBalancerHelper.groups("b")).build()) instanceof FakeSubchannel));
  }

  /** A second channel of the same process: its own fake helper (context, clock), the same scope and addresses. */
  private static final class OtherChannel {
    final FakeLoadBalancerHelper fake = new FakeLoadBalancerHelper();
    final List<ConnectivityStateInfo> health = new ArrayList<>();
    LoadBalancer.Subchannel subchannel;
    FakeSubchannel below;

    OtherChannel(SharedHealthPolls scope, List<io.grpc.EquivalentAddressGroup> addresses, PollConfig config) {
      HealthPollingHelper producer = new HealthPollingHelper(fake, config, b -> 0, scope);
      fake.sync.execute(() -> {
        subchannel = producer.createSubchannel(LoadBalancer.CreateSubchannelArgs.newBuilder().setAddresses(addresses)
            .addOption(LoadBalancer.HEALTH_CONSUMER_LISTENER_ARG_KEY, health::add).build());
        subchannel.start(info -> { });
      });
      below = fake.subchannels.values().iterator().next();
    }

    ConnectivityState last() {
      return health.get(health.size() - 1).getState();
    }
  }

  @Test
  void channelsOfOneScopeShareOnePollLoopPerInstance() {
    SharedHealthPolls scope = new SharedHealthPolls();
    PollConfig config = new PollConfig(INTERVAL, Duration.ofSeconds(1), 3);
    List<io.grpc.EquivalentAddressGroup> instance = FakeLoadBalancerHelper.groups("x");
    OtherChannel first = new OtherChannel(scope, instance, config);
    OtherChannel second = new OtherChannel(scope, instance, config);
    first.below.setState(ConnectivityState.READY);
    second.below.setState(ConnectivityState.READY);
    assertEquals(1, first.below.calls.size() + second.below.calls.size(), "one poll for both channels");
    assertEquals(1, first.below.calls.size(), "over the first connection up");
    first.below.lastCall().answer(ServingStatus.SERVING);
    assertEquals(ConnectivityState.READY, first.last());
    assertEquals(ConnectivityState.READY, second.last(), "the verdict reaches every channel of the scope");
    for (int i = 0; i < 3; i++) {
      first.fake.clock.advance(INTERVAL);
      first.below.lastCall().answer(i < 2 ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    }
    assertEquals(4, first.below.calls.size(), "one poll per interval");
    assertEquals(0, second.below.calls.size(), "and none over the second channel");
    assertEquals(ConnectivityState.TRANSIENT_FAILURE, second.last(), "NOT_SERVING reaches the second channel");
    assertEquals(1, scope.loops());

    OtherChannel third = new OtherChannel(scope, instance, config);
    third.below.setState(ConnectivityState.READY);
    assertEquals(0, third.below.calls.size(), "a late joiner does not poll");
    assertEquals(ConnectivityState.TRANSIENT_FAILURE, third.last(), "it takes the loop's verdict at once");

    OtherChannel otherConfig = new OtherChannel(scope, instance, new PollConfig(INTERVAL.multipliedBy(2),
        Duration.ofSeconds(1), 3));
    otherConfig.below.setState(ConnectivityState.READY);
    assertEquals(1, otherConfig.below.calls.size(), "other poll settings: a loop of their own");
    assertEquals(2, scope.loops());
  }

  @Test
  void whenTheLeadingConnectionLeavesTheNextMemberPollsAtOnceAndTheLastOneStopsTheLoop() {
    SharedHealthPolls scope = new SharedHealthPolls();
    PollConfig config = new PollConfig(INTERVAL, Duration.ofSeconds(1), 3);
    List<io.grpc.EquivalentAddressGroup> instance = FakeLoadBalancerHelper.groups("y");
    OtherChannel first = new OtherChannel(scope, instance, config);
    OtherChannel second = new OtherChannel(scope, instance, config);
    first.below.setState(ConnectivityState.READY);
    second.below.setState(ConnectivityState.READY);
    first.below.lastCall().answer(ServingStatus.SERVING);
    first.fake.clock.advance(INTERVAL);
    assertEquals(2, first.below.calls.size());
    first.below.setState(ConnectivityState.IDLE);
    assertTrue(first.below.lastCall().cancelled, "the leader's poll in flight is cancelled");
    assertEquals(1, second.below.calls.size(), "the next member polls at once over its own connection");
    assertEquals(0, first.fake.clock.pending(), "no timer left on the leaver's clock");
    first.below.lastCall().answer(ServingStatus.NOT_SERVING);
    assertEquals(ConnectivityState.READY, second.last(), "a late answer over the old leader is ignored");
    second.below.lastCall().answer(ServingStatus.NOT_SERVING);
    assertEquals(ConnectivityState.TRANSIENT_FAILURE, second.last());
    assertEquals(ConnectivityState.IDLE, first.last(), "a member that left hears nothing more from the loop");
    assertEquals(1, second.fake.clock.pending(), "the new leader schedules the next poll on its own clock");
    second.fake.sync.execute(second.subchannel::shutdown);
    assertEquals(0, second.fake.clock.pending(), "the last member's shutdown stops the loop");
    assertEquals(0, scope.loops());
  }
}
