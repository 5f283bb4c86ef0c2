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

  private DatabaseChannelConfig(Object[] values, ChannelCredentials tlsCredentials) {
    this.values = values;
    this.tlsCredentials = tlsCredentials;
  }

  /** A builder with the defaults of the real Python client and no hosts. */
  public static Builder builder() {
    Object[] defaults = new Object[Setting.all().size()];
    Setting.all().forEach(s -> defaults[s.index] = s.defaultValue);
    return new Builder(defaults);
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
  public Builder toBuilder() {
    return new Builder(values.clone());
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

  /**
   * Mutable builder over a draft of every setting; {@link #build()} validates and copies it, so a built
   * configuration never changes. Setters throw {@link DatabaseConfigException} naming the setting.
   */
  public static final class Builder {
    private final Object[] draft;
    // the host list may be given as text, parsed by build() with the port known by then
    private String hostsText;
    private String hostsVariable = ENV_HOSTS;

    private Builder(Object[] draft) {
      this.draft = draft;
    }

    private <T> Builder set(Setting<T> s, T value) {
      draft[s.index] = s.check.apply(value);
      return this;
    }

    /** Host list in {@code SHAKENFIST_MARIADB_GATEWAY_HOSTS} syntax; parsed by {@link #build()}. */
    public Builder hosts(String commaSeparated) {
      return hostsText("hosts", commaSeparated);
    }

    /** Host list as values. */
    public Builder hosts(List<GatewayHost> hosts) {
      hostsText = null;
      return set(Setting.HOSTS, List.copyOf(hosts));
    }

    private Builder hostsText(String variable, String value) {
      hostsText = value;
      hostsVariable = variable;
      draft[Setting.HOSTS.index] = null;
      return this;
    }

    /** Port of host items that name none (13005). */
    public Builder port(int port) {
      return set(Setting.PORT, port);
    }

    public Builder metricsPort(int metricsPort) {
      return set(Setting.METRICS_PORT, metricsPort);
    }

    public Builder transport(Transport transport) {
      return set(Setting.TRANSPORT, transport);
    }

    public Builder healthCheck(HealthCheckMode mode) {
      return set(Setting.HEALTH_CHECK, mode);
    }

    public Builder healthPollInterval(Duration d) {
      return set(Setting.HEALTH_POLL_INTERVAL, d);
    }

    public Builder healthPollTimeout(Duration d) {
      return set(Setting.HEALTH_POLL_TIMEOUT, d);
    }

    /** 1..100 (default 3). */
    public Builder healthPollFailures(int n) {
      return set(Setting.HEALTH_POLL_FAILURES, n);
    }

    /** Opt in to outlier ejection (default off). */
    public Builder outlierDetection(boolean on) {
      return set(Setting.OUTLIER_DETECTION, on);
    }

    /**
     * {@code round_robin} (default: every instance in turn, an exact split), {@code least_request} (of two
     * random healthy instances the one with fewer calls in flight: a slow instance gets fewer calls, the split
     * is even only on average), {@code peak_ewma} (of two the one with the lower latency estimate x calls in
     * flight: a slow or failing instance gets almost none) or {@code pick_first} (every call to one instance; for
     * tests that show the per-endpoint counts reveal such a tier).
     */
    public Builder loadBalancingPolicy(String policy) {
      return set(Setting.LB_POLICY, policy);
    }

    /** How fast {@code peak_ewma}'s latency estimates forget (default 10 s). */
    public Builder ewmaDecay(Duration d) {
      return set(Setting.EWMA_DECAY, d);
    }

    public Builder keepAliveTime(Duration d) {
      return set(Setting.KEEPALIVE_TIME, d);
    }

    public Builder keepAliveTimeout(Duration d) {
      return set(Setting.KEEPALIVE_TIMEOUT, d);
    }

    public Builder keepAliveWithoutCalls(boolean b) {
      return set(Setting.KEEPALIVE_WITHOUT_CALLS, b);
    }

    public Builder maxInboundMessageSize(int bytes) {
      return set(Setting.MAX_RECEIVE_MESSAGE_BYTES, bytes);
    }

    public Builder reconnectBackoffMax(Duration d) {
      return set(Setting.RECONNECT_BACKOFF_MAX, d);
    }

    public Builder deadline(Duration d) {
      return set(Setting.DEADLINE, d);
    }

    /** Sent as {@code caller-daemon} metadata on every call. */
    public Builder callerDaemon(String name) {
      return set(Setting.CALLER_DAEMON, name);
    }

    /** Sent as {@code caller-node} metadata on every call. */
    public Builder callerNode(String name) {
      return set(Setting.CALLER_NODE, name);
    }

    /**
     * Opts idempotent methods into retries, on the same channel with growing delay. Each name is
     * {@code package.Service/Method} or {@code package.Service} (all its methods).
     */
    public Builder retryMethods(String... names) {
      return retryMethods(List.of(names));
    }

    /** See {@link #retryMethods(String...)}; a bad name is reported with its 1-based position. */
    public Builder retryMethods(List<String> names) {
      return set(Setting.RETRY_METHODS, names);
    }

    /** Total attempts for retried methods, 2..10 (default 6, as the Python client). */
    public Builder retryMaxAttempts(int attempts) {
      return set(Setting.RETRY_MAX_ATTEMPTS, attempts);
    }

    /**
     * Status codes retried for {@link #retryMethods} (default UNAVAILABLE, CANCELLED). A connection that died
     * under a call is reported as UNAVAILABLE (the SDK's transport corrects grpc-netty's
     * {@code UNKNOWN: channel closed}, grpc-java #10120).
     */
    public Builder retryStatusCodes(Status.Code... codes) {
      return retryStatusCodes(List.of(codes));
    }

    /** See {@link #retryStatusCodes(Status.Code...)}; a bad code is reported with its 1-based position. */
    public Builder retryStatusCodes(List<Status.Code> codes) {
      return set(Setting.RETRY_STATUS_CODES, codes);
    }

    /** Backoff before the first retry (default 200 ms); doubles each retry up to {@link #retryMaxBackoff}. */
    public Builder retryInitialBackoff(Duration d) {
      return set(Setting.RETRY_INITIAL_BACKOFF, d);
    }

    public Builder retryMaxBackoff(Duration d) {
      return set(Setting.RETRY_MAX_BACKOFF, d);
    }

    /**
     * Size of the retry budget, 0..1000 (default 100; 0 turns it off): once a channel's failed attempts have
     * taken half the tokens, its calls are tried once until successes refill it. Half the tokens must exceed
     * the calls that can fail at once when one instance dies (with 10, 8 callers lost calls at a kill).
     */
    public Builder retryBudgetTokens(int tokens) {
      return set(Setting.RETRY_BUDGET_TOKENS, tokens);
    }

    /**
     * Tokens each successful call gives back, in (0, 1] with at most 3 decimals (default 1: retries go on
     * while failed attempts do not outnumber successful calls).
     */
    public Builder retryBudgetRatio(double ratio) {
      return set(Setting.RETRY_BUDGET_RATIO, ratio);
    }

    /** Turns per-endpoint counting off (on by default); {@link DatabaseChannel#callCounts()} stays empty. */
    public Builder endpointCounting(boolean on) {
      return set(Setting.ENDPOINT_COUNTING, on);
    }

    /** Registry for the {@code sfdb.client.*} meters (default: a private SimpleMeterRegistry). */
    public Builder meterRegistry(MeterRegistry registry) {
      return set(Setting.METER_REGISTRY, registry);
    }

    /** Explicit channel credentials; they take precedence over the TLS files. */
    public Builder credentials(ChannelCredentials credentials) {
      return set(Setting.CREDENTIALS, credentials);
    }

    /**
     * TLS with the CA certificates in this PEM file (checked now: readable, at least one certificate). Each
     * instance's certificate must name its own address or host (IP or DNS subject alternative name).
     */
    public Builder tlsCa(Path pemFile) {
      return set(Setting.TLS_CA, pemFile);
    }

    /** Client certificate chain (PEM) for mTLS; needs {@link #tlsKey(Path)}. */
    public Builder tlsCert(Path pemFile) {
      return set(Setting.TLS_CERT, pemFile);
    }

    /** Private key (PEM, PKCS#8 {@code BEGIN PRIVATE KEY}) of {@link #tlsCert(Path)}. */
    public Builder tlsKey(Path pemFile) {
      return set(Setting.TLS_KEY, pemFile);
    }

    /** Applied to grpc's channel builder after every other setting (executors, user agent, ...). */
    public Builder channelCustomizer(Consumer<ManagedChannelBuilder<?>> customizer) {
      return set(Setting.CHANNEL_CUSTOMIZER, customizer);
    }

    /**
     * Applies every {@code SHAKENFIST_*} variable present in {@code env}. Values set on the builder before are
     * overridden; absent variables leave them alone.
     *
     * @throws DatabaseConfigException naming the first bad variable
     */
    public Builder env(Map<String, String> env) {
      for (Setting<?> s : Setting.all()) {
        if (s == Setting.HOSTS) {
          if (env.containsKey(s.variable) || (draft[s.index] == null && hostsText == null)) {
            hostsText(s.variable, env.get(s.variable));
          }
        } else if (s.variable != null && env.get(s.variable) != null) {
          apply(s, env.get(s.variable));
        }
      }
      return this;
    }

    /** Sets {@code s} from its variable's text; a setting's complaint is re-issued naming the variable. */
    private <T> void apply(Setting<T> s, String text) {
      Parsers.Parsed<T> parsed = s.parser.parse(s.variable, text);
      if (parsed == null) {
        return;
      }
      try {
        set(s, parsed.value());
      } catch (DatabaseConfigException e) {
        if (e.position() > 0) {
          List<Integer> at = parsed.positions();
          throw new DatabaseConfigException(s.variable, e.item(),
              e.position() <= at.size() ? at.get(e.position() - 1) : e.position(), e.problem());
        }
        throw new DatabaseConfigException(s.variable, text, e.problem());
      }
    }

    /** Validates and builds; throws {@link DatabaseConfigException} naming the bad setting. */
    public DatabaseChannelConfig build() {
      Object[] v = draft.clone();
      before(v, Setting.KEEPALIVE_TIMEOUT, Setting.KEEPALIVE_TIME);
      before(v, Setting.RETRY_INITIAL_BACKOFF, Setting.RETRY_MAX_BACKOFF);
      Object cert = v[Setting.TLS_CERT.index];
      Object key = v[Setting.TLS_KEY.index];
      if ((cert == null) != (key == null)) {
        Setting<Path> missing = cert == null ? Setting.TLS_CERT : Setting.TLS_KEY;
        throw new DatabaseConfigException(cert == null ? "tlsKey" : "tlsCert", String.valueOf(cert == null ? key : cert),
            "a client certificate needs both its certificate and its key; " + missing.variable + " ("
                + missing.name + ") is not set");
      }
      if (hostsText != null || v[Setting.HOSTS.index] == null) {
        v[Setting.HOSTS.index] = GatewayHosts.parse(hostsText, (Integer) v[Setting.PORT.index], hostsVariable);
      } else if (((List<?>) v[Setting.HOSTS.index]).isEmpty()) {
        throw new DatabaseConfigException("hosts", "", "lists no hosts");
      }
      return new DatabaseChannelConfig(v, Tls.credentials((Path) v[Setting.TLS_CA.index], (Path) cert, (Path) key));
    }

    /** {@code shorter} must not be longer than {@code longer}. */
    private static void before(Object[] v, Setting<Duration> shorter, Setting<Duration> longer) {
      Duration a = (Duration) v[shorter.index];
      Duration b = (Duration) v[longer.index];
      if (a.compareTo(b) > 0) {
        throw new DatabaseConfigException(shorter.name, a.toString(), "is longer than " + longer.name + " " + b);
      }
    }
  }
}
