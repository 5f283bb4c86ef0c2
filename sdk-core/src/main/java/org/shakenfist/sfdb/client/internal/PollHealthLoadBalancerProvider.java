package org.shakenfist.sfdb.client.internal;

import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.Status;
import java.time.Duration;
import java.util.Map;

/**
 * Load-balancing policy {@code sfdb_poll_health}, the SDK's policy for every channel: round_robin (or another
 * child policy) whose instances are health-checked with unary {@code grpc.health.v1.Health/Check} polls
 * instead of Watch streams (for servers whose Watch is unsafe), and whose subchannel states feed
 * {@link EndpointStates}. Config: {@code {"intervalMillis": 2000.0, "timeoutMillis": 1000.0, "failures": 3.0,
 * "childPolicy": "round_robin", "poll": true}} (child also {@code sfdb_least_request} or {@code pick_first};
 * {@code "poll": false} only reports states). Registered through
 * {@code META-INF/services/io.grpc.LoadBalancerProvider}.
 */
public final class PollHealthLoadBalancerProvider extends LoadBalancerProvider {
  public static final String POLICY = "sfdb_poll_health";
  private static final java.util.Set<String> CHILD_POLICIES =
      java.util.Set.of("round_robin", "pick_first", LeastRequestLoadBalancerProvider.POLICY);

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
      boolean poll = (Boolean) raw.get("poll");
      if (interval <= 0 || timeout <= 0 || failures < 1 || !CHILD_POLICIES.contains(childPolicy)) {
        return ConfigOrError.fromError(Status.INVALID_ARGUMENT.withDescription(POLICY + ": bad config " + raw));
      }
      return ConfigOrError.fromConfig(new PollHealthConfig(Duration.ofMillis(interval), Duration.ofMillis(timeout), (int) failures,
          childPolicy, poll));
    } catch (RuntimeException e) {
      return ConfigOrError.fromError(Status.INVALID_ARGUMENT.withDescription(POLICY + ": bad config " + raw).withCause(e));
    }
  }
}
