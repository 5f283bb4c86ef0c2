package org.shakenfist.sfdb.client;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
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
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_KEEPALIVE_TIME}</td><td>10s</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_KEEPALIVE_TIMEOUT}</td><td>5s</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_KEEPALIVE_WITHOUT_CALLS}</td><td>true</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_MAX_RECEIVE_MESSAGE_BYTES}</td><td>33554432</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_RECONNECT_BACKOFF_MAX}</td><td>5s</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_DEADLINE}</td><td>30s</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_RETRY_METHODS}</td><td>(none: retries off)</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_RETRY_MAX_ATTEMPTS}</td><td>6</td></tr>
 *   <tr><td>{@code SHAKENFIST_MARIADB_GATEWAY_RETRY_STATUS_CODES}</td><td>UNAVAILABLE,CANCELLED</td></tr>
 *   <tr><td>{@code SHAKENFIST_CALLER_DAEMON}</td><td>unknown</td></tr>
 *   <tr><td>{@code SHAKENFIST_NODE_NAME}</td><td>unknown</td></tr>
 * </table>
 *
 * <p>Durations are written {@code 500ms}, {@code 10s}, {@code 2m} or a bare number of seconds.
 */
public final class DatabaseChannelConfig {
  /** Environment variable prefix shared with the rest of Shakenfist. */
  public static final String ENV_PREFIX = "SHAKENFIST_";
  public static final String ENV_HOSTS = "SHAKENFIST_MARIADB_GATEWAY_HOSTS";
  public static final String ENV_PORT = "SHAKENFIST_MARIADB_GATEWAY_PORT";
  public static final String ENV_METRICS_PORT = "SHAKENFIST_MARIADB_GATEWAY_METRICS_PORT";
  public static final String ENV_HEALTH_CHECK = "SHAKENFIST_MARIADB_GATEWAY_HEALTH_CHECK";
  public static final String ENV_HEALTH_POLL_INTERVAL = "SHAKENFIST_MARIADB_GATEWAY_HEALTH_POLL_INTERVAL";
  public static final String ENV_HEALTH_POLL_TIMEOUT = "SHAKENFIST_MARIADB_GATEWAY_HEALTH_POLL_TIMEOUT";
  public static final String ENV_HEALTH_POLL_FAILURES = "SHAKENFIST_MARIADB_GATEWAY_HEALTH_POLL_FAILURES";
  public static final String ENV_OUTLIER_DETECTION = "SHAKENFIST_MARIADB_GATEWAY_OUTLIER_DETECTION";
  public static final String ENV_KEEPALIVE_TIME = "SHAKENFIST_MARIADB_GATEWAY_KEEPALIVE_TIME";
  public static final String ENV_KEEPALIVE_TIMEOUT = "SHAKENFIST_MARIADB_GATEWAY_KEEPALIVE_TIMEOUT";
  public static final String ENV_KEEPALIVE_WITHOUT_CALLS = "SHAKENFIST_MARIADB_GATEWAY_KEEPALIVE_WITHOUT_CALLS";
  public static final String ENV_MAX_RECEIVE_MESSAGE_BYTES = "SHAKENFIST_MARIADB_GATEWAY_MAX_RECEIVE_MESSAGE_BYTES";
  public static final String ENV_RECONNECT_BACKOFF_MAX = "SHAKENFIST_MARIADB_GATEWAY_RECONNECT_BACKOFF_MAX";
  public static final String ENV_DEADLINE = "SHAKENFIST_MARIADB_GATEWAY_DEADLINE";
  public static final String ENV_RETRY_METHODS = "SHAKENFIST_MARIADB_GATEWAY_RETRY_METHODS";
  public static final String ENV_RETRY_MAX_ATTEMPTS = "SHAKENFIST_MARIADB_GATEWAY_RETRY_MAX_ATTEMPTS";
  public static final String ENV_RETRY_STATUS_CODES = "SHAKENFIST_MARIADB_GATEWAY_RETRY_STATUS_CODES";
  public static final String ENV_CALLER_DAEMON = "SHAKENFIST_CALLER_DAEMON";
  public static final String ENV_NODE_NAME = "SHAKENFIST_NODE_NAME";

  /** Default gateway gRPC port. */
  public static final int DEFAULT_PORT = 13005;
  /** Default gateway Prometheus metrics port. */
  public static final int DEFAULT_METRICS_PORT = 13006;
  /** Value sent as caller metadata when no caller is configured. */
  public static final String UNKNOWN_CALLER = "unknown";

  private final List<GatewayHost> hosts;
  private final int metricsPort;
  private final Transport transport;
  private final HealthCheckMode healthCheck;
  private final Duration healthPollInterval;
  private final Duration healthPollTimeout;
  private final int healthPollFailures;
  private final boolean outlierDetection;
  private final String loadBalancingPolicy;
  private final Duration keepAliveTime;
  private final Duration keepAliveTimeout;
  private final boolean keepAliveWithoutCalls;
  private final int maxInboundMessageSize;
  private final Duration reconnectBackoffMax;
  private final Duration deadline;
  private final String callerDaemon;
  private final String callerNode;
  private final List<String> retryMethods;
  private final int retryMaxAttempts;
  private final List<Status.Code> retryStatusCodes;
  private final Duration retryInitialBackoff;
  private final Duration retryMaxBackoff;
  private final boolean endpointCounting;
  private final MeterRegistry meterRegistry;
  private final ChannelCredentials credentials;
  private final Consumer<ManagedChannelBuilder<?>> channelCustomizer;

  private DatabaseChannelConfig(Builder b) {
    this.hosts = b.parseHosts();
    this.metricsPort = b.metricsPort;
    this.transport = b.transport;
    this.healthCheck = b.healthCheck;
    this.healthPollInterval = b.healthPollInterval;
    this.healthPollTimeout = b.healthPollTimeout;
    this.healthPollFailures = b.healthPollFailures;
    this.outlierDetection = b.outlierDetection;
    this.loadBalancingPolicy = b.loadBalancingPolicy;
    this.keepAliveTime = b.keepAliveTime;
    this.keepAliveTimeout = b.keepAliveTimeout;
    this.keepAliveWithoutCalls = b.keepAliveWithoutCalls;
    this.maxInboundMessageSize = b.maxInboundMessageSize;
    this.reconnectBackoffMax = b.reconnectBackoffMax;
    this.deadline = b.deadline;
    this.callerDaemon = b.callerDaemon;
    this.callerNode = b.callerNode;
    this.retryMethods = List.copyOf(b.retryMethods);
    this.retryMaxAttempts = b.retryMaxAttempts;
    this.retryStatusCodes = List.copyOf(b.retryStatusCodes);
    this.retryInitialBackoff = b.retryInitialBackoff;
    this.retryMaxBackoff = b.retryMaxBackoff;
    this.endpointCounting = b.endpointCounting;
    this.meterRegistry = b.meterRegistry;
    this.credentials = b.credentials;
    this.channelCustomizer = b.channelCustomizer;
  }

  /** A builder with the defaults of the real Python client and no hosts. */
  public static Builder builder() {
    return new Builder();
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

  /** A builder holding this configuration, to derive a variant. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.hostList = hosts;
    b.metricsPort = metricsPort;
    b.transport = transport;
    b.healthCheck = healthCheck;
    b.healthPollInterval = healthPollInterval;
    b.healthPollTimeout = healthPollTimeout;
    b.healthPollFailures = healthPollFailures;
    b.outlierDetection = outlierDetection;
    b.loadBalancingPolicy = loadBalancingPolicy;
    b.keepAliveTime = keepAliveTime;
    b.keepAliveTimeout = keepAliveTimeout;
    b.keepAliveWithoutCalls = keepAliveWithoutCalls;
    b.maxInboundMessageSize = maxInboundMessageSize;
    b.reconnectBackoffMax = reconnectBackoffMax;
    b.deadline = deadline;
    b.callerDaemon = callerDaemon;
    b.callerNode = callerNode;
    b.retryMethods = new ArrayList<>(retryMethods);
    b.retryMaxAttempts = retryMaxAttempts;
    b.retryStatusCodes = new ArrayList<>(retryStatusCodes);
    b.retryInitialBackoff = retryInitialBackoff;
    b.retryMaxBackoff = retryMaxBackoff;
    b.endpointCounting = endpointCounting;
    b.meterRegistry = meterRegistry;
    b.credentials = credentials;
    b.channelCustomizer = channelCustomizer;
    return b;
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

  /** {@code round_robin} (default) or {@code pick_first} (diagnostics only: no fan-out). */
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

  /** Whether every call attempt is counted per endpoint (default true). */
  public boolean endpointCounting() {
    return endpointCounting;
  }

  /** The registry for {@code sfdb.client.*} meters, if the user supplied one. */
  public Optional<MeterRegistry> meterRegistry() {
    return Optional.ofNullable(meterRegistry);
  }

  /** Channel credentials for {@link Transport#NETTY} (default plaintext, like the real gateway). */
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
        + retryMaxAttempts + "}";
  }

  /** Mutable builder; {@link #build()} validates everything and throws {@link DatabaseConfigException}. */
  public static final class Builder {
    private String hostsValue;
    private String hostsVariable = ENV_HOSTS;
    private List<GatewayHost> hostList;
    private int port = DEFAULT_PORT;
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
    private List<String> retryMethods = new ArrayList<>();
    private int retryMaxAttempts = 6;
    // CANCELLED: grpcio's server.stop() (the real gateway's drain) answers calls it had queued but not started
    // with a trailers-only CANCELLED; a client's own cancel ends the call whatever the policy says.
    private List<Status.Code> retryStatusCodes =
        new ArrayList<>(List.of(Status.Code.UNAVAILABLE, Status.Code.CANCELLED));
    private Duration retryInitialBackoff = Duration.ofMillis(200);
    private Duration retryMaxBackoff = Duration.ofSeconds(2);
    private boolean endpointCounting = true;
    private MeterRegistry meterRegistry;
    private ChannelCredentials credentials = InsecureChannelCredentials.create();
    private Consumer<ManagedChannelBuilder<?>> channelCustomizer = b -> { };

    private Builder() {}

    /** Host list in {@code SHAKENFIST_MARIADB_GATEWAY_HOSTS} syntax; parsed by {@link #build()}. */
    public Builder hosts(String commaSeparated) {
      this.hostsValue = commaSeparated;
      this.hostsVariable = "hosts";
      this.hostList = null;
      return this;
    }

    /** Host list as values. */
    public Builder hosts(List<GatewayHost> hosts) {
      this.hostList = List.copyOf(hosts);
      this.hostsValue = null;
      return this;
    }

    /** Default port for host items without one (13005). */
    public Builder port(int port) {
      this.port = checkPort("port", port);
      return this;
    }

    public Builder metricsPort(int metricsPort) {
      this.metricsPort = checkPort("metricsPort", metricsPort);
      return this;
    }

    public Builder transport(Transport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    public Builder healthCheck(HealthCheckMode mode) {
      this.healthCheck = Objects.requireNonNull(mode, "healthCheck");
      return this;
    }

    public Builder healthPollInterval(Duration d) {
      this.healthPollInterval = positive("healthPollInterval", d);
      return this;
    }

    public Builder healthPollTimeout(Duration d) {
      this.healthPollTimeout = positive("healthPollTimeout", d);
      return this;
    }

    public Builder healthPollFailures(int n) {
      if (n < 1 || n > 100) {
        throw new DatabaseConfigException("healthPollFailures", String.valueOf(n), "must be in 1..100");
      }
      this.healthPollFailures = n;
      return this;
    }

    /** Opt in to outlier ejection (default off). */
    public Builder outlierDetection(boolean on) {
      this.outlierDetection = on;
      return this;
    }

    /**
     * Load-balancing policy: {@code round_robin} (default) or {@code pick_first}. pick_first sends every
     * call to one instance; it exists so tests can show that the per-endpoint counts reveal such a tier.
     */
    public Builder loadBalancingPolicy(String policy) {
      if (!"round_robin".equals(policy) && !"pick_first".equals(policy)) {
        throw new DatabaseConfigException("loadBalancingPolicy", policy, "expected round_robin or pick_first");
      }
      this.loadBalancingPolicy = policy;
      return this;
    }

    public Builder keepAliveTime(Duration d) {
      this.keepAliveTime = positive("keepAliveTime", d);
      return this;
    }

    public Builder keepAliveTimeout(Duration d) {
      this.keepAliveTimeout = positive("keepAliveTimeout", d);
      return this;
    }

    public Builder keepAliveWithoutCalls(boolean b) {
      this.keepAliveWithoutCalls = b;
      return this;
    }

    public Builder maxInboundMessageSize(int bytes) {
      if (bytes <= 0) {
        throw new DatabaseConfigException("maxInboundMessageSize", String.valueOf(bytes), "must be positive");
      }
      this.maxInboundMessageSize = bytes;
      return this;
    }

    public Builder reconnectBackoffMax(Duration d) {
      this.reconnectBackoffMax = positive("reconnectBackoffMax", d);
      return this;
    }

    public Builder deadline(Duration d) {
      this.deadline = positive("deadline", d);
      return this;
    }

    /** Sent as {@code caller-daemon} metadata on every call. */
    public Builder callerDaemon(String name) {
      this.callerDaemon = caller("callerDaemon", name);
      return this;
    }

    /** Sent as {@code caller-node} metadata on every call. */
    public Builder callerNode(String name) {
      this.callerNode = caller("callerNode", name);
      return this;
    }

    /**
     * Opts idempotent methods into retries on UNAVAILABLE, on the same channel with growing delay. Each
     * name is {@code package.Service/Method} or {@code package.Service} (all its methods).
     */
    public Builder retryMethods(String... names) {
      return retryMethods(List.of(names));
    }

    /** See {@link #retryMethods(String...)}. */
    public Builder retryMethods(List<String> names) {
      List<String> checked = new ArrayList<>();
      for (int i = 0; i < names.size(); i++) {
        checked.add(checkMethodName("retryMethods", names.get(i), i + 1));
      }
      this.retryMethods = checked;
      return this;
    }

    /** Total attempts for retried methods, 2..10 (default 6, as the Python client). */
    public Builder retryMaxAttempts(int attempts) {
      if (attempts < 2 || attempts > 10) {
        throw new DatabaseConfigException("retryMaxAttempts", String.valueOf(attempts), "must be in 2..10");
      }
      this.retryMaxAttempts = attempts;
      return this;
    }

    /**
     * Status codes retried for {@link #retryMethods} (default UNAVAILABLE, CANCELLED). grpc-java sometimes reports a
     * connection that died under a call as {@code UNKNOWN: channel closed} (grpc-java #10120) where the
     * Python client sees UNAVAILABLE; add UNKNOWN to retry those too.
     */
    public Builder retryStatusCodes(Status.Code... codes) {
      if (codes.length == 0) {
        throw new DatabaseConfigException("retryStatusCodes", "", "needs at least one status code");
      }
      for (Status.Code c : codes) {
        if (c == Status.Code.OK) {
          throw new DatabaseConfigException("retryStatusCodes", "OK", "OK is not an error");
        }
      }
      this.retryStatusCodes = new ArrayList<>(List.of(codes));
      return this;
    }

    /** Backoff before the first retry (default 200 ms); doubles each retry up to {@link #retryMaxBackoff}. */
    public Builder retryInitialBackoff(Duration d) {
      this.retryInitialBackoff = positive("retryInitialBackoff", d);
      return this;
    }

    public Builder retryMaxBackoff(Duration d) {
      this.retryMaxBackoff = positive("retryMaxBackoff", d);
      return this;
    }

    /** Turns per-endpoint counting off (on by default); {@link DatabaseChannel#callCounts()} stays empty. */
    public Builder endpointCounting(boolean on) {
      this.endpointCounting = on;
      return this;
    }

    /** Registry for the {@code sfdb.client.calls} counter (default: a private SimpleMeterRegistry). */
    public Builder meterRegistry(MeterRegistry registry) {
      this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
      return this;
    }

    public Builder credentials(ChannelCredentials credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /** Applied to grpc's channel builder after every other setting (executors, user agent, ...). */
    public Builder channelCustomizer(Consumer<ManagedChannelBuilder<?>> customizer) {
      this.channelCustomizer = Objects.requireNonNull(customizer, "channelCustomizer");
      return this;
    }

    /**
     * Applies every {@code SHAKENFIST_*} variable present in {@code env} (see {@link DatabaseChannelConfig}).
     * Values set on the builder before are overridden; absent variables leave them alone.
     */
    public Builder env(Map<String, String> env) {
      String portValue = env.get(ENV_PORT);
      if (portValue != null) {
        port = parseInt(ENV_PORT, portValue, 1, 65535);
      }
      String metrics = env.get(ENV_METRICS_PORT);
      if (metrics != null) {
        metricsPort = parseInt(ENV_METRICS_PORT, metrics, 1, 65535);
      }
      if (env.containsKey(ENV_HOSTS) || (hostList == null && hostsValue == null)) {
        hostsValue = env.get(ENV_HOSTS);
        hostsVariable = ENV_HOSTS;
        hostList = null;
      }
      String health = env.get(ENV_HEALTH_CHECK);
      if (health != null) {
        healthCheck = HealthCheckMode.fromEnv(ENV_HEALTH_CHECK, health);
      }
      healthPollInterval = duration(env, ENV_HEALTH_POLL_INTERVAL, healthPollInterval);
      healthPollTimeout = duration(env, ENV_HEALTH_POLL_TIMEOUT, healthPollTimeout);
      String pollFailures = env.get(ENV_HEALTH_POLL_FAILURES);
      if (pollFailures != null) {
        healthPollFailures = parseInt(ENV_HEALTH_POLL_FAILURES, pollFailures, 1, 100);
      }
      String outlier = env.get(ENV_OUTLIER_DETECTION);
      if (outlier != null) {
        outlierDetection = parseBoolean(ENV_OUTLIER_DETECTION, outlier);
      }
      keepAliveTime = duration(env, ENV_KEEPALIVE_TIME, keepAliveTime);
      keepAliveTimeout = duration(env, ENV_KEEPALIVE_TIMEOUT, keepAliveTimeout);
      String withoutCalls = env.get(ENV_KEEPALIVE_WITHOUT_CALLS);
      if (withoutCalls != null) {
        keepAliveWithoutCalls = parseBoolean(ENV_KEEPALIVE_WITHOUT_CALLS, withoutCalls);
      }
      String maxBytes = env.get(ENV_MAX_RECEIVE_MESSAGE_BYTES);
      if (maxBytes != null) {
        maxInboundMessageSize = parseInt(ENV_MAX_RECEIVE_MESSAGE_BYTES, maxBytes, 1, Integer.MAX_VALUE);
      }
      reconnectBackoffMax = duration(env, ENV_RECONNECT_BACKOFF_MAX, reconnectBackoffMax);
      deadline = duration(env, ENV_DEADLINE, deadline);
      String retry = env.get(ENV_RETRY_METHODS);
      if (retry != null) {
        List<String> names = new ArrayList<>();
        GatewayHosts.forEachItem(retry, (item, position) ->
            names.add(checkMethodName(ENV_RETRY_METHODS, item, position)));
        retryMethods = names;
      }
      String attempts = env.get(ENV_RETRY_MAX_ATTEMPTS);
      if (attempts != null) {
        retryMaxAttempts = parseInt(ENV_RETRY_MAX_ATTEMPTS, attempts, 2, 10);
      }
      String codes = env.get(ENV_RETRY_STATUS_CODES);
      if (codes != null) {
        List<Status.Code> parsed = new ArrayList<>();
        GatewayHosts.forEachItem(codes, (item, position) -> {
          Status.Code code;
          try {
            code = Status.Code.valueOf(item.toUpperCase(Locale.ROOT));
          } catch (IllegalArgumentException e) {
            code = Status.Code.OK;
          }
          if (code == Status.Code.OK) {
            throw new DatabaseConfigException(ENV_RETRY_STATUS_CODES, item, position,
                "not a gRPC error status code (e.g. UNAVAILABLE, UNKNOWN, DEADLINE_EXCEEDED)");
          }
          parsed.add(code);
        });
        if (parsed.isEmpty()) {
          throw new DatabaseConfigException(ENV_RETRY_STATUS_CODES, codes, "lists no status codes");
        }
        retryStatusCodes = parsed;
      }
      String daemon = env.get(ENV_CALLER_DAEMON);
      if (daemon != null && !daemon.isBlank()) {
        callerDaemon = caller(ENV_CALLER_DAEMON, daemon);
      }
      String node = env.get(ENV_NODE_NAME);
      if (node != null && !node.isBlank()) {
        callerNode = caller(ENV_NODE_NAME, node);
      }
      return this;
    }

    /** Validates and builds; throws {@link DatabaseConfigException} naming the bad setting. */
    public DatabaseChannelConfig build() {
      if (keepAliveTimeout.compareTo(keepAliveTime) > 0) {
        throw new DatabaseConfigException("keepAliveTimeout", keepAliveTimeout.toString(),
            "is longer than keepAliveTime " + keepAliveTime);
      }
      if (retryInitialBackoff.compareTo(retryMaxBackoff) > 0) {
        throw new DatabaseConfigException("retryInitialBackoff", retryInitialBackoff.toString(),
            "is longer than retryMaxBackoff " + retryMaxBackoff);
      }
      return new DatabaseChannelConfig(this);
    }

    private List<GatewayHost> parseHosts() {
      if (hostList != null) {
        if (hostList.isEmpty()) {
          throw new DatabaseConfigException("hosts", "", "lists no hosts");
        }
        return hostList;
      }
      return GatewayHosts.parse(hostsValue, port, hostsVariable);
    }

    private static int checkPort(String name, int port) {
      if (port < 1 || port > 65535) {
        throw new DatabaseConfigException(name, String.valueOf(port), "port is not in 1..65535");
      }
      return port;
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

    private static final Pattern METHOD = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*(/[A-Za-z_][A-Za-z0-9_]*)?");

    private static String checkMethodName(String variable, String name, int position) {
      if (name == null || !METHOD.matcher(name.strip()).matches()) {
        throw new DatabaseConfigException(variable, String.valueOf(name), position,
            "expected package.Service or package.Service/Method");
      }
      return name.strip();
    }

    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s|m)?");

    private static Duration duration(Map<String, String> env, String variable, Duration current) {
      String value = env.get(variable);
      if (value == null) {
        return current;
      }
      Matcher m = DURATION.matcher(value.strip().toLowerCase(Locale.ROOT));
      if (!m.matches()) {
        throw new DatabaseConfigException(variable, value, "expected a duration such as 500ms, 10s or 2m");
      }
      long n = Long.parseLong(m.group(1));
      String unit = m.group(2) == null ? "s" : m.group(2);
      Duration d = switch (unit) {
        case "ms" -> Duration.ofMillis(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofSeconds(n);
      };
      if (d.isZero()) {
        throw new DatabaseConfigException(variable, value, "must be positive");
      }
      return d;
    }

    private static int parseInt(String variable, String value, int min, int max) {
      try {
        long n = Long.parseLong(value.strip());
        if (n < min || n > max) {
          throw new DatabaseConfigException(variable, value, "is not in " + min + ".." + max);
        }
        return (int) n;
      } catch (NumberFormatException e) {
        throw new DatabaseConfigException(variable, value, "is not a whole number");
      }
    }

    private static boolean parseBoolean(String variable, String value) {
      switch (value.strip().toLowerCase(Locale.ROOT)) {
        case "true", "on", "yes", "1":
          return true;
        case "false", "off", "no", "0":
          return false;
        default:
          throw new DatabaseConfigException(variable, value, "expected true or false");
      }
    }
  }
}
