package org.shakenfist.sfdb.client.internal.balance;

import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.protobuf.services.HealthCheckingLoadBalancerUtil;
import java.util.Map;
import org.shakenfist.sfdb.client.internal.health.HealthPollingHelper;

/**
 * Load-balancing policy {@code sfdb_tier} (see {@link TierLoadBalancer}), the SDK's policy on every channel;
 * service-config entry {@code {"sfdb_tier": {}}}: what it does comes from the channel's {@link TierPolicy}.
 * The health producer under it is chosen here: unary polls ({@link HealthPollingHelper}), grpc's Watch-based
 * health checking, or none. Registered through {@code META-INF/services/io.grpc.LoadBalancerProvider}.
 */
public final class TierLoadBalancerProvider extends LoadBalancerProvider {
  /** The policy's name in a service config. */
  public static final String POLICY = "sfdb_tier";

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
    return newLoadBalancer(helper, TierPolicy.of(helper));
  }

  /** The policy over {@code helper} with an explicit {@code policy} (tests and the simulator). */
  public static LoadBalancer newLoadBalancer(LoadBalancer.Helper helper, TierPolicy policy) {
    return switch (policy.health()) {
      case POLL -> new TierLoadBalancer(new HealthPollingHelper(helper, policy.poll(), policy.random(), policy.polls()), policy);
      case WATCH -> HealthCheckingLoadBalancerUtil.newHealthCheckingLoadBalancer(new LoadBalancer.Factory() {
        @Override
        public LoadBalancer newLoadBalancer(LoadBalancer.Helper h) {
          return new TierLoadBalancer(h, policy);
        }
      }, helper);
      case OFF -> new TierLoadBalancer(helper, policy);
    };
  }

  /**
   * Start-up self-check: a shaded/fat jar that did not merge {@code META-INF/services} files loses the policy,
   * and every channel would fail its first resolution. Throws {@link IllegalStateException} with the fix.
   */
  public static void requireRegistered(LoadBalancerRegistry registry) {
    if (registry.getProvider(POLICY) == null) {
      throw new IllegalStateException("sfdb-client: grpc has no load-balancing policy " + POLICY + " registered, so "
          + "no channel could pick a gateway instance. In a shaded/fat jar merge META-INF/services files "
          + "(maven-shade-plugin ServicesResourceTransformer).");
    }
  }

  @Override
  public ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> raw) {
    return ConfigOrError.fromConfig(POLICY);
  }
}
