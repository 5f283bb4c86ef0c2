package org.shakenfist.sfdb.client.internal;

import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.NameResolver.ConfigOrError;
import java.util.Map;

/**
 * Load-balancing policy {@code sfdb_least_request} (see {@link LeastRequestLoadBalancer}); config {@code {}}.
 * Registered through {@code META-INF/services/io.grpc.LoadBalancerProvider}.
 */
public final class LeastRequestLoadBalancerProvider extends LoadBalancerProvider {
  public static final String POLICY = "sfdb_least_request";

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
    return new LeastRequestLoadBalancer(helper);
  }

  @Override
  public ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> raw) {
    return ConfigOrError.fromConfig(POLICY);
  }
}
