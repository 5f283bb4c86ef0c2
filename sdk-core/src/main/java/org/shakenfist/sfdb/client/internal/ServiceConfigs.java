package org.shakenfist.sfdb.client.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.HealthCheckMode;

/**
 * Builds the gRPC service config (as the JSON-like map grpc-java parses; numbers are Doubles) that the
 * sfdb resolver returns with every resolution result.
 */
public final class ServiceConfigs {
  private ServiceConfigs() {}

  /** Service config for a channel configured by {@code config}. */
  public static Map<String, Object> forConfig(DatabaseChannelConfig config) {
    Map<String, Object> sc = new LinkedHashMap<>();
    sc.put("loadBalancingConfig", List.of(Map.of(config.loadBalancingPolicy(), Map.of())));
    if (config.healthCheck() == HealthCheckMode.WATCH) {
      sc.put("healthCheckConfig", Map.of("serviceName", ""));
    }
    List<Object> methodConfigs = new ArrayList<>();
    // "name":[{}] is the default method config: every method gets the deadline.
    methodConfigs.add(Map.of("name", List.of(Map.of()), "timeout", duration(config.deadline())));
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
      retryPolicy.put("retryableStatusCodes", List.of("UNAVAILABLE"));
      Map<String, Object> mc = new LinkedHashMap<>();
      mc.put("name", names);
      mc.put("timeout", duration(config.deadline()));
      mc.put("retryPolicy", retryPolicy);
      methodConfigs.add(mc);
    }
    sc.put("methodConfig", methodConfigs);
    return sc;
  }

  /** grpc's JSON duration form, e.g. {@code 0.200000000s}. */
  static String duration(Duration d) {
    return String.format("%d.%09ds", d.getSeconds(), d.getNano());
  }
}
