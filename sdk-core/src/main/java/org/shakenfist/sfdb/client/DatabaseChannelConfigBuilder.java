package org.shakenfist.sfdb.client;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Builder of a {@link DatabaseChannelConfig}: a mutable draft of every setting that {@link #build()} validates
 * and copies, so a built configuration never changes. Setters throw {@link DatabaseConfigException} naming the
 * setting.
 *
 * <pre>{@code
 * DatabaseChannelConfig config = DatabaseChannelConfig.builder()
 *     .hosts("10.0.0.20,10.0.0.21")
 *     .env(System.getenv())          // SHAKENFIST_* variables override what was set before
 *     .deadline(Duration.ofSeconds(5))
 *     .build();
 * DatabaseChannelConfig variant = config.toBuilder().callerDaemon("net").build();
 * }</pre>
 */
public final class DatabaseChannelConfigBuilder {
  private final Object[] draft;
  // the host list may be given as text, parsed by build() with the port known by then
  private String hostsText;
  private String hostsVariable = DatabaseChannelConfig.ENV_HOSTS;

  DatabaseChannelConfigBuilder(Object[] draft) {
    this.draft = draft;
  }

  private <T> DatabaseChannelConfigBuilder set(Setting<T> s, T value) {
    draft[s.index] = s.check.apply(value);
    return this;
  }

  /** Host list in {@code SHAKENFIST_MARIADB_GATEWAY_HOSTS} syntax; parsed by {@link #build()}. */
  public DatabaseChannelConfigBuilder hosts(String commaSeparated) {
    return hostsText("hosts", commaSeparated);
  }

  /** Host list as values. */
  public DatabaseChannelConfigBuilder hosts(List<GatewayHost> hosts) {
    hostsText = null;
    return set(Setting.HOSTS, List.copyOf(hosts));
  }

  private DatabaseChannelConfigBuilder hostsText(String variable, String value) {
    hostsText = value;
    hostsVariable = variable;
    draft[Setting.HOSTS.index] = null;
    return this;
  }

  /** Port of host items that name none (13005). */
  public DatabaseChannelConfigBuilder port(int port) {
    return set(Setting.PORT, port);
  }

  public DatabaseChannelConfigBuilder metricsPort(int metricsPort) {
    return set(Setting.METRICS_PORT, metricsPort);
  }

  public DatabaseChannelConfigBuilder transport(Transport transport) {
    return set(Setting.TRANSPORT, transport);
  }

  public DatabaseChannelConfigBuilder healthCheck(HealthCheckMode mode) {
    return set(Setting.HEALTH_CHECK, mode);
  }

  public DatabaseChannelConfigBuilder healthPollInterval(Duration d) {
    return set(Setting.HEALTH_POLL_INTERVAL, d);
  }

  public DatabaseChannelConfigBuilder healthPollTimeout(Duration d) {
    return set(Setting.HEALTH_POLL_TIMEOUT, d);
  }

  /** 1..100 (default 3). */
  public DatabaseChannelConfigBuilder healthPollFailures(int n) {
    return set(Setting.HEALTH_POLL_FAILURES, n);
  }

  /**
   * Ejection for a small tier: after {@code n} failed calls in a row (UNAVAILABLE, INTERNAL, UNKNOWN,
   * DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, DATA_LOSS), or 10 failed of its last 20, an instance whose failures
   * stand out from the other instances' (errors spread evenly eject none) leaves the rotation for 10 s, 20 s,
   * 40 s ... up to 160 s for repeats, and comes back through slow start; at most half the instances are out at
   * once, so it works from two instances on. 0..100, 0 turns it off (default 5).
   */
  public DatabaseChannelConfigBuilder ejectAfterFailures(int n) {
    return set(Setting.EJECT_AFTER_FAILURES, n);
  }

  /**
   * Panic threshold, 0..100 percent of the tier's instances (default 50, as Envoy's): while fewer are in the
   * rotation, the connected instances that are out only because they were ejected or stopped answering their
   * health polls (an overloaded gateway answers late) take calls again, so the load is not piled onto the few
   * left. An instance that answered NOT_SERVING (its database unreachable, or draining) stays out while any
   * instance serves: the real gateway answers many reads OK and empty when its database is gone. When none is
   * healthy, calls go to every connected instance, whatever the threshold. 0: only then.
   *
   * <pre>{@code
   * DatabaseChannelConfig.builder().hosts("10.0.0.20,10.0.0.21,10.0.0.22").panicThreshold(0).build();
   * }</pre>
   */
  public DatabaseChannelConfigBuilder panicThreshold(int percent) {
    return set(Setting.PANIC_THRESHOLD, percent);
  }

  /** Opt in to outlier ejection (default off). */
  public DatabaseChannelConfigBuilder outlierDetection(boolean on) {
    return set(Setting.OUTLIER_DETECTION, on);
  }

  /**
   * {@code round_robin} (default: every instance in turn, an exact split), {@code least_request} (of two
   * random healthy instances the one with fewer calls in flight: a slow instance gets fewer calls, the split
   * is even only on average), {@code peak_ewma} (of two the one with the lower latency estimate x calls in
   * flight: a slow or failing instance gets almost none) or {@code pick_first} (every call to one instance; for
   * tests that show the per-endpoint counts reveal such a tier).
   */
  public DatabaseChannelConfigBuilder loadBalancingPolicy(String policy) {
    return set(Setting.LB_POLICY, policy);
  }

  /** How fast {@code peak_ewma}'s latency estimates forget (default 10 s). */
  public DatabaseChannelConfigBuilder ewmaDecay(Duration d) {
    return set(Setting.EWMA_DECAY, d);
  }

  /**
   * Slow start: an instance that enters the rotation of a tier that already serves (after a restart, after
   * NOT_SERVING, after it reconnected) gets 10 % of its share of the calls at first, all of it after {@code d}
   * (linearly), under every policy; {@link Duration#ZERO} turns it off (default 10 s).
   */
  public DatabaseChannelConfigBuilder slowStartWindow(Duration d) {
    return set(Setting.SLOW_START_WINDOW, d);
  }

  public DatabaseChannelConfigBuilder keepAliveTime(Duration d) {
    return set(Setting.KEEPALIVE_TIME, d);
  }

  public DatabaseChannelConfigBuilder keepAliveTimeout(Duration d) {
    return set(Setting.KEEPALIVE_TIMEOUT, d);
  }

  public DatabaseChannelConfigBuilder keepAliveWithoutCalls(boolean b) {
    return set(Setting.KEEPALIVE_WITHOUT_CALLS, b);
  }

  public DatabaseChannelConfigBuilder maxInboundMessageSize(int bytes) {
    return set(Setting.MAX_RECEIVE_MESSAGE_BYTES, bytes);
  }

  public DatabaseChannelConfigBuilder reconnectBackoffMax(Duration d) {
    return set(Setting.RECONNECT_BACKOFF_MAX, d);
  }

  public DatabaseChannelConfigBuilder deadline(Duration d) {
    return set(Setting.DEADLINE, d);
  }

  /**
   * {@code true}: the {@link #deadline(Duration) default deadline} is grpc's own, sent to the gateway as
   * {@code grpc-timeout} (as the Python client sends its 30 s). {@code false} (the default): the SDK fails a call
   * that reaches it with {@code DEADLINE_EXCEEDED} from its own coarse timer (never early, at most one 10 ms tick
   * late) and sends no header for it, which saves ~1 µs of CPU per call; the gateway's synchronous handlers do not
   * read a deadline, and the SDK's cancel ends the call on the gateway as its deadline would. A deadline the caller
   * sets ({@code stub.withDeadlineAfter(...)}) that is earlier is grpc's and travels either way.
   */
  public DatabaseChannelConfigBuilder deadlineOnWire(boolean b) {
    return set(Setting.DEADLINE_ON_WIRE, b);
  }

  /** Sent as {@code caller-daemon} metadata on every call. */
  public DatabaseChannelConfigBuilder callerDaemon(String name) {
    return set(Setting.CALLER_DAEMON, name);
  }

  /** Sent as {@code caller-node} metadata on every call. */
  public DatabaseChannelConfigBuilder callerNode(String name) {
    return set(Setting.CALLER_NODE, name);
  }

  /**
   * Opts idempotent methods into retries, on the same channel with growing delay. Each name is
   * {@code package.Service/Method} or {@code package.Service} (all its methods).
   */
  public DatabaseChannelConfigBuilder retryMethods(String... names) {
    return retryMethods(List.of(names));
  }

  /** See {@link #retryMethods(String...)}; a bad name is reported with its 1-based position. */
  public DatabaseChannelConfigBuilder retryMethods(List<String> names) {
    return set(Setting.RETRY_METHODS, names);
  }

  /** Total attempts for retried methods, 2..10 (default 6, as the Python client). */
  public DatabaseChannelConfigBuilder retryMaxAttempts(int attempts) {
    return set(Setting.RETRY_MAX_ATTEMPTS, attempts);
  }

  /**
   * Status codes retried for {@link #retryMethods} (default UNAVAILABLE, CANCELLED). A connection that died
   * under a call is reported as UNAVAILABLE (the SDK's transport corrects grpc-netty's
   * {@code UNKNOWN: channel closed}, grpc-java #10120).
   */
  public DatabaseChannelConfigBuilder retryStatusCodes(Status.Code... codes) {
    return retryStatusCodes(List.of(codes));
  }

  /** See {@link #retryStatusCodes(Status.Code...)}; a bad code is reported with its 1-based position. */
  public DatabaseChannelConfigBuilder retryStatusCodes(List<Status.Code> codes) {
    return set(Setting.RETRY_STATUS_CODES, codes);
  }

  /** Backoff before the first retry (default 200 ms); doubles each retry up to {@link #retryMaxBackoff}. */
  public DatabaseChannelConfigBuilder retryInitialBackoff(Duration d) {
    return set(Setting.RETRY_INITIAL_BACKOFF, d);
  }

  public DatabaseChannelConfigBuilder retryMaxBackoff(Duration d) {
    return set(Setting.RETRY_MAX_BACKOFF, d);
  }

  /**
   * Size of the retry budget, 0..1000 (default 100; 0 turns it off): once a channel's failed attempts have
   * taken half the tokens, its calls are tried once until successes refill it. Half the tokens must exceed
   * the calls that can fail at once when one instance dies (with 10, 8 callers lost calls at a kill).
   */
  public DatabaseChannelConfigBuilder retryBudgetTokens(int tokens) {
    return set(Setting.RETRY_BUDGET_TOKENS, tokens);
  }

  /**
   * Tokens each successful call gives back, in (0, 1] with at most 3 decimals (default 1: retries go on
   * while failed attempts do not outnumber successful calls).
   */
  public DatabaseChannelConfigBuilder retryBudgetRatio(double ratio) {
    return set(Setting.RETRY_BUDGET_RATIO, ratio);
  }

  /** Turns per-endpoint counting off (on by default); {@link DatabaseChannel#callCounts()} stays empty. */
  public DatabaseChannelConfigBuilder endpointCounting(boolean on) {
    return set(Setting.ENDPOINT_COUNTING, on);
  }

  /** Registry for the {@code sfdb.client.*} meters (default: a private SimpleMeterRegistry). */
  public DatabaseChannelConfigBuilder meterRegistry(MeterRegistry registry) {
    return set(Setting.METER_REGISTRY, registry);
  }

  /** Explicit channel credentials; they take precedence over the TLS files. */
  public DatabaseChannelConfigBuilder credentials(ChannelCredentials credentials) {
    return set(Setting.CREDENTIALS, credentials);
  }

  /**
   * TLS with the CA certificates in this PEM file (checked now: readable, at least one certificate). Each
   * instance's certificate must name its own address or host (IP or DNS subject alternative name).
   */
  public DatabaseChannelConfigBuilder tlsCa(Path pemFile) {
    return set(Setting.TLS_CA, pemFile);
  }

  /** Client certificate chain (PEM) for mTLS; needs {@link #tlsKey(Path)}. */
  public DatabaseChannelConfigBuilder tlsCert(Path pemFile) {
    return set(Setting.TLS_CERT, pemFile);
  }

  /** Private key (PEM, PKCS#8 {@code BEGIN PRIVATE KEY}) of {@link #tlsCert(Path)}. */
  public DatabaseChannelConfigBuilder tlsKey(Path pemFile) {
    return set(Setting.TLS_KEY, pemFile);
  }

  /** Applied to grpc's channel builder after every other setting (executors, user agent, ...). */
  public DatabaseChannelConfigBuilder channelCustomizer(Consumer<ManagedChannelBuilder<?>> customizer) {
    return set(Setting.CHANNEL_CUSTOMIZER, customizer);
  }

  /**
   * Applies every {@code SHAKENFIST_*} variable present in {@code env}. Values set on the builder before are
   * overridden; absent variables leave them alone.
   *
   * @throws DatabaseConfigException naming the first bad variable
   */
  public DatabaseChannelConfigBuilder env(Map<String, String> env) {
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
