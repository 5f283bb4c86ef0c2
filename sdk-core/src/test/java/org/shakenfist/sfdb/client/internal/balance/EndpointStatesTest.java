package org.shakenfist.sfdb.client.internal.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ConnectivityState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.EndpointState;
import org.shakenfist.sfdb.client.EndpointState.Health;
import org.shakenfist.sfdb.client.GatewayHost;
import org.shakenfist.sfdb.client.testsupport.LogCapture;

/** The endpoint view alone: what it shows, its gauges, its rotation log lines, its wait. */
class EndpointStatesTest {
  private static final GatewayHost A = GatewayHost.of("10.0.0.20", 13005);
  private static final GatewayHost B = GatewayHost.of("db.example", 13005);
  private static final InetSocketAddress A1 = InetSocketAddress.createUnresolved("10.0.0.20", 13005);
  private static final InetSocketAddress B1 = InetSocketAddress.createUnresolved("10.0.0.31", 13005);
  private static final InetSocketAddress B2 = InetSocketAddress.createUnresolved("10.0.0.32", 13005);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final EndpointStates states = new EndpointStates(List.of(A, B), Health.UNKNOWN, null, registry,
      Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC));

  @Test
  void anInstanceWithSeveralAddressesShowsItsBestAndTheRotationIsLoggedOncePerChange() {
    try (LogCapture log = LogCapture.of(EndpointStates.class, Level.INFO)) {
      states.update(B, B1, ConnectivityState.TRANSIENT_FAILURE, Health.UNKNOWN, false, "UNAVAILABLE: refused");
      states.update(B, B2, ConnectivityState.READY, Health.SERVING, true, "");
      states.update(B, B2, ConnectivityState.READY, Health.SERVING, true, "");
      EndpointState b = states.snapshot().get(1);
      assertEquals(ConnectivityState.READY, b.connectivity(), "READY beats TRANSIENT_FAILURE: " + b);
      assertTrue(b.inRotation() && b.problem().isEmpty(), b.toString());
      assertEquals(2, b.addresses().size());
      assertEquals(1, log.count(B + " entered the rotation"), log.messages().toString());
      states.update(B, B2, ConnectivityState.READY, Health.NOT_SERVING, false, "health poll: status NOT_SERVING");
      assertEquals(1, log.count(B + " left the rotation (READY, health NOT_SERVING: health poll: status NOT_SERVING)"),
          log.messages().toString());
      states.remove(B, B2);
      assertEquals(ConnectivityState.TRANSIENT_FAILURE, states.snapshot().get(1).connectivity(), "the other address");
      states.shuttingDown();
      states.update(A, A1, ConnectivityState.READY, Health.SERVING, true, "");
      states.update(A, A1, ConnectivityState.SHUTDOWN, Health.SERVING, false, "");
      assertEquals(0, log.count(A + " left the rotation"), "no rotation lines while the channel shuts down");
    }
  }

  @Test
  void gaugesFollowTheViewAndGoWithClose() {
    states.update(A, A1, ConnectivityState.READY, Health.SERVING, true, "");
    assertEquals(1.0, registry.get("sfdb.client.endpoint.in.rotation").tag("endpoint", A.toString()).gauge().value());
    assertEquals(1.0, registry.get("sfdb.client.endpoint.health").tag("endpoint", A.toString()).tag("health", "SERVING")
        .gauge().value());
    assertEquals(0.0, registry.get("sfdb.client.endpoint.in.rotation").tag("endpoint", B.toString()).gauge().value());
    states.close();
    assertTrue(registry.find("sfdb.client.endpoint.in.rotation").gauges().isEmpty());
  }

  @Test
  void aWaitIsWokenByTheChangeAndTimesOutWithTheView() throws Exception {
    Thread later = new Thread(() -> states.update(A, A1, ConnectivityState.READY, Health.SERVING, true, ""));
    later.start();
    List<EndpointState> seen = states.await(v -> v.get(0).inRotation(), Duration.ofSeconds(10));
    later.join();
    assertTrue(seen.get(0).inRotation());
    TimeoutException e = assertThrows(TimeoutException.class,
        () -> states.await(v -> v.get(1).inRotation(), Duration.ofMillis(20)));
    assertTrue(e.getMessage().contains(B.toString()), e.getMessage());
    assertEquals(Health.UNKNOWN, states.snapshot().get(1).health(), "never reported: the initial health");
  }
}
