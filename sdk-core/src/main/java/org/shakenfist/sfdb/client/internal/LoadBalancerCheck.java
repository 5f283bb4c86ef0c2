package org.shakenfist.sfdb.client.internal;

import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;

/**
 * Start-up self-check: round_robin honours {@code healthCheckConfig} only when the provider registered for
 * it is grpc-services' health-checking one. A fat jar that did not merge
 * {@code META-INF/services/io.grpc.LoadBalancerProvider} silently falls back to grpc-util's plain
 * round_robin, which ignores health: NOT_SERVING instances would keep getting traffic.
 */
public final class LoadBalancerCheck {
  static final String HEALTH_CHECKING_ROUND_ROBIN =
      "io.grpc.protobuf.services.internal.HealthCheckingRoundRobinLoadBalancerProvider";

  private LoadBalancerCheck() {}

  /** Throws {@link IllegalStateException} with a fix-it message when health checking would be lost. */
  public static void requireHealthCheckingRoundRobin(LoadBalancerRegistry registry) {
    LoadBalancerProvider provider = registry.getProvider("round_robin");
    String found = provider == null ? "none" : provider.getClass().getName();
    if (!HEALTH_CHECKING_ROUND_ROBIN.equals(found)) {
      throw new IllegalStateException("sfdb-client: the round_robin load balancer in use is " + found
          + ", not grpc-services' " + HEALTH_CHECKING_ROUND_ROBIN + ", so client-side health checks would "
          + "be ignored and NOT_SERVING gateway instances would keep getting traffic. Put io.grpc:grpc-services "
          + "on the classpath; in a shaded/fat jar merge META-INF/services files (maven-shade-plugin "
          + "ServicesResourceTransformer). To run without health checks, set "
          + "SHAKENFIST_MARIADB_GATEWAY_HEALTH_CHECK=off.");
    }
  }
}
