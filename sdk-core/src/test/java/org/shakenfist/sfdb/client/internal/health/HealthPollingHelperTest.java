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
    try (LogCapture warnings = LogCapture.of(HealthPollingHelper.class, Level.WARNING)) {
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
}
