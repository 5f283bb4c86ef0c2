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
  /**
   * ({@code poll}) Unary {@code grpc.health.v1.Health/Check} polls instead of Watch streams, for servers whose
   * Watch is unsafe: every {@code healthPollInterval} (5 s) with a {@code healthPollTimeout} (2 s) deadline.
   * An instance leaves the rotation when it answers anything but SERVING, or after
   * {@code healthPollFailures} (3) polls in a row without an answer; it returns on the next SERVING answer.
   * When every connected instance is unhealthy, calls go to all of them (panic mode, logged once). A server
   * without a health service is treated as healthy (warned once).
   */
  POLL,
  /** ({@code off}) No health checking: every connected instance takes traffic. */
  OFF;

  static HealthCheckMode fromEnv(String variable, String value) {
    switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
      case "on":
      case "watch":
      case "true":
        return WATCH;
      case "poll":
        return POLL;
      case "off":
      case "false":
        return OFF;
      default:
        throw new DatabaseConfigException(variable, value, "expected one of on, watch, poll, off");
    }
  }
}
