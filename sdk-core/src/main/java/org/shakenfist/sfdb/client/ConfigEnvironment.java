package org.shakenfist.sfdb.client;

import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code SHAKENFIST_*} variables for the builder's table in {@code DatabaseChannelConfig.Builder.env}:
 * the value syntax
 * (durations, whole numbers, booleans, comma-separated lists via {@link CommaList}) is parsed here, the range and consistency
 * checks stay with the builder's setters, and any problem is reported naming the variable.
 */
final class ConfigEnvironment {
  private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s|m)?");

    private final Map<String, String> env;

  ConfigEnvironment(Map<String, String> env) {
    this.env = env;
  }

  /** Whether {@code variable} is set at all. */
  boolean has(String variable) {
    return env.containsKey(variable);
  }

  /** The raw value, or null. */
  String get(String variable) {
    return env.get(variable);
  }

  void text(String variable, Consumer<String> setter) {
    String value = env.get(variable);
    if (value != null) {
      set(variable, value, () -> setter.accept(value), List.of());
    }
  }

  void nonBlank(String variable, Consumer<String> setter) {
    String value = env.get(variable);
    if (value != null && !value.isBlank()) {
      set(variable, value, () -> setter.accept(value), List.of());
    }
  }

  void whole(String variable, IntConsumer setter) {
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

  void decimal(String variable, DoubleConsumer setter) {
    String value = env.get(variable);
    if (value == null) {
      return;
    }
    double d;
    try {
      d = Double.parseDouble(value.strip());
    } catch (NumberFormatException e) {
      throw new DatabaseConfigException(variable, value, "is not a number");
    }
    set(variable, value, () -> setter.accept(d), List.of());
  }

  void bool(String variable, Consumer<Boolean> setter) {
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

  void duration(String variable, Consumer<Duration> setter) {
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
  <T> void list(String variable, ItemParser<T> parse, Consumer<List<T>> setter) {
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

  static Status.Code statusCode(String item, String variable, int position) {
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
  interface ItemParser<T> {
    T parse(String item, String variable, int position);
  }
}
