package org.shakenfist.sfdb.client.internal.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.HealthCheckMode;

/** The service config a channel's resolver hands grpc, as grpc's JSON-like map. */
class ServiceConfigsTest {
  private static final DatabaseChannelConfig TWO = DatabaseChannelConfig.builder().hosts("a,b").build();

  @Test
  void theDefaultIsTheTierPolicyAndNothingElse() {
    // the default deadline is the SDK's own (DefaultDeadline), so grpc gets no timeout
    Map<String, Object> sc = ServiceConfigs.forConfig(TWO);
    assertEquals(Map.of(
        "loadBalancingConfig", List.of(Map.of("sfdb_tier", Map.of())),
        "methodConfig", List.of()), sc);
  }

  @Test
  void aDeadlineOnTheWireIsGrpcsTimeoutForEveryMethodRetriedOrNot() {
    Map<String, Object> sc = ServiceConfigs.forConfig(TWO.toBuilder().deadlineOnWire(true).retryMethods("p.S").build());
    List<?> methods = (List<?>) sc.get("methodConfig");
    assertEquals(Map.of("name", List.of(Map.of()), "timeout", "30.000000000s"), methods.get(0));
    assertEquals("30.000000000s", ((Map<?, ?>) methods.get(1)).get("timeout"));
    assertFalse(((Map<?, ?>) ((List<?>) ServiceConfigs.forConfig(TWO.toBuilder().retryMethods("p.S").build())
        .get("methodConfig")).get(0)).containsKey("timeout"));
  }

  @Test
  void watchAsksGrpcForHealthCheckingOfServiceEmpty() {
    Map<String, Object> sc = ServiceConfigs.forConfig(TWO.toBuilder().healthCheck(HealthCheckMode.WATCH).build());
    assertEquals(Map.of("serviceName", ""), sc.get("healthCheckConfig"));
    assertFalse(ServiceConfigs.forConfig(TWO.toBuilder().healthCheck(HealthCheckMode.OFF).build())
        .containsKey("healthCheckConfig"));
  }

  @Test
  void retriedMethodsGetGrpcsRetryPolicyAndTheBudget() {
    Map<String, Object> sc = ServiceConfigs.forConfig(TWO.toBuilder().retryMethods("p.S/M", "p.T").build());
    List<?> methods = (List<?>) sc.get("methodConfig");
    assertEquals(1, methods.size());
    Map<?, ?> retried = (Map<?, ?>) methods.get(0);
    assertEquals(List.of(Map.of("service", "p.S", "method", "M"), Map.of("service", "p.T")), retried.get("name"));
    assertEquals(Map.of("maxAttempts", 6.0, "initialBackoff", "0.200000000s", "maxBackoff", "2.000000000s",
        "backoffMultiplier", 2.0, "retryableStatusCodes", List.of("UNAVAILABLE", "CANCELLED")), retried.get("retryPolicy"));
    assertEquals(Map.of("maxTokens", 100.0, "tokenRatio", 1.0), sc.get("retryThrottling"));
    assertFalse(ServiceConfigs.forConfig(TWO.toBuilder().retryMethods("p.S").retryBudgetTokens(0).build())
        .containsKey("retryThrottling"), "0 tokens: no budget");
  }

  @Test
  void outlierDetectionWrapsTheTierPolicyWithThresholdsThatFireOnASmallTier() {
    for (int n : new int[] {2, 3, 8}) {
      StringBuilder hosts = new StringBuilder("h0");
      for (int i = 1; i < n; i++) {
        hosts.append(",h").append(i);
      }
      Map<String, Object> sc = ServiceConfigs.forConfig(DatabaseChannelConfig.builder().hosts(hosts.toString())
          .outlierDetection(true).build());
      Map<?, ?> od = (Map<?, ?>) ((Map<?, ?>) ((List<?>) sc.get("loadBalancingConfig")).get(0))
          .get("outlier_detection_experimental");
      assertEquals((double) Math.max(1, 100 / n), od.get("maxEjectionPercent"), "one instance at most: N=" + n);
      assertEquals(List.of(Map.of("sfdb_tier", Map.of())), od.get("childPolicy"));
      assertEquals(2.0, ((Map<?, ?>) od.get("failurePercentageEjection")).get("minimumHosts"));
    }
  }

  @Test
  void durationsAreGrpcsJsonForm() {
    assertEquals("0.250000000s", ServiceConfigs.duration(Duration.ofMillis(250)));
    assertEquals("90.000000000s", ServiceConfigs.duration(Duration.ofSeconds(90)));
  }
}
