package org.shakenfist.sfdb.client;

import static org.shakenfist.sfdb.client.DatabaseChannelConfig.ENV_CALLER_DAEMON;
import static org.shakenfist.sfdb.client.DatabaseChannelConfig.ENV_DEADLINE;
import static org.shakenfist.sfdb.client.DatabaseChannelConfig.ENV_HEALTH_CHECK;
import static org.shakenfist.sfdb.client.DatabaseChannelConfig.ENV_HEALTH_POLL_FAILURES;
import static org.shakenfist.sfdb.client.DatabaseChannelConfig.ENV_HEALTH_POLL_INTERVAL;
import static org.shakenfist.sfdb.client.DatabaseChannelConfig.ENV_HEALTH_POLL_TIMEOUT;
import static org.shakenfist.sfdb.client.DatabaseChannelConfig.ENV_HOSTS;
import static org.shakenfist.sfdb.client.DatabaseChannelConfig.ENV_KEEPALIVE_TIME;
import static org.shakenfist.sfdb.client.DatabaseChannelConfig.ENV_KEEPALIVE_TIMEOUT;
import static org.shakenfist.sfdb.client.DatabaseChannelConfig.ENV_KEEPALIVE_WITHOUT_CALLS;
import static org.shakenfist.sfdb.client.DatabaseChannelConfig.ENV_MAX_RECEIVE_MESSAGE_BYTES;
import static org.shakenfist.sfdb.client.DatabaseChannelConfig.ENV_METRICS_PORT;
import static org.shakenfist.sfdb.client.DatabaseChannelConfig.ENV_NODE_NAME;
import static org.shakenfist.sfdb.client.DatabaseChannelConfig.ENV_OUTLIER_DETECTION;
import static org.shakenfist.sfdb.client.DatabaseChannelConfig.ENV_PORT;
import static org.shakenfist.sfdb.client.DatabaseChannelConfig.ENV_RECONNECT_BACKOFF_MAX;
import static org.shakenfist.sfdb.client.DatabaseChannelConfig.ENV_RETRY_MAX_ATTEMPTS;
import static org.shakenfist.sfdb.client.DatabaseChannelConfig.ENV_RETRY_METHODS;
import static org.shakenfist.sfdb.client.DatabaseChannelConfig.ENV_RETRY_STATUS_CODES;

import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the {@code SHAKENFIST_*} variables into a {@link DatabaseChannelConfig.Builder}: the value syntax
 * (durations, whole numbers, booleans, comma-separated lists via {@link CommaList}) is parsed here, the range and consistency
 * checks stay with the builder's setters, and any problem is reported naming the variable.
 */
final class ConfigEnvironment {
  private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s|m)?");

  private ConfigEnvironment() {}

  static void apply(Map<String, String> env, DatabaseChannelConfig.Builder b) {
    whole(env, ENV_PORT, b::port);
    whole(env, ENV_METRICS_PORT, b::metricsPort);
    if (env.containsKey(ENV_HOSTS) || b.hostsUnset()) {
      b.hostsText(ENV_HOSTS, env.get(ENV_HOSTS));
    }
    text(env, ENV_HEALTH_CHECK, v -> b.healthCheck(HealthCheckMode.fromEnv(ENV_HEALTH_CHECK, v)));
    duration(env, ENV_HEALTH_POLL_INTERVAL, b::healthPollInterval);
    duration(env, ENV_HEALTH_POLL_TIMEOUT, b::healthPollTimeout);
    whole(env, ENV_HEALTH_POLL_FAILURES, b::healthPollFailures);
    bool(env, ENV_OUTLIER_DETECTION, b::outlierDetection);
    duration(env, ENV_KEEPALIVE_TIME, b::keepAliveTime);
    duration(env, ENV_KEEPALIVE_TIMEOUT, b::keepAliveTimeout);
    bool(env, ENV_KEEPALIVE_WITHOUT_CALLS, b::keepAliveWithoutCalls);
    whole(env, ENV_MAX_RECEIVE_MESSAGE_BYTES, b::maxInboundMessageSize);
    duration(env, ENV_RECONNECT_BACKOFF_MAX, b::reconnectBackoffMax);
    duration(env, ENV_DEADLINE, b::deadline);
    list(env, ENV_RETRY_METHODS, (item, variable, position) -> item, b::retryMethods);
    whole(env, ENV_RETRY_MAX_ATTEMPTS, b::retryMaxAttempts);
    list(env, ENV_RETRY_STATUS_CODES, ConfigEnvironment::statusCode, b::retryStatusCodes);
    nonBlank(env, ENV_CALLER_DAEMON, b::callerDaemon);
    nonBlank(env, ENV_NODE_NAME, b::callerNode);
  }

  private static void text(Map<String, String> env, String variable, Consumer<String> setter) {
    String value = env.get(variable);
    if (value != null) {
      set(variable, value, () -> setter.accept(value), List.of());
    }
  }

  private static void nonBlank(Map<String, String> env, String variable, Consumer<String> setter) {
    String value = env.get(variable);
    if (value != null && !value.isBlank()) {
      set(variable, value, () -> setter.accept(value), List.of());
    }
  }

  private static void whole(Map<String, String> env, String variable, IntConsumer setter) {
    String value = env.get(variable);
    if (value == null) {
      return;
    }
    long n;
    try {
      n = Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      throw new DatabaseConfigException(variable, value, "is not a whole number");
    }
    // out of int range: hand the setter a value its range check refuses, so its message is the one shown
    int checked = n == (int) n ? (int) n : Integer.MIN_VALUE;
    set(variable, value, () -> setter.accept(checked), List.of());
  }

  private static void bool(Map<String, String> env, String variable, Consumer<Boolean> setter) {
    String value = env.get(variable);
    if (value == null) {
      return;
    }
    boolean b = switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "true", "on", "yes", "1" -> true;
      case "false", "off", "no", "0" -> false;
      default -> throw new DatabaseConfigException(variable, value, "expected true or false");
    };
    set(variable, value, () -> setter.accept(b), List.of());
  }

  private static void duration(Map<String, String> env, String variable, Consumer<Duration> setter) {
    String value = env.get(variable);
    if (value == null) {
      return;
    }
    Duration d = parseDuration(variable, value);
    set(variable, value, () -> setter.accept(d), List.of());
  }

  /** {@code 500ms}, {@code 10s}, {@code 2m} or a bare number of seconds. */
  static Duration parseDuration(String name, String value) {
    Matcher m = DURATION.matcher(value.strip().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new DatabaseConfigException(name, value, "expected a duration such as 500ms, 10s or 2m");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2) == null ? "s" : m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofSeconds(n);
    };
  }

  /** A comma-separated list: each item parsed, the whole list handed to the setter. */
  private static <T> void list(Map<String, String> env, String variable, ItemParser<T> parse,
      Consumer<List<T>> setter) {
    String value = env.get(variable);
    if (value == null) {
      return;
    }
    List<T> items = new ArrayList<>();
    List<Integer> positions = new ArrayList<>();
    CommaList.forEachItem(value, (item, position) -> {
      items.add(parse.parse(item, variable, position));
      positions.add(position);
    });
    set(variable, value, () -> setter.accept(items), positions);
  }

  private static Status.Code statusCode(String item, String variable, int position) {
    try {
      return Status.Code.valueOf(item.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new DatabaseConfigException(variable, item, position,
          "not a gRPC error status code (e.g. UNAVAILABLE, UNKNOWN, DEADLINE_EXCEEDED)");
    }
  }

  /**
   * Runs a builder setter; its {@link DatabaseConfigException} (which names the setting) is re-issued
   * naming the variable, with the item's position in the variable's value for list values.
   */
  private static void set(String variable, String value, Runnable setter, List<Integer> positions) {
    try {
      setter.run();
    } catch (DatabaseConfigException e) {
      if (e.position() > 0) {
        int position = e.position() <= positions.size() ? positions.get(e.position() - 1) : e.position();
        throw new DatabaseConfigException(variable, e.item(), position, e.problem());
      }
      throw new DatabaseConfigException(variable, value, e.problem());
    }
  }

  @FunctionalInterface
  private interface ItemParser<T> {
    T parse(String item, String variable, int position);
  }
}
