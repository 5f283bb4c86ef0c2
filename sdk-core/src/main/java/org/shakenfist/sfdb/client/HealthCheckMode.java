package org.shakenfist.sfdb.client;

/**
 * How the channel learns which gateway instances may take traffic
 * ({@code SHAKENFIST_MARIADB_GATEWAY_HEALTH_CHECK}).
 *
 * <pre>{@code
 * DatabaseChannelConfig.builder().hosts("10.0.0.20,10.0.0.21").healthCheck(HealthCheckMode.POLL).build();
 * }</pre>
 */
public enum HealthCheckMode {
  /**
   * Default ({@code poll}, {@code on}): unary {@code grpc.health.v1.Health/Check} polls of service {@code ""},
   * safe against the real sf-database. Every connected instance is polled at once, then every
   * {@code healthPollInterval} (2 s) with a {@code healthPollTimeout} (1 s) deadline; it takes calls from its
   * first SERVING answer on. An instance leaves the rotation when it answers
   * anything but SERVING (at once: within one interval plus one round trip, at most 3 s with the defaults),
   * or after {@code healthPollFailures} (3) polls in a row without an answer; it returns on the next SERVING
   * answer. When every connected instance is unhealthy, calls go to all of them (panic mode, logged once). A
   * server without a health service is treated as healthy (warned once).
   */
  POLL,
  /**
   * ({@code watch}, only when asked for) grpc's own client-side health checking: one long-lived
   * {@code grpc.health.v1.Health/Watch} stream per connected instance. <b>Never use it against the real
   * sf-database</b>: its synchronous (grpcio) health servicer sends the first Watch reply while holding a
   * lock that the stream's close callback also needs, so Watch streams opening and closing concurrently
   * (channels built and closed, connections cycling) deadlock the whole server. For gateways whose Watch is
   * known to be safe (e.g. grpc-java servers). Its answers reach the SDK's tier policy as polled ones do.
   */
  WATCH,
  /** ({@code off}) No health checking: every connected instance takes traffic. */
  OFF;

  static HealthCheckMode fromEnv(String variable, String value) {
    switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
      case "on":
      case "poll":
      case "true":
      case "yes":
      case "1":
        return POLL;
      case "watch":
        return WATCH;
      case "off":
      case "false":
      case "no":
      case "0":
        return OFF;
      default:
        throw new DatabaseConfigException(variable, value, "expected one of on, watch, poll, off (or a boolean)");
    }
  }
}
