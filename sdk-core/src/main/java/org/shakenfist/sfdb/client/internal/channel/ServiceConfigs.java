package org.shakenfist.sfdb.client.internal.channel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.HealthCheckMode;
import org.shakenfist.sfdb.client.internal.balance.TierLoadBalancerProvider;

/**
 * Builds the gRPC service config (as the JSON-like map grpc-java parses; numbers are Doubles) that the
 * sfdb resolver returns with every resolution result.
 */
public final class ServiceConfigs {
  private ServiceConfigs() {}

  /** Service config for a channel configured by {@code config}. */
  public static Map<String, Object> forConfig(DatabaseChannelConfig config) {
    Map<String, Object> sc = new LinkedHashMap<>();
    // Every channel runs the SDK's tier policy; what it does comes from the channel's TierPolicy (a typed
    // name-resolver argument), so its entry here only names it.
    Map<String, ?> policy = Map.of(TierLoadBalancerProvider.POLICY, Map.of());
    if (config.outlierDetection()) {
      policy = outlierDetection(policy, config.hosts().size());
    }
    sc.put("loadBalancingConfig", List.of(policy));
    if (config.healthCheck() == HealthCheckMode.WATCH) {
      sc.put("healthCheckConfig", Map.of("serviceName", ""));
    }
    List<Object> methodConfigs = new ArrayList<>();
    // "name":[{}] is the default method config: every method gets the deadline (when grpc enforces it; else the
    // SDK's interceptor does, and the service config names no timeout).
    if (config.deadlineOnWire()) {
      methodConfigs.add(Map.of("name", List.of(Map.of()), "timeout", duration(config.deadline())));
    }
    if (!config.retryMethods().isEmpty()) {
      List<Object> names = new ArrayList<>();
      for (String m : config.retryMethods()) {
        int slash = m.indexOf('/');
        names.add(slash < 0 ? Map.of("service", m)
            : Map.of("service", m.substring(0, slash), "method", m.substring(slash + 1)));
      }
      Map<String, Object> retryPolicy = new LinkedHashMap<>();
      retryPolicy.put("maxAttempts", (double) config.retryMaxAttempts());
      retryPolicy.put("initialBackoff", duration(config.retryInitialBackoff()));
      retryPolicy.put("maxBackoff", duration(config.retryMaxBackoff()));
      retryPolicy.put("backoffMultiplier", 2.0);
      retryPolicy.put("retryableStatusCodes", config.retryStatusCodes().stream().map(Enum::name).toList());
      Map<String, Object> mc = new LinkedHashMap<>();
      mc.put("name", names);
      if (config.deadlineOnWire()) {
        mc.put("timeout", duration(config.deadline()));
      }
      mc.put("retryPolicy", retryPolicy);
      methodConfigs.add(mc);
      if (config.retryBudgetTokens() > 0) {
        sc.put("retryThrottling", Map.of("maxTokens", (double) config.retryBudgetTokens(),
            "tokenRatio", config.retryBudgetRatio()));
      }
    }
    sc.put("methodConfig", methodConfigs);
    return sc;
  }

  /**
   * grpc's outlier detection around {@code child}, with thresholds that fire on a 2-3 instance tier (grpc's
   * defaults need 5 hosts and 100 requests): every 2 s, an instance with at least 10 calls of which at least
   * 50 % failed is ejected for 10 s (growing with repeated ejections, up to 60 s); at most 100/N % of the
   * instances (one instance on a small tier) may be ejected at once.
   */
  static Map<String, ?> outlierDetection(Map<String, ?> child, int hosts) {
    Map<String, Object> od = new LinkedHashMap<>();
    od.put("interval", "2s");
    od.put("baseEjectionTime", "10s");
    od.put("maxEjectionTime", "60s");
    od.put("maxEjectionPercent", (double) Math.max(1, 100 / Math.max(1, hosts)));
    od.put("failurePercentageEjection", Map.of(
        "threshold", 50.0,
        "enforcementPercentage", 100.0,
        "minimumHosts", 2.0,
        "requestVolume", 10.0));
    od.put("childPolicy", List.of(child));
    return Map.of("outlier_detection_experimental", od);
  }

  /** grpc's JSON duration form, e.g. {@code 0.200000000s}. */
  static String duration(Duration d) {
    return String.format("%d.%09ds", d.getSeconds(), d.getNano());
  }
}
