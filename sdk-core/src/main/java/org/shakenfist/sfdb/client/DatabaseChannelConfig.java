package org.shakenfist.sfdb.client;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.function.Consumer;

/**
 * Immutable settings of a {@link DatabaseChannel}. Defaults match the real Shakenfist Python client.
 *
 * <pre>{@code
 * DatabaseChannelConfig config = DatabaseChannelConfig.builder()
 *     .hosts("10.0.0.20,10.0.0.21")
 *     .callerDaemon("net")
 *     .retryMethods("shakenfist.protos.DatabaseService/GetObjectState")
 *     .build();
 * try (DatabaseChannel channel = DatabaseChannels.fromConfig(config)) { ... }
 * DatabaseChannelConfig same = DatabaseChannelConfig.fromEnv(Map.of(
 *     "SHAKENFIST_MARIADB_GATEWAY_HOSTS", "10.0.0.20,10.0.0.21", "SHAKENFIST_CALLER_DAEMON", "net"));
 * }</pre>
 *
 * <p>Every setting, its {@code SHAKENFIST_*} variable and its default are listed in the operator guide
 * ({@code docs/operator-guide.md}, "Environment variables"), a table a test keeps equal to the code. Durations
 * are written {@code 500ms}, {@code 10s}, {@code 2m} or a bare number of seconds; booleans {@code true/on/yes/1}
 * or {@code false/off/no/0}. Two configs with the same settings are {@link #equals equal};
 * {@link #toBuilder()} gives a builder holding every setting.
 */
public final class DatabaseChannelConfig {
  /** {@code SHAKENFIST_MARIADB_GATEWAY_HOSTS}. */
  public static final String ENV_HOSTS = GatewayHosts.VARIABLE;
  /** {@code SHAKENFIST_MARIADB_GATEWAY_PORT}. */
  public static final String ENV_PORT = Setting.PORT.variable;
  /** {@code SHAKENFIST_MARIADB_GATEWAY_METRICS_PORT}. */
  public static final String ENV_METRICS_PORT = Setting.METRICS_PORT.variable;
  /** Default gateway gRPC port. */
  public static final int DEFAULT_PORT = Setting.PORT.defaultValue;
  /** Default gateway Prometheus metrics port. */
  public static final int DEFAULT_METRICS_PORT = Setting.METRICS_PORT.defaultValue;
  /** Value sent as caller metadata when no caller is configured. */
  public static final String UNKNOWN_CALLER = "unknown";

  private final Object[] values; // by Setting.index; never changed after build()
  private final ChannelCredentials tlsCredentials; // made by build() from the TLS files (or plaintext)

  DatabaseChannelConfig(Object[] values, ChannelCredentials tlsCredentials) {
    this.values = values;
    this.tlsCredentials = tlsCredentials;
  }

  /** A builder with the defaults of the real Python client and no hosts. */
  public static DatabaseChannelConfigBuilder builder() {
    Object[] defaults = new Object[Setting.all().size()];
    Setting.all().forEach(s -> defaults[s.index] = s.defaultValue);
    return new DatabaseChannelConfigBuilder(defaults);
  }

  /** Reads {@code System.getenv()}. */
  public static DatabaseChannelConfig fromEnv() {
    return fromEnv(System.getenv());
  }

  /**
   * Reads the given environment map (tests pass their own).
   *
   * @throws DatabaseConfigException naming the first bad variable
   */
  public static DatabaseChannelConfig fromEnv(Map<String, String> env) {
    return builder().env(env).build();
  }

  /**
   * Parses the duration syntax of every {@code SHAKENFIST_*} duration variable: {@code 500ms}, {@code 10s},
   * {@code 2m} or a bare number of seconds, e.g. {@code parseDuration("--timeout", "30s")}.
   *
   * @param name what to name in the error (a variable, an option)
   * @throws DatabaseConfigException naming {@code name} when {@code value} is not a duration
   */
  public static Duration parseDuration(String name, String value) {
    return Parsers.parseDuration(name, value);
  }

  /** A builder holding every setting of this configuration, to derive a variant. */
  public DatabaseChannelConfigBuilder toBuilder() {
    return new DatabaseChannelConfigBuilder(values.clone());
  }

  @SuppressWarnings("unchecked")
  private <T> T get(Setting<T> s) {
    return (T) values[s.index];
  }

  /** The gateway instances, in configured order, without duplicates. */
  public List<GatewayHost> hosts() {
    return get(Setting.HOSTS);
  }

  /** Canonical rendering of {@link #hosts()}, as {@code SHAKENFIST_MARIADB_GATEWAY_HOSTS} would hold it. */
  public String hostsString() {
    return GatewayHosts.render(hosts());
  }

  /** Port of host items that name none (13005). */
  public int port() {
    return get(Setting.PORT);
  }

  /** Port of each instance's Prometheus {@code /metrics} endpoint (not used by the channel itself). */
  public int metricsPort() {
    return get(Setting.METRICS_PORT);
  }

  public Transport transport() {
    return get(Setting.TRANSPORT);
  }

  public HealthCheckMode healthCheck() {
    return get(Setting.HEALTH_CHECK);
  }

  /** Time from one poll's answer to the next poll in {@link HealthCheckMode#POLL} mode. */
  public Duration healthPollInterval() {
    return get(Setting.HEALTH_POLL_INTERVAL);
  }

  /** Deadline of each poll in {@link HealthCheckMode#POLL} mode. */
  public Duration healthPollTimeout() {
    return get(Setting.HEALTH_POLL_TIMEOUT);
  }

  /** Unanswered polls in a row that make an instance unhealthy in {@link HealthCheckMode#POLL} mode. */
  public int healthPollFailures() {
    return get(Setting.HEALTH_POLL_FAILURES);
  }

  /**
   * Failed calls in a row that take an instance out of the rotation for a while (10 s, doubling for each repeat up
   * to 160 s), never more than half of them; 0: off (default 5).
   */
  public int ejectAfterFailures() {
    return get(Setting.EJECT_AFTER_FAILURES);
  }

  /**
   * Panic threshold in percent of the tier's instances (default 50): below it, connected instances that are out
   * only because they were ejected or stopped answering health polls take calls again; one that answered
   * NOT_SERVING stays out while any instance serves. 0: panic only when no instance is healthy.
   */
  public int panicThreshold() {
    return get(Setting.PANIC_THRESHOLD);
  }

  /** Whether grpc's outlier detection ejects an instance that fails most calls (see the operator guide). */
  public boolean outlierDetection() {
    return get(Setting.OUTLIER_DETECTION);
  }

  /**
   * {@code round_robin} (default), {@code least_request}, {@code peak_ewma} or {@code pick_first} (diagnostics
   * only: no fan-out).
   */
  public String loadBalancingPolicy() {
    return get(Setting.LB_POLICY);
  }

  /** How fast {@code peak_ewma}'s latency estimates forget (default 10 s). */
  public Duration ewmaDecay() {
    return get(Setting.EWMA_DECAY);
  }

  /**
   * How long an instance that joins or rejoins a serving tier takes to ramp from 10 % of its share of the calls
   * to all of it ({@link Duration#ZERO}: off); default 10 s.
   */
  public Duration slowStartWindow() {
    return get(Setting.SLOW_START_WINDOW);
  }

  public Duration keepAliveTime() {
    return get(Setting.KEEPALIVE_TIME);
  }

  public Duration keepAliveTimeout() {
    return get(Setting.KEEPALIVE_TIMEOUT);
  }

  public boolean keepAliveWithoutCalls() {
    return get(Setting.KEEPALIVE_WITHOUT_CALLS);
  }

  public int maxInboundMessageSize() {
    return get(Setting.MAX_RECEIVE_MESSAGE_BYTES);
  }

  /** Longest wait before reconnecting to an instance that went away (the first wait is grpc's fixed 1 s). */
  public Duration reconnectBackoffMax() {
    return get(Setting.RECONNECT_BACKOFF_MAX);
  }

  /** Deadline of every call that has no earlier deadline of its own. */
  public Duration deadline() {
    return get(Setting.DEADLINE);
  }

  /**
   * Whether {@link #deadline()} travels to the gateway as {@code grpc-timeout}; when false (the default) the SDK
   * fails such calls with {@code DEADLINE_EXCEEDED} itself and sends no header for it.
   */
  public boolean deadlineOnWire() {
    return get(Setting.DEADLINE_ON_WIRE);
  }

  public String callerDaemon() {
    return get(Setting.CALLER_DAEMON);
  }

  public String callerNode() {
    return get(Setting.CALLER_NODE);
  }

  /** Methods retried: {@code package.Service/Method} or a whole {@code package.Service}; empty: retries off. */
  public List<String> retryMethods() {
    return get(Setting.RETRY_METHODS);
  }

  /** Total attempts (first try included) for a retried method. */
  public int retryMaxAttempts() {
    return get(Setting.RETRY_MAX_ATTEMPTS);
  }

  /** Status codes that make a retried method try again (default UNAVAILABLE, CANCELLED). */
  public List<Status.Code> retryStatusCodes() {
    return get(Setting.RETRY_STATUS_CODES);
  }

  public Duration retryInitialBackoff() {
    return get(Setting.RETRY_INITIAL_BACKOFF);
  }

  public Duration retryMaxBackoff() {
    return get(Setting.RETRY_MAX_BACKOFF);
  }

  /** Size of the retry budget (grpc's {@code retryThrottling}, gRFC A6); 0: no budget. */
  public int retryBudgetTokens() {
    return get(Setting.RETRY_BUDGET_TOKENS);
  }

  /** Tokens a successful call gives back to the retry budget. */
  public double retryBudgetRatio() {
    return get(Setting.RETRY_BUDGET_RATIO);
  }

  /** Whether every call attempt is counted per endpoint (default true). */
  public boolean endpointCounting() {
    return get(Setting.ENDPOINT_COUNTING);
  }

  /** The registry for {@code sfdb.client.*} meters, if the user supplied one. */
  public Optional<MeterRegistry> meterRegistry() {
    return Optional.ofNullable(get(Setting.METER_REGISTRY));
  }

  /** PEM file of the CA certificates that sign the gateways' certificates; set when the channel uses TLS. */
  public Optional<Path> tlsCa() {
    return Optional.ofNullable(get(Setting.TLS_CA));
  }

  /** PEM client certificate chain presented to the gateways (mTLS). */
  public Optional<Path> tlsCert() {
    return Optional.ofNullable(get(Setting.TLS_CERT));
  }

  /** PEM (PKCS#8) private key of {@link #tlsCert()}. */
  public Optional<Path> tlsKey() {
    return Optional.ofNullable(get(Setting.TLS_KEY));
  }

  /**
   * Channel credentials for {@link Transport#NETTY}: set explicitly, else TLS from {@link #tlsCa()} /
   * {@link #tlsCert()} / {@link #tlsKey()}, else plaintext (like the real gateway's default).
   */
  public ChannelCredentials credentials() {
    ChannelCredentials explicit = get(Setting.CREDENTIALS);
    return explicit != null ? explicit : tlsCredentials;
  }

  /** Hook applied to grpc's channel builder last, for settings this config does not cover. */
  public Consumer<ManagedChannelBuilder<?>> channelCustomizer() {
    return get(Setting.CHANNEL_CUSTOMIZER);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DatabaseChannelConfig c && Arrays.equals(values, c.values);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(values);
  }

  /** Every setting that is not its default, by builder name ({@code hosts} always). */
  @Override
  public String toString() {
    StringJoiner out = new StringJoiner(", ", "DatabaseChannelConfig{", "}");
    for (Setting<?> s : Setting.all()) {
      Object v = values[s.index];
      if (s.show != null && (s == Setting.HOSTS || !java.util.Objects.equals(v, s.defaultValue))) {
        out.add(s.name + "=" + s.render(v));
      }
    }
    return out.toString();
  }
}
