package org.shakenfist.sfdb.client;

/**
 * How the channel learns which gateway instances may take traffic
 * ({@code SHAKENFIST_MARIADB_GATEWAY_HEALTH_CHECK}).
 */
public enum HealthCheckMode {
  /**
   * Default ({@code on} or {@code watch}): grpc's client-side health checking, one
   * {@code grpc.health.v1.Health/Watch} stream per connected instance for service name {@code ""}. An
   * instance that reports anything but SERVING gets no new calls until it reports SERVING again.
   */
  WATCH,
  /** ({@code off}) No health checking: every connected instance takes traffic. */
  OFF;

  static HealthCheckMode fromEnv(String variable, String value) {
    switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
      case "on":
      case "watch":
      case "true":
        return WATCH;
      case "off":
      case "false":
        return OFF;
      default:
        throw new DatabaseConfigException(variable, value, "expected one of on, watch, off");
    }
  }
}
