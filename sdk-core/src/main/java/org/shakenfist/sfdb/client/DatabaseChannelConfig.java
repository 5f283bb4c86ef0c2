package org.shakenfist.sfdb.client;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Immutable settings of a {@link DatabaseChannel}. Defaults match the real Shakenfist Python client.
 *
 * <pre>{@code
 * DatabaseChannelConfig config = DatabaseChannelConfig.builder()
 *     .hosts("10.0.0.20,10.0.0.21")
 *     .callerDaemon("sf-network")
 *     .retryMethods("shakenfist.protos.DatabaseService/GetObjectState")
 *     .build();
 * try (DatabaseChannel channel = DatabaseChannels.fromConfig(config)) { ... }
 * }</pre>
 *
 * <p>Environment variables read by {@link #fromEnv(Map)} (all optional except the host list):
 *
 * <table>
 *   <caption>Environment variables</caption>
 *   <tr><th>variable</th><th>default</th></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_HOSTS}</td><td>(required)</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_PORT}</td><td>13005</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_METRICS_PORT}</td><td>13006</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_HEALTH_CHECK}</td><td>poll ({@code on}); {@code watch} only
 *       for servers whose Health/Watch is safe, never the real sf-database</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_HEALTH_POLL_INTERVAL}</td><td>2s</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_HEALTH_POLL_TIMEOUT}</td><td>1s</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_HEALTH_POLL_FAILURES}</td><td>3</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_OUTLIER_DETECTION}</td><td>off</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_LB_POLICY}</td><td>round_robin; {@code least_request} for a
 *       tier whose instances differ in speed (see {@link Builder#loadBalancingPolicy})</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_KEEPALIVE_TIME}</td><td>10s</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_KEEPALIVE_TIMEOUT}</td><td>5s</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_KEEPALIVE_WITHOUT_CALLS}</td><td>true</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_MAX_RECEIVE_MESSAGE_BYTES}</td><td>33554432</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_RECONNECT_BACKOFF_MAX}</td><td>5s</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_DEADLINE}</td><td>30s</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_RETRY_METHODS}</td><td>(none: retries off)</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_RETRY_MAX_ATTEMPTS}</td><td>6</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_RETRY_STATUS_CODES}</td><td>UNAVAILABLE,CANCELLED</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_RETRY_BUDGET_TOKENS}</td><td>100 (0: no budget)</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_RETRY_BUDGET_RATIO}</td><td>1</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_TLS_CA}</td><td>(none: plaintext) PEM file of CA certificates;
 *       set, the channel uses TLS</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_TLS_CERT}</td><td>(none) PEM client certificate chain, for mTLS</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_TLS_KEY}</td><td>(none) PEM (PKCS#8) key of the client certificate</td></tr>
 *   <tr><td>{@code SHAKENFIST_CALLER_DAEMON}</td><td>unknown</td></tr>
 *   <tr><td>{@code SHAKENFIST_NODE_NAME}</td><td>unknown</td></tr>
 * </table>
 *
 * <p>Durations are written {@code 500ms}, {@code 10s}, {@code 2m} or a bare number of seconds.
 */
public final class DatabaseChannelConfig {
  public static final String ENV_HOSTS = GatewayHosts.VARIABLE;
  public static final String ENV_PORT = "SHAKENFIST_MARIADB_GATEWAY_PORT";
  public static final String ENV_METRICS_PORT = "SHAKENFIST_MARIADB_GATEWAY_METRICS_PORT";
  public static final String ENV_HEALTH_CHECK = "SHAKENFIST_MARIADB_GATEWAY_HEALTH_CHECK";
  public static final String ENV_HEALTH_POLL_INTERVAL = "SHAKENFIST_MARIADB_GATEWAY_HEALTH_POLL_INTERVAL";
  public static final String ENV_HEALTH_POLL_TIMEOUT = "SHAKENFIST_MARIADB_GATEWAY_HEALTH_POLL_TIMEOUT";
  public static final String ENV_HEALTH_POLL_FAILURES = "SHAKENFIST_MARIADB_GATEWAY_HEALTH_POLL_FAILURES";
  public static final String ENV_OUTLIER_DETECTION = "SHAKENFIST_MARIADB_GATEWAY_OUTLIER_DETECTION";
  public static final String ENV_LB_POLICY = "SHAKENFIST_MARIADB_GATEWAY_LB_POLICY";
  public static final String ENV_KEEPALIVE_TIME = "SHAKENFIST_MARIADB_GATEWAY_KEEPALIVE_TIME";
  public static final String ENV_KEEPALIVE_TIMEOUT = "SHAKENFIST_MARIADB_GATEWAY_KEEPALIVE_TIMEOUT";
  public static final String ENV_KEEPALIVE_WITHOUT_CALLS = "SHAKENFIST_MARIADB_GATEWAY_KEEPALIVE_WITHOUT_CALLS";
  public static final String ENV_MAX_RECEIVE_MESSAGE_BYTES = "SHAKENFIST_MARIADB_GATEWAY_MAX_RECEIVE_MESSAGE_BYTES";
  public static final String ENV_RECONNECT_BACKOFF_MAX = "SHAKENFIST_MARIADB_GATEWAY_RECONNECT_BACKOFF_MAX";
  public static final String ENV_DEADLINE = "SHAKENFIST_MARIADB_GATEWAY_DEADLINE";
  public static final String ENV_RETRY_METHODS = "SHAKENFIST_MARIADB_GATEWAY_RETRY_METHODS";
  public static final String ENV_RETRY_MAX_ATTEMPTS = "SHAKENFIST_MARIADB_GATEWAY_RETRY_MAX_ATTEMPTS";
  public static final String ENV_RETRY_STATUS_CODES = "SHAKENFIST_MARIADB_GATEWAY_RETRY_STATUS_CODES";
  public static final String ENV_RETRY_BUDGET_TOKENS = "SHAKENFIST_MARIADB_GATEWAY_RETRY_BUDGET_TOKENS";
  public static final String ENV_RETRY_BUDGET_RATIO = "SHAKENFIST_MARIADB_GATEWAY_RETRY_BUDGET_RATIO";
  public static final String ENV_TLS_CA = "SHAKENFIST_MARIADB_GATEWAY_TLS_CA";
  public static final String ENV_TLS_CERT = "SHAKENFIST_MARIADB_GATEWAY_TLS_CERT";
  public static final String ENV_TLS_KEY = "SHAKENFIST_MARIADB_GATEWAY_TLS_KEY";
  public static final String ENV_CALLER_DAEMON = "SHAKENFIST_CALLER_DAEMON";
  public static final String ENV_NODE_NAME = "SHAKENFIST_NODE_NAME";

  /** Default gateway gRPC port. */
  public static final int DEFAULT_PORT = 13005;
  /** Default gateway Prometheus metrics port. */
  public static final int DEFAULT_METRICS_PORT = 13006;
  /** Value sent as caller metadata when no caller is configured. */
  public static final String UNKNOWN_CALLER = "unknown";

  // Every setting, declared once with its default. Written only by the Builder (on its draft copy); a built
  // config is never changed again.
  private List<GatewayHost> hosts;
  private int metricsPort = DEFAULT_METRICS_PORT;
  private Transport transport = Transport.NETTY;
  private HealthCheckMode healthCheck = HealthCheckMode.POLL;
  private Duration healthPollInterval = Duration.ofSeconds(2);
  private Duration healthPollTimeout = Duration.ofSeconds(1);
  private int healthPollFailures = 3;
  private boolean outlierDetection;
  private String loadBalancingPolicy = "round_robin";
  private Duration keepAliveTime = Duration.ofSeconds(10);
  private Duration keepAliveTimeout = Duration.ofSeconds(5);
  private boolean keepAliveWithoutCalls = true;
  private int maxInboundMessageSize = 32 * 1024 * 1024;
  private Duration reconnectBackoffMax = Duration.ofSeconds(5);
  private Duration deadline = Duration.ofSeconds(30);
  private String callerDaemon = UNKNOWN_CALLER;
  private String callerNode = UNKNOWN_CALLER;
  private List<String> retryMethods = List.of();
  private int retryMaxAttempts = 6;
  // CANCELLED: grpcio's server.stop() (the real gateway's drain) answers calls it had queued but not started
  // with a trailers-only CANCELLED; a client's own cancel ends the call whatever the policy says.
  private List<Status.Code> retryStatusCodes = List.of(Status.Code.UNAVAILABLE, Status.Code.CANCELLED);
  private Duration retryInitialBackoff = Duration.ofMillis(200);
  private Duration retryMaxBackoff = Duration.ofSeconds(2);
  private int retryBudgetTokens = 100;
  private double retryBudgetRatio = 1.0;
  private boolean endpointCounting = true;
  private MeterRegistry meterRegistry;
  private Path tlsCa;
  private Path tlsCert;
  private Path tlsKey;
  private ChannelCredentials credentials; // explicit, or made by build() from the TLS files, else plaintext
  private Consumer<ManagedChannelBuilder<?>> channelCustomizer = b -> { };

  private DatabaseChannelConfig() {}

  /** The one copy constructor (every field is immutable or an immutable list). */
  private DatabaseChannelConfig(DatabaseChannelConfig o) {
    hosts = o.hosts;
    metricsPort = o.metricsPort;
    transport = o.transport;
    healthCheck = o.healthCheck;
    healthPollInterval = o.healthPollInterval;
    healthPollTimeout = o.healthPollTimeout;
    healthPollFailures = o.healthPollFailures;
    outlierDetection = o.outlierDetection;
    loadBalancingPolicy = o.loadBalancingPolicy;
    keepAliveTime = o.keepAliveTime;
    keepAliveTimeout = o.keepAliveTimeout;
    keepAliveWithoutCalls = o.keepAliveWithoutCalls;
    maxInboundMessageSize = o.maxInboundMessageSize;
    reconnectBackoffMax = o.reconnectBackoffMax;
    deadline = o.deadline;
    callerDaemon = o.callerDaemon;
    callerNode = o.callerNode;
    retryMethods = o.retryMethods;
    retryMaxAttempts = o.retryMaxAttempts;
    retryStatusCodes = o.retryStatusCodes;
    retryInitialBackoff = o.retryInitialBackoff;
    retryMaxBackoff = o.retryMaxBackoff;
    retryBudgetTokens = o.retryBudgetTokens;
    retryBudgetRatio = o.retryBudgetRatio;
    endpointCounting = o.endpointCounting;
    meterRegistry = o.meterRegistry;
    tlsCa = o.tlsCa;
    tlsCert = o.tlsCert;
    tlsKey = o.tlsKey;
    credentials = o.credentials;
    channelCustomizer = o.channelCustomizer;
  }

  /** A builder with the defaults of the real Python client and no hosts. */
  public static Builder builder() {
    return new Builder(new DatabaseChannelConfig());
  }

  /** Reads {@code System.getenv()}; see the class comment for the variables. */
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
    return ConfigEnvironment.parseDuration(name, value);
  }

  /** A builder holding this configuration, to derive a variant. */
  public Builder toBuilder() {
    return new Builder(new DatabaseChannelConfig(this));
  }

  /** The gateway instances, in configured order, without duplicates. */
  public List<GatewayHost> hosts() {
    return hosts;
  }

  /** Canonical rendering of {@link #hosts()}, as {@code SHAKENFIST_MARIADB_GATEWAY_HOSTS} would hold it. */
  public String hostsString() {
    return GatewayHosts.render(hosts);
  }

  /** Port of each instance's Prometheus {@code /metrics} endpoint (not used by the channel itself). */
  public int metricsPort() {
    return metricsPort;
  }

  public Transport transport() {
    return transport;
  }

  public HealthCheckMode healthCheck() {
    return healthCheck;
  }

  /** Poll period in {@link HealthCheckMode#POLL} mode. */
  public Duration healthPollInterval() {
    return healthPollInterval;
  }

  /** Deadline of each poll in {@link HealthCheckMode#POLL} mode. */
  public Duration healthPollTimeout() {
    return healthPollTimeout;
  }

  /** Unanswered polls in a row that make an instance unhealthy in {@link HealthCheckMode#POLL} mode. */
  public int healthPollFailures() {
    return healthPollFailures;
  }

  /**
   * Whether grpc's outlier detection ejects an instance that fails most calls (thresholds tuned to fire on
   * tiers of 2-3 instances; see the operator guide).
   */
  public boolean outlierDetection() {
    return outlierDetection;
  }

  /** {@code round_robin} (default), {@code least_request} or {@code pick_first} (diagnostics only: no fan-out). */
  public String loadBalancingPolicy() {
    return loadBalancingPolicy;
  }

  public Duration keepAliveTime() {
    return keepAliveTime;
  }

  public Duration keepAliveTimeout() {
    return keepAliveTimeout;
  }

  public boolean keepAliveWithoutCalls() {
    return keepAliveWithoutCalls;
  }

  public int maxInboundMessageSize() {
    return maxInboundMessageSize;
  }

  /** Longest wait before reconnecting to an instance that went away (the first wait is grpc's fixed 1 s). */
  public Duration reconnectBackoffMax() {
    return reconnectBackoffMax;
  }

  /** Deadline of every call that has no earlier deadline of its own. */
  public Duration deadline() {
    return deadline;
  }

  public String callerDaemon() {
    return callerDaemon;
  }

  public String callerNode() {
    return callerNode;
  }

  /**
   * Methods retried on UNAVAILABLE: {@code package.Service/Method} or a whole {@code package.Service}.
   * Empty means retries are off.
   */
  public List<String> retryMethods() {
    return retryMethods;
  }

  /** Total attempts (first try included) for a retried method. */
  public int retryMaxAttempts() {
    return retryMaxAttempts;
  }

  /**
   * Status codes that make a retried method try again (default UNAVAILABLE, as the Python client, and
   * CANCELLED, which the real gateway's grpcio server sends for calls it had queued when a drain began).
   */
  public List<Status.Code> retryStatusCodes() {
    return retryStatusCodes;
  }

  public Duration retryInitialBackoff() {
    return retryInitialBackoff;
  }

  public Duration retryMaxBackoff() {
    return retryMaxBackoff;
  }

  /**
   * The retry budget (grpc's {@code retryThrottling}, gRFC A6): the channel holds this many tokens; every
   * failed attempt of a retried method takes one, every success gives {@link #retryBudgetRatio()} back, and
   * retries stop while half or fewer are left. 0: no budget.
   */
  public int retryBudgetTokens() {
    return retryBudgetTokens;
  }

  /** Tokens a successful call gives back to the retry budget. */
  public double retryBudgetRatio() {
    return retryBudgetRatio;
  }

  /** Whether every call attempt is counted per endpoint (default true). */
  public boolean endpointCounting() {
    return endpointCounting;
  }

  /** The registry for {@code sfdb.client.*} meters, if the user supplied one. */
  public Optional<MeterRegistry> meterRegistry() {
    return Optional.ofNullable(meterRegistry);
  }

  /** PEM file of the CA certificates that sign the gateways' certificates; set when the channel uses TLS. */
  public Optional<Path> tlsCa() {
    return Optional.ofNullable(tlsCa);
  }

  /** PEM client certificate chain presented to the gateways (mTLS). */
  public Optional<Path> tlsCert() {
    return Optional.ofNullable(tlsCert);
  }

  /** PEM (PKCS#8) private key of {@link #tlsCert()}. */
  public Optional<Path> tlsKey() {
    return Optional.ofNullable(tlsKey);
  }

  /**
   * Channel credentials for {@link Transport#NETTY}: set explicitly, else TLS from {@link #tlsCa()} /
   * {@link #tlsCert()} / {@link #tlsKey()}, else plaintext (like the real gateway's default).
   */
  public ChannelCredentials credentials() {
    return credentials;
  }

  /** Hook applied to grpc's channel builder last, for settings this config does not cover. */
  public Consumer<ManagedChannelBuilder<?>> channelCustomizer() {
    return channelCustomizer;
  }

  @Override
  public String toString() {
    return "DatabaseChannelConfig{hosts=" + hostsString() + ", transport=" + transport + ", healthCheck="
        + healthCheck + (outlierDetection ? "+outlier" : "") + ", lb=" + loadBalancingPolicy + ", keepAlive=" + keepAliveTime + "/" + keepAliveTimeout
        + (keepAliveWithoutCalls ? " without calls" : "") + ", maxInbound=" + maxInboundMessageSize
        + ", reconnectBackoffMax=" + reconnectBackoffMax + ", deadline=" + deadline + ", caller="
        + callerDaemon + "@" + callerNode + ", retryMethods=" + retryMethods + ", retryMaxAttempts="
        + retryMaxAttempts + ", retryBudget=" + retryBudgetTokens + "/" + retryBudgetRatio
        + (tlsCa != null || tlsCert != null ? ", tls" + (tlsCert != null ? "+client certificate" : "") : "") + "}";
  }

  /**
   * Mutable builder over a draft configuration; {@link #build()} validates and copies it, so a built
   * configuration never changes. Setters throw {@link DatabaseConfigException} naming the setting.
   */
  public static final class Builder {
    private final DatabaseChannelConfig draft;
    // the host list may be given as text, parsed by build() with the default port known by then
    private String hostsValue;
    private String hostsVariable = ENV_HOSTS;
    private int port = DEFAULT_PORT;

    private Builder(DatabaseChannelConfig draft) {
      this.draft = draft;
    }

    /** Host list in {@code SHAKENFIST_MARIADB_GATEWAY_HOSTS} syntax; parsed by {@link #build()}. */
    public Builder hosts(String commaSeparated) {
      return hostsText("hosts", commaSeparated);
    }

    /** Host list as values. */
    public Builder hosts(List<GatewayHost> hosts) {
      draft.hosts = List.copyOf(hosts);
      hostsValue = null;
      return this;
    }

    /** The host list read from {@code variable} (named in errors); parsed by {@link #build()}. */
    private Builder hostsText(String variable, String value) {
      hostsValue = value;
      hostsVariable = variable;
      draft.hosts = null;
      return this;
    }

    /** True when no host list was given yet. */
    private boolean hostsUnset() {
      return draft.hosts == null && hostsValue == null;
    }

    /** Default port for host items without one (13005). */
    public Builder port(int port) {
      this.port = checkPort("port", port);
      return this;
    }

    public Builder metricsPort(int metricsPort) {
      draft.metricsPort = checkPort("metricsPort", metricsPort);
      return this;
    }

    public Builder transport(Transport transport) {
      draft.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    public Builder healthCheck(HealthCheckMode mode) {
      draft.healthCheck = Objects.requireNonNull(mode, "healthCheck");
      return this;
    }

    public Builder healthPollInterval(Duration d) {
      draft.healthPollInterval = positive("healthPollInterval", d);
      return this;
    }

    public Builder healthPollTimeout(Duration d) {
      draft.healthPollTimeout = positive("healthPollTimeout", d);
      return this;
    }

    public Builder healthPollFailures(int n) {
      draft.healthPollFailures = inRange("healthPollFailures", n, 1, 100);
      return this;
    }

    /** Opt in to outlier ejection (default off). */
    public Builder outlierDetection(boolean on) {
      draft.outlierDetection = on;
      return this;
    }

    /**
     * Load-balancing policy: {@code round_robin} (default: every instance in turn, an exact split),
     * {@code least_request} (power of two choices over calls in flight: of two random healthy instances the
     * one with fewer outstanding calls; a slow instance gets fewer calls, at the price of an even split only
     * on average; with {@code HEALTH_CHECK} poll or off) or {@code pick_first} (every call to one instance;
     * it exists so tests can show that the per-endpoint counts reveal such a tier).
     */
    public Builder loadBalancingPolicy(String policy) {
      if (!LB_POLICIES.contains(policy)) {
        throw new DatabaseConfigException("loadBalancingPolicy", policy,
            "expected one of " + String.join(", ", LB_POLICIES));
      }
      draft.loadBalancingPolicy = policy;
      return this;
    }

    public Builder keepAliveTime(Duration d) {
      draft.keepAliveTime = positive("keepAliveTime", d);
      return this;
    }

    public Builder keepAliveTimeout(Duration d) {
      draft.keepAliveTimeout = positive("keepAliveTimeout", d);
      return this;
    }

    public Builder keepAliveWithoutCalls(boolean b) {
      draft.keepAliveWithoutCalls = b;
      return this;
    }

    public Builder maxInboundMessageSize(int bytes) {
      draft.maxInboundMessageSize = inRange("maxInboundMessageSize", bytes, 1, Integer.MAX_VALUE);
      return this;
    }

    public Builder reconnectBackoffMax(Duration d) {
      draft.reconnectBackoffMax = positive("reconnectBackoffMax", d);
      return this;
    }

    public Builder deadline(Duration d) {
      draft.deadline = positive("deadline", d);
      return this;
    }

    /** Sent as {@code caller-daemon} metadata on every call. */
    public Builder callerDaemon(String name) {
      draft.callerDaemon = caller("callerDaemon", name);
      return this;
    }

    /** Sent as {@code caller-node} metadata on every call. */
    public Builder callerNode(String name) {
      draft.callerNode = caller("callerNode", name);
      return this;
    }

    /**
     * Opts idempotent methods into retries on UNAVAILABLE, on the same channel with growing delay. Each
     * name is {@code package.Service/Method} or {@code package.Service} (all its methods).
     */
    public Builder retryMethods(String... names) {
      return retryMethods(List.of(names));
    }

    /** See {@link #retryMethods(String...)}; a bad name is reported with its 1-based position. */
    public Builder retryMethods(List<String> names) {
      List<String> checked = new ArrayList<>();
      for (int i = 0; i < names.size(); i++) {
        String name = names.get(i);
        if (name == null || !METHOD.matcher(name.strip()).matches()) {
          throw new DatabaseConfigException("retryMethods", String.valueOf(name), i + 1,
              "expected package.Service or package.Service/Method");
        }
        checked.add(name.strip());
      }
      draft.retryMethods = List.copyOf(checked);
      return this;
    }

    /** Total attempts for retried methods, 2..10 (default 6, as the Python client). */
    public Builder retryMaxAttempts(int attempts) {
      draft.retryMaxAttempts = inRange("retryMaxAttempts", attempts, 2, 10);
      return this;
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
      if (codes.isEmpty()) {
        throw new DatabaseConfigException("retryStatusCodes", "", "needs at least one status code");
      }
      for (int i = 0; i < codes.size(); i++) {
        if (codes.get(i) == Status.Code.OK) {
          throw new DatabaseConfigException("retryStatusCodes", "OK", i + 1,
              "not a gRPC error status code (e.g. UNAVAILABLE, UNKNOWN, DEADLINE_EXCEEDED)");
        }
      }
      draft.retryStatusCodes = List.copyOf(codes);
      return this;
    }

    /** Backoff before the first retry (default 200 ms); doubles each retry up to {@link #retryMaxBackoff}. */
    public Builder retryInitialBackoff(Duration d) {
      draft.retryInitialBackoff = positive("retryInitialBackoff", d);
      return this;
    }

    public Builder retryMaxBackoff(Duration d) {
      draft.retryMaxBackoff = positive("retryMaxBackoff", d);
      return this;
    }

    /**
     * Size of the retry budget, 0..1000 (default 100; 0 turns it off): once a channel's failed attempts have
     * taken half the tokens, its calls are tried once until successes refill it. Without a budget every
     * daemon retries every failing call {@link #retryMaxAttempts} times into a struggling tier. Half the
     * tokens must exceed the calls that can fail at once when one instance dies (those in flight on it): with
     * 10 tokens, 8 callers lost calls at a kill (chaos soak).
     */
    public Builder retryBudgetTokens(int tokens) {
      draft.retryBudgetTokens = inRange("retryBudgetTokens", tokens, 0, 1000);
      return this;
    }

    /**
     * Tokens each successful call gives back, in (0, 1] with at most 3 decimals (default 1: retries go on
     * while failed attempts do not outnumber successful calls, so one broken instance of 2 or 3 is still
     * retried around; gRFC A6's example 0.1 would stop retrying once more than ~9 % of attempts fail).
     */
    public Builder retryBudgetRatio(double ratio) {
      if (!(ratio > 0 && ratio <= 1) || Math.round(ratio * 1000) != ratio * 1000) {
        throw new DatabaseConfigException("retryBudgetRatio", String.valueOf(ratio),
            "is not in (0, 1] with at most 3 decimals");
      }
      draft.retryBudgetRatio = ratio;
      return this;
    }

    /** Turns per-endpoint counting off (on by default); {@link DatabaseChannel#callCounts()} stays empty. */
    public Builder endpointCounting(boolean on) {
      draft.endpointCounting = on;
      return this;
    }

    /** Registry for the {@code sfdb.client.calls} counter (default: a private SimpleMeterRegistry). */
    public Builder meterRegistry(MeterRegistry registry) {
      draft.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
      return this;
    }

    /** Explicit channel credentials; they take precedence over the TLS files. */
    public Builder credentials(ChannelCredentials credentials) {
      draft.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /**
     * TLS with the CA certificates in this PEM file (checked now: readable, at least one certificate). Each
     * instance's certificate must name its own address or host (IP or DNS subject alternative name).
     */
    public Builder tlsCa(Path pemFile) {
      draft.tlsCa = Tls.certificates("tlsCa", pemFile);
      return this;
    }

    /** Client certificate chain (PEM) for mTLS; needs {@link #tlsKey(Path)}. */
    public Builder tlsCert(Path pemFile) {
      draft.tlsCert = Tls.certificates("tlsCert", pemFile);
      return this;
    }

    /** Private key (PEM, PKCS#8 {@code BEGIN PRIVATE KEY}) of {@link #tlsCert(Path)}. */
    public Builder tlsKey(Path pemFile) {
      draft.tlsKey = Tls.privateKey("tlsKey", pemFile);
      return this;
    }

    /** Applied to grpc's channel builder after every other setting (executors, user agent, ...). */
    public Builder channelCustomizer(Consumer<ManagedChannelBuilder<?>> customizer) {
      draft.channelCustomizer = Objects.requireNonNull(customizer, "channelCustomizer");
      return this;
    }

    /**
     * Applies every {@code SHAKENFIST_*} variable present in {@code env} (see {@link DatabaseChannelConfig}).
     * Values set on the builder before are overridden; absent variables leave them alone.
     *
     * @throws DatabaseConfigException naming the first bad variable
     */
    public Builder env(Map<String, String> env) {
      ConfigEnvironment e = new ConfigEnvironment(env);
      e.whole(ENV_PORT, this::port);
      e.whole(ENV_METRICS_PORT, this::metricsPort);
      if (e.has(ENV_HOSTS) || hostsUnset()) {
        hostsText(ENV_HOSTS, e.get(ENV_HOSTS));
      }
      e.text(ENV_HEALTH_CHECK, v -> healthCheck(HealthCheckMode.fromEnv(ENV_HEALTH_CHECK, v)));
      e.duration(ENV_HEALTH_POLL_INTERVAL, this::healthPollInterval);
      e.duration(ENV_HEALTH_POLL_TIMEOUT, this::healthPollTimeout);
      e.whole(ENV_HEALTH_POLL_FAILURES, this::healthPollFailures);
      e.bool(ENV_OUTLIER_DETECTION, this::outlierDetection);
      e.nonBlank(ENV_LB_POLICY, v -> loadBalancingPolicy(v.strip()));
      e.duration(ENV_KEEPALIVE_TIME, this::keepAliveTime);
      e.duration(ENV_KEEPALIVE_TIMEOUT, this::keepAliveTimeout);
      e.bool(ENV_KEEPALIVE_WITHOUT_CALLS, this::keepAliveWithoutCalls);
      e.whole(ENV_MAX_RECEIVE_MESSAGE_BYTES, this::maxInboundMessageSize);
      e.duration(ENV_RECONNECT_BACKOFF_MAX, this::reconnectBackoffMax);
      e.duration(ENV_DEADLINE, this::deadline);
      e.list(ENV_RETRY_METHODS, (item, variable, position) -> item, this::retryMethods);
      e.whole(ENV_RETRY_MAX_ATTEMPTS, this::retryMaxAttempts);
      e.list(ENV_RETRY_STATUS_CODES, ConfigEnvironment::statusCode, this::retryStatusCodes);
      e.whole(ENV_RETRY_BUDGET_TOKENS, this::retryBudgetTokens);
      e.decimal(ENV_RETRY_BUDGET_RATIO, this::retryBudgetRatio);
      e.nonBlank(ENV_TLS_CA, v -> tlsCa(Path.of(v.strip())));
      e.nonBlank(ENV_TLS_CERT, v -> tlsCert(Path.of(v.strip())));
      e.nonBlank(ENV_TLS_KEY, v -> tlsKey(Path.of(v.strip())));
      e.nonBlank(ENV_CALLER_DAEMON, this::callerDaemon);
      e.nonBlank(ENV_NODE_NAME, this::callerNode);
      return this;
    }

    /** Validates and builds; throws {@link DatabaseConfigException} naming the bad setting. */
    public DatabaseChannelConfig build() {
      if (draft.keepAliveTimeout.compareTo(draft.keepAliveTime) > 0) {
        throw new DatabaseConfigException("keepAliveTimeout", draft.keepAliveTimeout.toString(),
            "is longer than keepAliveTime " + draft.keepAliveTime);
      }
      if (draft.retryInitialBackoff.compareTo(draft.retryMaxBackoff) > 0) {
        throw new DatabaseConfigException("retryInitialBackoff", draft.retryInitialBackoff.toString(),
            "is longer than retryMaxBackoff " + draft.retryMaxBackoff);
      }
      if ((draft.tlsCert == null) != (draft.tlsKey == null)) {
        String missing = draft.tlsCert == null ? ENV_TLS_CERT + " (tlsCert)" : ENV_TLS_KEY + " (tlsKey)";
        throw new DatabaseConfigException(draft.tlsCert == null ? "tlsKey" : "tlsCert",
            String.valueOf(draft.tlsCert == null ? draft.tlsKey : draft.tlsCert),
            "a client certificate needs both its certificate and its key; " + missing + " is not set");
      }
      DatabaseChannelConfig built = new DatabaseChannelConfig(draft);
      if (built.credentials == null) {
        built.credentials = Tls.credentials(draft.tlsCa, draft.tlsCert, draft.tlsKey);
      }
      if (draft.hosts != null) {
        if (draft.hosts.isEmpty()) {
          throw new DatabaseConfigException("hosts", "", "lists no hosts");
        }
      } else {
        built.hosts = GatewayHosts.parse(hostsValue, port, hostsVariable);
      }
      return built;
    }

    private static int checkPort(String name, int port) {
      return inRange(name, port, 1, 65535);
    }

    private static int inRange(String name, int n, int min, int max) {
      if (n < min || n > max) {
        throw new DatabaseConfigException(name, String.valueOf(n), "is not in " + min + ".." + max);
      }
      return n;
    }

    private static Duration positive(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new DatabaseConfigException(name, d.toString(), "must be positive");
      }
      return d;
    }

    private static String caller(String name, String value) {
      String v = Objects.requireNonNull(value, name).strip();
      if (v.isEmpty() || !v.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
        throw new DatabaseConfigException(name, value, "must be non-empty printable ASCII without spaces");
      }
      return v;
    }

    private static final List<String> LB_POLICIES = List.of("round_robin", "least_request", "pick_first");

    private static final Pattern METHOD = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*(/[A-Za-z_][A-Za-z0-9_]*)?");
  }
}
