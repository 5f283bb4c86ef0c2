package org.shakenfist.sfdb.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.internal.balance.Pick;
import org.shakenfist.sfdb.client.internal.balance.TierPolicy;
import org.shakenfist.sfdb.client.internal.channel.ServiceConfigs;
import org.shakenfist.sfdb.client.internal.health.PollConfig;

class DatabaseChannelConfigTest {

  @Test
  void defaultsMatchTheRealClient() {
    DatabaseChannelConfig c = DatabaseChannelConfig.fromEnv(Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", "10.0.0.20,10.0.0.21"));
    assertEquals(List.of(GatewayHost.of("10.0.0.20", 13005), GatewayHost.of("10.0.0.21", 13005)), c.hosts());
    assertEquals(13006, c.metricsPort());
    assertEquals(Duration.ofSeconds(10), c.keepAliveTime());
    assertEquals(Duration.ofSeconds(5), c.keepAliveTimeout());
    assertTrue(c.keepAliveWithoutCalls());
    assertEquals(32 * 1024 * 1024, c.maxInboundMessageSize());
    assertEquals(Duration.ofSeconds(5), c.reconnectBackoffMax());
    assertEquals(Duration.ofSeconds(30), c.deadline());
    assertEquals(6, c.retryMaxAttempts());
    assertEquals(List.of(io.grpc.Status.Code.UNAVAILABLE, io.grpc.Status.Code.CANCELLED), c.retryStatusCodes());
    assertEquals(List.of(), c.retryMethods());
    // poll, never Watch, by default: the real gateway's synchronous health servicer deadlocks under Watch churn
    assertEquals(HealthCheckMode.POLL, c.healthCheck());
    assertEquals(100, c.retryBudgetTokens());
    assertEquals(1.0, c.retryBudgetRatio());
    assertEquals(Duration.ofSeconds(2), c.healthPollInterval());
    assertEquals(Duration.ofSeconds(1), c.healthPollTimeout());
    assertEquals(3, c.healthPollFailures());
    assertEquals("round_robin", c.loadBalancingPolicy());
    assertEquals("unknown", c.callerDaemon());
    assertEquals("unknown", c.callerNode());
  }

  @Test
  void everyVariableOverrides() {
    DatabaseChannelConfig c = DatabaseChannelConfig.fromEnv(Map.ofEntries(
        Map.entry("SHAKENFIST_MARIADB_GATEWAY_HOSTS", "a,b:1"),
        Map.entry("SHAKENFIST_MARIADB_GATEWAY_PORT", "2000"),
        Map.entry("SHAKENFIST_MARIADB_GATEWAY_METRICS_PORT", "2001"),
        Map.entry("SHAKENFIST_MARIADB_GATEWAY_HEALTH_CHECK", "off"),
        Map.entry("SHAKENFIST_MARIADB_GATEWAY_KEEPALIVE_TIME", "20s"),
        Map.entry("SHAKENFIST_MARIADB_GATEWAY_KEEPALIVE_TIMEOUT", "1500ms"),
        Map.entry("SHAKENFIST_MARIADB_GATEWAY_KEEPALIVE_WITHOUT_CALLS", "false"),
        Map.entry("SHAKENFIST_MARIADB_GATEWAY_MAX_RECEIVE_MESSAGE_BYTES", "1024"),
        Map.entry("SHAKENFIST_MARIADB_GATEWAY_RECONNECT_BACKOFF_MAX", "1m"),
        Map.entry("SHAKENFIST_MARIADB_GATEWAY_DEADLINE", "7"),
        Map.entry("SHAKENFIST_MARIADB_GATEWAY_RETRY_METHODS", "shakenfist.protos.DatabaseService/GetObjectState, x.Y,"),
        Map.entry("SHAKENFIST_MARIADB_GATEWAY_RETRY_MAX_ATTEMPTS", "3"),
        Map.entry("SHAKENFIST_MARIADB_GATEWAY_RETRY_STATUS_CODES", "unavailable, UNKNOWN"),
        Map.entry("SHAKENFIST_MARIADB_GATEWAY_RETRY_BUDGET_TOKENS", "20"),
        Map.entry("SHAKENFIST_MARIADB_GATEWAY_RETRY_BUDGET_RATIO", "0.5"),
        Map.entry("SHAKENFIST_CALLER_DAEMON", "sf-api"),
        Map.entry("SHAKENFIST_NODE_NAME", "node1")));
    assertEquals(List.of(GatewayHost.of("a", 2000), GatewayHost.of("b", 1)), c.hosts());
    assertEquals(2001, c.metricsPort());
    assertEquals(HealthCheckMode.OFF, c.healthCheck());
    assertEquals(Duration.ofSeconds(20), c.keepAliveTime());
    assertEquals(Duration.ofMillis(1500), c.keepAliveTimeout());
    assertEquals(false, c.keepAliveWithoutCalls());
    assertEquals(1024, c.maxInboundMessageSize());
    assertEquals(Duration.ofMinutes(1), c.reconnectBackoffMax());
    assertEquals(Duration.ofSeconds(7), c.deadline());
    assertEquals(List.of("shakenfist.protos.DatabaseService/GetObjectState", "x.Y"), c.retryMethods());
    assertEquals(3, c.retryMaxAttempts());
    assertEquals(List.of(io.grpc.Status.Code.UNAVAILABLE, io.grpc.Status.Code.UNKNOWN), c.retryStatusCodes());
    assertTrue(ServiceConfigs.forConfig(c).get("methodConfig").toString()
        .contains("retryableStatusCodes=[UNAVAILABLE, UNKNOWN]"));
    assertEquals(20, c.retryBudgetTokens());
    assertEquals(0.5, c.retryBudgetRatio());
    assertEquals(Map.of("maxTokens", 20.0, "tokenRatio", 0.5), ServiceConfigs.forConfig(c).get("retryThrottling"));
    assertEquals("sf-api", c.callerDaemon());
    assertEquals("node1", c.callerNode());
  }

  @Test
  void badVariablesAreNamed() {
    assertMessage(Map.of(), "SHAKENFIST_MARIADB_GATEWAY_HOSTS: is not set");
    assertMessage(Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", "a", "SHAKENFIST_MARIADB_GATEWAY_PORT", "70000"),
        "SHAKENFIST_MARIADB_GATEWAY_PORT=\"70000\": is not in 1..65535");
    assertMessage(Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", "a", "SHAKENFIST_MARIADB_GATEWAY_DEADLINE", "soon"),
        "SHAKENFIST_MARIADB_GATEWAY_DEADLINE=\"soon\": expected a duration");
    assertMessage(Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", "a", "SHAKENFIST_MARIADB_GATEWAY_HEALTH_CHECK", "maybe"),
        "SHAKENFIST_MARIADB_GATEWAY_HEALTH_CHECK=\"maybe\": expected one of on, watch, poll, off");
    assertMessage(Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", "a", "SHAKENFIST_MARIADB_GATEWAY_RETRY_METHODS", "ok.S,bad method"),
        "SHAKENFIST_MARIADB_GATEWAY_RETRY_METHODS: item 2 \"bad method\"");
    assertMessage(Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", "a", "SHAKENFIST_MARIADB_GATEWAY_RETRY_MAX_ATTEMPTS", "11"),
        "SHAKENFIST_MARIADB_GATEWAY_RETRY_MAX_ATTEMPTS=\"11\": is not in 2..10");
    assertMessage(Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", "a", "SHAKENFIST_MARIADB_GATEWAY_RETRY_STATUS_CODES", "UNAVAILABLE,OOPS"),
        "SHAKENFIST_MARIADB_GATEWAY_RETRY_STATUS_CODES: item 2 \"OOPS\": not a gRPC error status code");
    assertMessage(Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", "a", "SHAKENFIST_MARIADB_GATEWAY_RETRY_BUDGET_TOKENS", "1001"),
        "SHAKENFIST_MARIADB_GATEWAY_RETRY_BUDGET_TOKENS=\"1001\": is not in 0..1000");
    assertMessage(Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", "a", "SHAKENFIST_MARIADB_GATEWAY_RETRY_BUDGET_RATIO", "0.0001"),
        "SHAKENFIST_MARIADB_GATEWAY_RETRY_BUDGET_RATIO=\"0.0001\": is not in (0, 1] with at most 3 decimals");
    assertMessage(Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", "a", "SHAKENFIST_MARIADB_GATEWAY_RETRY_BUDGET_RATIO", "lots"),
        "SHAKENFIST_MARIADB_GATEWAY_RETRY_BUDGET_RATIO=\"lots\": is not a number");
    assertMessage(Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", "a,b,[::1"),
        "SHAKENFIST_MARIADB_GATEWAY_HOSTS: item 3 \"[::1\": unbalanced brackets");
  }

  @Test
  void badHostsBuildNoChannel() {
    // fromEnv must fail before any channel exists: nothing to leak, nothing half-built.
    DatabaseConfigException e = assertThrows(DatabaseConfigException.class,
        () -> DatabaseChannels.fromEnv(Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", "10.0.0.1:0")));
    assertEquals(1, e.position());
  }

  @Test
  void healthCheckValuesMapToModes() {
    Map<String, HealthCheckMode> expected = Map.of("on", HealthCheckMode.POLL, "poll", HealthCheckMode.POLL,
        "true", HealthCheckMode.POLL, " Watch ", HealthCheckMode.WATCH, "off", HealthCheckMode.OFF,
        "false", HealthCheckMode.OFF);
    expected.forEach((value, mode) -> assertEquals(mode, DatabaseChannelConfig.fromEnv(Map.of(
        "SHAKENFIST_MARIADB_GATEWAY_HOSTS", "a", "SHAKENFIST_MARIADB_GATEWAY_HEALTH_CHECK", value)).healthCheck(), value));
  }

  @Test
  void leastRequestIsOptInAndKeepsHealthChecking() {
    DatabaseChannelConfig c = DatabaseChannelConfig.fromEnv(Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", "a,b",
        "SHAKENFIST_MARIADB_GATEWAY_LB_POLICY", "least_request"));
    assertEquals("least_request", c.loadBalancingPolicy());
    assertEquals(TIER_POLICY, ServiceConfigs.forConfig(c).get("loadBalancingConfig"));
    TierPolicy policy = TierPolicy.of(c, null);
    assertEquals(Pick.LEAST_REQUEST, policy.pick());
    assertEquals(HealthCheckMode.POLL, policy.health(), "least_request keeps the health checks");
    assertEquals(new PollConfig(Duration.ofSeconds(2), Duration.ofSeconds(1), 3, 0.2), policy.poll());
    // the tier policy consumes Watch health as well as polled health: the two combine
    assertEquals(HealthCheckMode.WATCH, TierPolicy.of(c.toBuilder().healthCheck(HealthCheckMode.WATCH).build(), null).health());
    DatabaseConfigException bad = assertThrows(DatabaseConfigException.class, () -> DatabaseChannelConfig.fromEnv(Map.of(
        "SHAKENFIST_MARIADB_GATEWAY_HOSTS", "a", "SHAKENFIST_MARIADB_GATEWAY_LB_POLICY", "fastest")));
    assertTrue(bad.getMessage().contains("SHAKENFIST_MARIADB_GATEWAY_LB_POLICY") && bad.getMessage().contains("fastest")
        && bad.getMessage().contains("least_request"), bad.getMessage());
  }

  @Test
  void serviceConfigCarriesPollHealthDeadlineAndRetries() {
    DatabaseChannelConfig c = DatabaseChannelConfig.builder().hosts("a").retryMethods("p.S/M", "p.T").build();
    Map<String, Object> sc = ServiceConfigs.forConfig(c);
    assertEquals(TIER_POLICY, sc.get("loadBalancingConfig"));
    assertTrue(!sc.containsKey("healthCheckConfig"), "no Watch streams unless asked: " + sc);
    assertEquals(Map.of("maxTokens", 100.0, "tokenRatio", 1.0), sc.get("retryThrottling"), "a retry budget by default");
    assertTrue(!ServiceConfigs.forConfig(c.toBuilder().retryBudgetTokens(0).build()).containsKey("retryThrottling"));
    assertTrue(!ServiceConfigs.forConfig(c.toBuilder().retryMethods(List.of()).build()).containsKey("retryThrottling"),
        "no retries, no budget");
    Map<String, Object> watch = ServiceConfigs.forConfig(c.toBuilder().healthCheck(HealthCheckMode.WATCH).build());
    assertEquals(TIER_POLICY, watch.get("loadBalancingConfig"), "Watch health is consumed by the same tier policy");
    assertEquals(Map.of("serviceName", ""), watch.get("healthCheckConfig"));
    String text = sc.get("methodConfig").toString();
    assertTrue(!text.contains("timeout"), "the SDK enforces the default deadline itself: " + text);
    assertTrue(ServiceConfigs.forConfig(c.toBuilder().deadlineOnWire(true).build()).get("methodConfig").toString()
        .contains("timeout=30.000000000s"));
    assertTrue(text.contains("maxAttempts=6.0") && text.contains("retryableStatusCodes=[UNAVAILABLE, CANCELLED]"), text);
    assertTrue(text.contains("method=M") && text.contains("service=p.S") && text.contains("{service=p.T}"), text);
    Map<String, Object> off = ServiceConfigs.forConfig(c.toBuilder().healthCheck(HealthCheckMode.OFF).build());
    assertTrue(!off.containsKey("healthCheckConfig"));
    assertEquals(TIER_POLICY, off.get("loadBalancingConfig"));
    assertEquals(TIER_POLICY, ServiceConfigs.forConfig(c.toBuilder().loadBalancingPolicy("pick_first")
        .build()).get("loadBalancingConfig"));
  }

  /** The SDK's tier policy, every channel's: its settings travel as a typed TierPolicy, not in this map. */
  private static final List<Map<String, ?>> TIER_POLICY = List.of(Map.of("sfdb_tier", Map.of()));

  private static void assertMessage(Map<String, String> env, String expectedStart) {
    DatabaseConfigException e = assertThrows(DatabaseConfigException.class, () -> DatabaseChannelConfig.fromEnv(env));
    assertTrue(e.getMessage().startsWith(expectedStart), e.getMessage());
  }
}
