package org.shakenfist.sfdb.client;

import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text syntax of {@code SHAKENFIST_*} values (durations, whole numbers, decimals, booleans, paths,
 * comma-separated lists via {@link CommaList}); a syntax error names the variable. Range and consistency checks
 * are the settings' own (see {@link Setting}).
 */
final class Parsers {
  private static final Pattern DURATION_SYNTAX = Pattern.compile("([0-9]{1,9})(ms|s|m)?");

  private Parsers() {}

  /** A value parsed from a variable, with the 1-based position of each list item in the text. */
  record Parsed<T>(T value, List<Integer> positions) {}

  /** Text to value; null for text that leaves the setting alone (a blank value where blank means unset). */
  @FunctionalInterface
  interface Parser<T> {
    Parsed<T> parse(String variable, String text);
  }

  @FunctionalInterface
  interface ItemParser<T> {
    T parse(String item, String variable, int position);
  }

  static final Parser<String> NON_BLANK = (variable, text) -> text.isBlank() ? null : whole(text);

  static final Parser<Path> PATH = (variable, text) -> text.isBlank() ? null : whole(Path.of(text.strip()));

  static final Parser<Integer> WHOLE = (variable, text) -> {
    long n;
    try {
      n = Long.parseLong(text.strip());
    } catch (NumberFormatException e) {
      throw new DatabaseConfigException(variable, text, "is not a whole number");
    }
    // out of int range: hand the check a value its range refuses, so its message is the one shown
    return whole(n == (int) n ? (int) n : Integer.MIN_VALUE);
  };

  static final Parser<Double> DECIMAL = (variable, text) -> {
    try {
      return whole(Double.parseDouble(text.strip()));
    } catch (NumberFormatException e) {
      throw new DatabaseConfigException(variable, text, "is not a number");
    }
  };

  static final Parser<Boolean> BOOLEAN = (variable, text) -> whole(bool(variable, text));

  static final Parser<Duration> DURATION = (variable, text) -> whole(parseDuration(variable, text));

  /** {@code true/on/yes/1} or {@code false/off/no/0}, any case. */
  static boolean bool(String variable, String text) {
    return switch (text.strip().toLowerCase(Locale.ROOT)) {
      case "true", "on", "yes", "1" -> true;
      case "false", "off", "no", "0" -> false;
      default -> throw new DatabaseConfigException(variable, text, "expected true or false");
    };
  }

  /** {@code 500ms}, {@code 10s}, {@code 2m} or a bare number of seconds. */
  static Duration parseDuration(String name, String value) {
    Matcher m = DURATION_SYNTAX.matcher(value.strip().toLowerCase(Locale.ROOT));
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

  /** The shortest text {@link #parseDuration} reads back as {@code d} (whole milliseconds). */
  static String show(Duration d) {
    long ms = d.toMillis();
    return ms % 60_000 == 0 && ms > 0 ? ms / 60_000 + "m" : ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
  }

  /** A comma-separated list, each item parsed. */
  static <T> Parser<List<T>> list(ItemParser<T> item) {
    return (variable, text) -> {
      List<T> items = new ArrayList<>();
      List<Integer> positions = new ArrayList<>();
      CommaList.forEachItem(text, (value, position) -> {
        items.add(item.parse(value, variable, position));
        positions.add(position);
      });
      return new Parsed<>(items, positions);
    };
  }

  static Status.Code statusCode(String item, String variable, int position) {
    try {
      return Status.Code.valueOf(item.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new DatabaseConfigException(variable, item, position,
          "not a gRPC error status code (e.g. UNAVAILABLE, UNKNOWN, DEADLINE_EXCEEDED)");
    }
  }

  /** A parser of a whole value by {@code f(variable, text)}. */
  static <T> Parser<T> of(java.util.function.BiFunction<String, String, T> f) {
    return (variable, text) -> whole(f.apply(variable, text));
  }

  private static <T> Parsed<T> whole(T value) {
    return new Parsed<>(value, List.of());
  }
}
