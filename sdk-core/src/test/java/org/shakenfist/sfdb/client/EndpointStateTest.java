package org.shakenfist.sfdb.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ConnectivityState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.EndpointState.Health;
import org.shakenfist.sfdb.client.internal.balance.EndpointStates;
import org.shakenfist.sfdb.client.testsupport.LogCapture;

class EndpointStateTest {

  @Test
  void endpointsGaugesAndLogsFollowAnInstanceOutOfTheRotationAndBack() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    LogCapture log = LogCapture.of(EndpointStates.class, Level.INFO);
    Instant built = Instant.now();
    try (log; TestTier tier = TestTier.inProcess(3);
        DatabaseChannel channel = DatabaseChannels.fromConfig(tier.config().meterRegistry(registry)
            .healthPollInterval(Duration.ofMillis(100)).build())) {
      assertEquals(3, channel.endpoints().size());
      tier.warmUp(channel);
      TestTier.waitFor(() -> channel.endpoints().stream().allMatch(e -> e.health() == Health.SERVING),
          "every instance answered a health poll");
      CallCounts counts = channel.callCounts();
      for (EndpointState e : channel.endpoints()) {
        assertEquals(ConnectivityState.READY, e.connectivity(), e.toString());
        assertTrue(e.inRotation() && e.problem().isEmpty(), e.toString());
        assertEquals(List.of(e.host().host()), e.addresses(), "in-process: the server name");
        assertEquals(counts.get(e.host().host()), e.attempts(), "attempts as counted: " + counts);
        assertTrue(!e.since().isBefore(built.minusSeconds(1)), e.toString());
        assertEquals(1.0, gauge(registry, "sfdb.client.endpoint.in.rotation", e.host()), e.toString());
        assertEquals(1.0, registry.get("sfdb.client.endpoint.state").tag("endpoint", e.host().toString())
            .tag("state", "READY").gauge().value());
      }
      assertTrue(log.count("entered the rotation") >= 3, log.messages().toString());

      TestTier.Instance sick = tier.instances.get(1);
      GatewayHost sickHost = channel.endpoints().get(1).host();
      sick.setServing(false);
      // woken by the change itself, no polling: the view it returns is the one that satisfied the condition
      EndpointState out = channel.awaitEndpoints(view -> !view.get(1).inRotation(), Duration.ofSeconds(10)).get(1);
      assertEquals(sickHost, out.host());
      assertEquals(Health.NOT_SERVING, out.health(), out.toString());
      assertEquals(ConnectivityState.READY, out.connectivity(), "connected, only unhealthy: " + out);
      assertTrue(out.problem().contains("NOT_SERVING"), out.problem());
      assertEquals(0.0, gauge(registry, "sfdb.client.endpoint.in.rotation", sickHost));
      assertEquals(1.0, registry.get("sfdb.client.endpoint.health").tag("endpoint", sickHost.toString())
          .tag("health", "NOT_SERVING").gauge().value());
      assertTrue(log.messages().stream().anyMatch(m -> m.contains(sickHost + " left the rotation")
          && m.contains("NOT_SERVING")), log.messages().toString());

      sick.setServing(true);
      channel.awaitEndpoints(view -> view.get(1).inRotation(), Duration.ofSeconds(10));
      java.util.concurrent.TimeoutException never = org.junit.jupiter.api.Assertions.assertThrows(
          java.util.concurrent.TimeoutException.class, () -> channel.awaitEndpoints(v -> false, Duration.ofMillis(50)));
      assertTrue(never.getMessage().contains(sickHost.toString()), "names the view it ended with: " + never.getMessage());
      assertTrue(log.count(sickHost + " entered the rotation") >= 2, log.messages().toString());
    }
    assertTrue(registry.find("sfdb.client.endpoint.in.rotation").gauges().isEmpty(), "gauges removed on close");
  }

  @Test
  void healthCheckingOffShowsUncheckedAndAnUnreachableInstanceItsConnectionState() throws Exception {
    try (TestTier tier = TestTier.inProcess(2);
        DatabaseChannel channel = DatabaseChannels.fromConfig(tier.config()
            .hosts(tier.hosts() + ",core-test-nobody-listens").healthCheck(HealthCheckMode.OFF).build())) {
      tier.warmUp(channel);
      List<EndpointState> e = channel.endpoints();
      assertEquals(3, e.size());
      assertEquals(Health.UNCHECKED, e.get(0).health());
      assertTrue(e.get(0).inRotation());
      TestTier.waitFor(() -> channel.endpoints().get(2).connectivity() == ConnectivityState.TRANSIENT_FAILURE,
          "the instance nobody serves fails to connect");
      EndpointState dead = channel.endpoints().get(2);
      assertFalse(dead.inRotation());
      assertTrue(dead.problem().contains("UNAVAILABLE"), dead.toString());
    }
  }

  @Test
  void everyAttemptIsTimedPerEndpointAndPercentilesOnlyWhenTheRegistryAsks() throws Exception {
    SimpleMeterRegistry plain = new SimpleMeterRegistry();
    SimpleMeterRegistry withPercentiles = new SimpleMeterRegistry();
    withPercentiles.config().meterFilter(new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        return DistributionStatisticConfig.builder().percentiles(0.5, 0.99).build().merge(config);
      }
    });
    try (TestTier tier = TestTier.inProcess(2);
        DatabaseChannel a = DatabaseChannels.fromConfig(tier.config().meterRegistry(plain).build());
        DatabaseChannel b = DatabaseChannels.fromConfig(tier.config().meterRegistry(withPercentiles).build())) {
      tier.warmUp(a);
      tier.warmUp(b);
      tier.instances.get(1).delayMillis = 30;
      for (int i = 0; i < 20; i++) {
        TestTier.call(a);
        TestTier.call(b);
      }
      String method = "grpc.testing.SimpleService/UnaryRpc";
      for (TestTier.Instance instance : tier.instances) {
        Timer t = plain.get("sfdb.client.attempt.duration").tag("endpoint", instance.name).tag("method", method)
            .tag("status", "OK").timer();
        Counter c = plain.get("sfdb.client.calls").tag("endpoint", instance.name).tag("method", method)
            .tag("status", "OK").counter();
        assertEquals(c.count(), t.count(), "one timing per counted attempt");
        assertEquals(0, t.takeSnapshot().percentileValues().length, "no percentiles unless asked");
      }
      Timer slow = plain.get("sfdb.client.attempt.duration").tag("endpoint", tier.instances.get(1).name)
          .tag("method", method).timer();
      Timer fast = plain.get("sfdb.client.attempt.duration").tag("endpoint", tier.instances.get(0).name)
          .tag("method", method).timer();
      assertTrue(slow.max(TimeUnit.MILLISECONDS) >= 30, "the slow instance's attempts took >= 30 ms: " + slow.max(TimeUnit.MILLISECONDS));
      assertTrue(slow.mean(TimeUnit.MILLISECONDS) > fast.mean(TimeUnit.MILLISECONDS));
      Timer asked = withPercentiles.get("sfdb.client.attempt.duration").tag("endpoint", tier.instances.get(1).name)
          .tag("method", method).timer();
      assertEquals(2, asked.takeSnapshot().percentileValues().length, "percentiles when the registry asks");
    }
  }

  private static double gauge(SimpleMeterRegistry registry, String name, GatewayHost host) {
    return registry.get(name).tag("endpoint", host.toString()).gauge().value();
  }
}
