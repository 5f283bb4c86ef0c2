package org.shakenfist.sfdb.client.internal;

import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.Status;
import java.time.Duration;
import java.util.Map;

/**
 * Load-balancing policy {@code sfdb_poll_health}: round_robin whose instances are health-checked with unary
 * {@code grpc.health.v1.Health/Check} polls instead of Watch streams (for servers whose Watch is unsafe).
 * Config: {@code {"intervalMillis": 2000.0, "timeoutMillis": 1000.0, "failures": 3.0,
 * "childPolicy": "round_robin"}} (or {@code "sfdb_least_request"}). Registered through
 * {@code META-INF/services/io.grpc.LoadBalancerProvider}.
 */
public final class PollHealthLoadBalancerProvider extends LoadBalancerProvider {
  public static final String POLICY = "sfdb_poll_health";

  @Override
  public boolean isAvailable() {
    return true;
  }

  @Override
  public int getPriority() {
    return 5;
  }

  @Override
  public String getPolicyName() {
    return POLICY;
  }

  @Override
  public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
    return new PollHealthLoadBalancer(helper);
  }

  @Override
  public ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> raw) {
    try {
      long interval = ((Number) raw.get("intervalMillis")).longValue();
      long timeout = ((Number) raw.get("timeoutMillis")).longValue();
      long failures = ((Number) raw.get("failures")).longValue();
      String childPolicy = (String) raw.get("childPolicy");
      if (interval <= 0 || timeout <= 0 || failures < 1
          || !("round_robin".equals(childPolicy) || LeastRequestLoadBalancerProvider.POLICY.equals(childPolicy))) {
        return ConfigOrError.fromError(Status.INVALID_ARGUMENT.withDescription(POLICY + ": bad config " + raw));
      }
      return ConfigOrError.fromConfig(new PollHealthConfig(Duration.ofMillis(interval), Duration.ofMillis(timeout), (int) failures,
          childPolicy));
    } catch (RuntimeException e) {
      return ConfigOrError.fromError(Status.INVALID_ARGUMENT.withDescription(POLICY + ": bad config " + raw).withCause(e));
    }
  }
}
