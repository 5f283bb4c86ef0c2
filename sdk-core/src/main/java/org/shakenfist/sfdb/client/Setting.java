package org.shakenfist.sfdb.client;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.shakenfist.sfdb.client.internal.balance.Pick;

/**
 * The settings of {@link DatabaseChannelConfig}, each declared once here: its builder name, its environment
 * variable (if it has one), its default, how the variable's text becomes a value, how a value is checked, and
 * one line of documentation. Env parsing, validation, {@code equals}, {@code toString}, {@code toBuilder} and
 * the operator guide's variable table (checked by a test) all come from this table.
 *
 * @param <T> the value's type
 */
final class Setting<T> {
  private static final List<Setting<?>> ALL = new ArrayList<>();
  private static final String PREFIX = "SHAKENFIST_MARIADB_GATEWAY_";
  private static final Pattern METHOD = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*(/[A-Za-z_][A-Za-z0-9_]*)?");

  static final Setting<List<GatewayHost>> HOSTS = new Setting<>("hosts", GatewayHosts.VARIABLE, null,
      "(required)", null, v -> v, GatewayHosts::render,
      "comma-separated gateway instances (IPv4, [IPv6] or DNS name, each with an optional `:port`), see below");
  static final Setting<Integer> PORT = new Setting<>("port", PREFIX + "PORT", 13005, "13005",
      Parsers.WHOLE, v -> inRange("port", v, 1, 65535), String::valueOf, "gRPC port for host items without a port");
  static final Setting<Integer> METRICS_PORT = new Setting<>("metricsPort", PREFIX + "METRICS_PORT", 13006,
      "13006", Parsers.WHOLE, v -> inRange("metricsPort", v, 1, 65535), String::valueOf,
      "Prometheus `/metrics` port of every instance (tier-check, fan-out check)");
  static final Setting<Transport> TRANSPORT = builderOnly("transport", Transport.NETTY);
  static final Setting<HealthCheckMode> HEALTH_CHECK = new Setting<>("healthCheck", PREFIX + "HEALTH_CHECK",
      HealthCheckMode.POLL, "poll", Parsers.of(HealthCheckMode::fromEnv), Objects::requireNonNull,
      v -> v.name().toLowerCase(java.util.Locale.ROOT),
      "`poll` (also on, true, yes, 1): unary Health/Check polls, safe against the real gateway; `watch`: grpc's "
          + "Health/Watch streams, **never against the real sf-database**; `off` (false, no, 0): none");
  static final Setting<Duration> HEALTH_POLL_INTERVAL = duration("healthPollInterval", "HEALTH_POLL_INTERVAL",
      Duration.ofSeconds(2), "`poll` mode: time from one poll's answer to the next poll of a connected instance");
  static final Setting<Duration> HEALTH_POLL_TIMEOUT = duration("healthPollTimeout", "HEALTH_POLL_TIMEOUT",
      Duration.ofSeconds(1), "`poll` mode: deadline of one poll");
  static final Setting<Integer> HEALTH_POLL_FAILURES = whole("healthPollFailures", "HEALTH_POLL_FAILURES", 3, 1,
      100, "`poll` mode: unanswered polls in a row before a healthy instance is taken out (1..100; a NOT_SERVING answer takes it out at once)");
  static final Setting<Integer> EJECT_AFTER_FAILURES = whole("ejectAfterFailures", "EJECT_AFTER_FAILURES", 5, 0,
      100, "failed calls in a row (UNAVAILABLE, INTERNAL, ...), or half of its last 20, that take an instance out "
          + "for 10 s, doubling for each repeat up to 160 s, when its failures stand out from the other instances'; "
          + "never more than half the instances (0: off)");
  static final Setting<Integer> PANIC_THRESHOLD = whole("panicThreshold", "PANIC_THRESHOLD", 50, 0, 100,
      "when fewer than this percentage of the instances are in the rotation, the connected ones out only by ejection "
          + "or by unanswered health polls take calls again (as Envoy's panic); one that answered NOT_SERVING never "
          + "does while another serves (its reads would answer empty); 0: only when no instance is healthy");
  static final Setting<Boolean> OUTLIER_DETECTION = bool("outlierDetection", "OUTLIER_DETECTION", false,
      "`on`: eject an instance that fails most calls (thresholds below)");
  static final Setting<String> LB_POLICY = new Setting<>("loadBalancingPolicy", PREFIX + "LB_POLICY",
      Pick.ROUND_ROBIN.policyName(), Pick.ROUND_ROBIN.policyName(), Parsers.NON_BLANK, Setting::policy, v -> v,
      "`round_robin`: every instance in turn, an exact split; `least_request`: of two random healthy instances "
          + "the one with fewer calls in flight; `peak_ewma`: of two random healthy instances the one with the lower "
          + "latency estimate x (calls in flight + 1), failures counted as slow calls (see below); `pick_first`: "
          + "every call to one instance (diagnostics only)");
  static final Setting<Duration> EWMA_DECAY = duration("ewmaDecay", "EWMA_DECAY", Duration.ofSeconds(10),
      "`peak_ewma`: how fast an instance's latency estimate forgets (Finagle's and Linkerd's 10 s)");
  static final Setting<Duration> SLOW_START_WINDOW = new Setting<>("slowStartWindow", PREFIX + "SLOW_START_WINDOW",
      Duration.ofSeconds(10), Parsers.show(Duration.ofSeconds(10)), Parsers.DURATION,
      v -> notNegative("slowStartWindow", v), Parsers::show,
      "an instance that joins or rejoins a serving tier ramps from 10 % of its share to all of it over this time "
          + "(`0`: off)");
  static final Setting<Duration> KEEPALIVE_TIME = duration("keepAliveTime", "KEEPALIVE_TIME",
      Duration.ofSeconds(10), "HTTP/2 keepalive ping interval (the gateway allows one every 5 s)");
  static final Setting<Duration> KEEPALIVE_TIMEOUT = duration("keepAliveTimeout", "KEEPALIVE_TIMEOUT",
      Duration.ofSeconds(5), "ping ack timeout before the connection is dropped (at most `KEEPALIVE_TIME`)");
  static final Setting<Boolean> KEEPALIVE_WITHOUT_CALLS = bool("keepAliveWithoutCalls", "KEEPALIVE_WITHOUT_CALLS",
      true, "ping idle connections too");
  static final Setting<Integer> MAX_RECEIVE_MESSAGE_BYTES = whole("maxInboundMessageSize",
      "MAX_RECEIVE_MESSAGE_BYTES", 32 * 1024 * 1024, 1, Integer.MAX_VALUE, "largest reply accepted (32 MiB)");
  static final Setting<Duration> RECONNECT_BACKOFF_MAX = duration("reconnectBackoffMax", "RECONNECT_BACKOFF_MAX",
      Duration.ofSeconds(5), "about the longest wait before reconnecting to an instance that went away (+-20 %; grpc's first wait is 1 s)");
  static final Setting<Duration> DEADLINE = duration("deadline", "DEADLINE", Duration.ofSeconds(30),
      "deadline of every call that has no earlier one");
  static final Setting<Boolean> DEADLINE_ON_WIRE = bool("deadlineOnWire", "DEADLINE_ON_WIRE", false,
      "send `DEADLINE` to the gateway as `grpc-timeout` (grpc enforces it); off: the SDK enforces it on its own "
          + "timer, and only deadlines the caller sets travel");
  static final Setting<List<String>> RETRY_METHODS = new Setting<>("retryMethods", PREFIX + "RETRY_METHODS",
      List.of(), "(none: retries off)", Parsers.list((item, variable, position) -> item), Setting::methods,
      v -> String.join(",", v), "idempotent methods retried on the same channel: `package.Service/Method` or "
          + "`package.Service`, comma-separated");
  static final Setting<Integer> RETRY_MAX_ATTEMPTS = whole("retryMaxAttempts", "RETRY_MAX_ATTEMPTS", 6, 2, 10,
      "attempts per retried call, first one included (2..10)");
  static final Setting<List<Status.Code>> RETRY_STATUS_CODES = new Setting<>("retryStatusCodes",
      PREFIX + "RETRY_STATUS_CODES", List.of(Status.Code.UNAVAILABLE, Status.Code.CANCELLED),
      "UNAVAILABLE,CANCELLED", Parsers.list(Parsers::statusCode), Setting::statusCodes,
      v -> String.join(",", v.stream().map(Enum::name).toList()),
      "status codes that make a retried method try again (CANCELLED: see Retries)");
  static final Setting<Duration> RETRY_INITIAL_BACKOFF = builderDuration("retryInitialBackoff", Duration.ofMillis(200));
  static final Setting<Duration> RETRY_MAX_BACKOFF = builderDuration("retryMaxBackoff", Duration.ofSeconds(2));
  static final Setting<Integer> RETRY_BUDGET_TOKENS = whole("retryBudgetTokens", "RETRY_BUDGET_TOKENS", 100, 0,
      1000, "retry budget (grpc `retryThrottling`) of each channel, 0..1000; `0` turns it off (see Retries)");
  static final Setting<Double> RETRY_BUDGET_RATIO = new Setting<>("retryBudgetRatio", PREFIX + "RETRY_BUDGET_RATIO",
      1.0, "1", Parsers.DECIMAL, Setting::ratio, String::valueOf, "tokens a successful call gives back, (0, 1] with at most 3 decimals");
  static final Setting<Path> TLS_CA = new Setting<>("tlsCa", PREFIX + "TLS_CA", null, "(none: plaintext)",
      Parsers.PATH, v -> Tls.certificates("tlsCa", v), String::valueOf,
      "PEM file of the CA certificates that signed the gateways' certificates; set, the channel uses TLS");
  static final Setting<Path> TLS_CERT = new Setting<>("tlsCert", PREFIX + "TLS_CERT", null, "(none)",
      Parsers.PATH, v -> Tls.certificates("tlsCert", v), String::valueOf, "PEM client certificate chain, for gateways that require client certificates (mTLS); needs `TLS_KEY`");
  static final Setting<Path> TLS_KEY = new Setting<>("tlsKey", PREFIX + "TLS_KEY", null, "(none)",
      Parsers.PATH, v -> Tls.privateKey("tlsKey", v), String::valueOf, "PEM PKCS#8 (`BEGIN PRIVATE KEY`) key of `TLS_CERT`");
  static final Setting<String> CALLER_DAEMON = new Setting<>("callerDaemon", "SHAKENFIST_CALLER_DAEMON",
      DatabaseChannelConfig.UNKNOWN_CALLER, "unknown", Parsers.NON_BLANK, v -> caller("callerDaemon", v), v -> v,
      "sent as `caller-daemon` metadata (a builder setting made after `env()` wins); see the allow-list below");
  static final Setting<String> CALLER_NODE = new Setting<>("callerNode", "SHAKENFIST_NODE_NAME",
      DatabaseChannelConfig.UNKNOWN_CALLER, "unknown", Parsers.NON_BLANK, v -> caller("callerNode", v), v -> v,
      "sent as `caller-node` metadata");
  static final Setting<Boolean> ENDPOINT_COUNTING = builderOnly("endpointCounting", true);
  static final Setting<MeterRegistry> METER_REGISTRY = builderOnly("meterRegistry", null);
  static final Setting<ChannelCredentials> CREDENTIALS = builderOnly("credentials", null);
  static final Setting<Consumer<ManagedChannelBuilder<?>>> CHANNEL_CUSTOMIZER = builderOnly("channelCustomizer",
      b -> { });

  final int index;
  final String name;
  final String variable; // null: set only through the builder
  final T defaultValue;
  final String defaultText;
  final Parsers.Parser<T> parser;
  final UnaryOperator<T> check;
  final Function<T, String> show;
  final String doc;

  private Setting(String name, String variable, T defaultValue, String defaultText, Parsers.Parser<T> parser,
      UnaryOperator<T> check, Function<T, String> show, String doc) {
    this.index = ALL.size();
    this.name = name;
    this.variable = variable;
    this.defaultValue = defaultValue;
    this.defaultText = defaultText;
    this.parser = parser;
    this.check = check;
    this.show = show;
    this.doc = doc;
    ALL.add(this);
  }

  /** Every setting, in declaration order (the order of the operator guide's table). */
  static List<Setting<?>> all() {
    return List.copyOf(ALL);
  }

  /**
   * The operator guide's variable table, one Markdown row per setting that has a variable, in declaration
   * order (a test keeps {@code docs/operator-guide.md} equal to it).
   */
  static List<String> guideRows() {
    List<String> rows = new ArrayList<>();
    for (Setting<?> s : ALL) {
      if (s.variable != null) {
        String d = s.defaultText.startsWith("(") ? s.defaultText : "`" + s.defaultText + "`";
        rows.add("| `" + s.variable + "` | " + d + " | " + s.doc + " |");
      }
    }
    return rows;
  }

  /** Builder-only settings (no variable), in declaration order. */
  static List<String> builderOnlyNames() {
    return ALL.stream().filter(s -> s.variable == null).map(s -> s.name).toList();
  }

  /** The value's text for {@code toString} (null shows as nothing). */
  String render(Object value) {
    @SuppressWarnings("unchecked")
    T v = (T) value;
    return v == null ? "" : show.apply(v);
  }

  private static <T> Setting<T> builderOnly(String name, T defaultValue) {
    return new Setting<>(name, null, defaultValue, null, null, v -> Objects.requireNonNull(v, name), null, null);
  }

  private static Setting<Duration> duration(String name, String variable, Duration defaultValue, String doc) {
    return new Setting<>(name, PREFIX + variable, defaultValue, Parsers.show(defaultValue), Parsers.DURATION,
        v -> positive(name, v), Parsers::show, doc);
  }

  private static Setting<Duration> builderDuration(String name, Duration defaultValue) {
    return new Setting<>(name, null, defaultValue, null, null, v -> positive(name, v), Parsers::show, null);
  }

  private static Setting<Integer> whole(String name, String variable, int defaultValue, int min, int max, String doc) {
    return new Setting<>(name, PREFIX + variable, defaultValue, String.valueOf(defaultValue), Parsers.WHOLE,
        v -> inRange(name, v, min, max), String::valueOf, doc);
  }

  private static Setting<Boolean> bool(String name, String variable, boolean defaultValue, String doc) {
    return new Setting<>(name, PREFIX + variable, defaultValue, defaultValue ? "true" : "false", Parsers.BOOLEAN,
        v -> Objects.requireNonNull(v, name), String::valueOf, doc);
  }

  static int inRange(String name, Integer n, int min, int max) {
    if (n < min || n > max) {
      throw new DatabaseConfigException(name, String.valueOf(n), "is not in " + min + ".." + max);
    }
    return n;
  }

  private static Duration notNegative(String name, Duration d) {
    if (d.isNegative()) {
      throw new DatabaseConfigException(name, d.toString(), "must not be negative");
    }
    return d;
  }

  private static Duration positive(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new DatabaseConfigException(name, d.toString(), "must be positive");
    }
    return d;
  }

  private static String policy(String policy) {
    String p = Objects.requireNonNull(policy, "loadBalancingPolicy").strip();
    if (Pick.named(p).isEmpty()) {
      throw new DatabaseConfigException("loadBalancingPolicy", policy, "expected one of " + String.join(", ", Pick.names()));
    }
    return p;
  }

  private static List<String> methods(List<String> names) {
    List<String> checked = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      if (name == null || !METHOD.matcher(name.strip()).matches()) {
        throw new DatabaseConfigException("retryMethods", String.valueOf(name), i + 1,
            "expected package.Service or package.Service/Method");
      }
      checked.add(name.strip());
    }
    return List.copyOf(checked);
  }

  private static List<Status.Code> statusCodes(List<Status.Code> codes) {
    if (codes.isEmpty()) {
      throw new DatabaseConfigException("retryStatusCodes", "", "needs at least one status code");
    }
    for (int i = 0; i < codes.size(); i++) {
      if (codes.get(i) == Status.Code.OK) {
        throw new DatabaseConfigException("retryStatusCodes", "OK", i + 1,
            "not a gRPC error status code (e.g. UNAVAILABLE, UNKNOWN, DEADLINE_EXCEEDED)");
      }
    }
    return List.copyOf(codes);
  }

  private static Double ratio(Double ratio) {
    if (!(ratio > 0 && ratio <= 1) || Math.round(ratio * 1000) != ratio * 1000) {
      throw new DatabaseConfigException("retryBudgetRatio", String.valueOf(ratio),
          "is not in (0, 1] with at most 3 decimals");
    }
    return ratio;
  }

  private static String caller(String name, String value) {
    String v = Objects.requireNonNull(value, name).strip();
    if (v.isEmpty() || !v.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new DatabaseConfigException(name, value, "must be non-empty printable ASCII without spaces");
    }
    return v;
  }

  @Override
  public String toString() {
    return variable == null ? name : variable;
  }
}
