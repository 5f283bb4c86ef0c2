package org.shakenfist.sfdb.testkit.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Internal helper, not API: a small parser for the Prometheus text exposition format (what an sf-database gateway serves on
 * {@code :13006/metrics}). It reads samples only; {@code #} lines are skipped.
 *
 * <pre>{@code
 * Map<String, Double> all = PrometheusText.parse(body);
 * // {database_get_cluster_config_total=42.0, database_requests_total{caller_daemon="net",operation="GetClusterConfig"}=42.0}
 * double calls = PrometheusText.sumOperations(PrometheusText.databaseCounters(all));
 * }</pre>
 *
 * <p>Series keys are the metric name, followed for labelled samples by the labels sorted by name:
 * {@code name{a="x",b="y"}}.
 */
public final class PrometheusText {
  private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern OPERATION_COUNTER = Pattern.compile("database_[a-z0-9_]+_total");
  /** The labelled total that would double-count the per-operation counters. */
  public static final String REQUESTS_TOTAL = "database_requests_total";

  private PrometheusText() {}

  /**
   * Parses every sample.
   *
   * @throws IllegalArgumentException naming the line number for a malformed sample line
   */
  public static Map<String, Double> parse(String text) {
    Map<String, Double> out = new LinkedHashMap<>();
    String[] lines = text.split("\n", -1);
    for (int n = 0; n < lines.length; n++) {
      String line = lines[n].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      try {
        parseLine(line, out);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("metrics line " + (n + 1) + " \"" + line + "\": " + e.getMessage(), e);
      }
    }
    return out;
  }

  /** The {@code database_*_total} series, labelled ones included. */
  public static Map<String, Double> databaseCounters(Map<String, Double> samples) {
    Map<String, Double> out = new TreeMap<>();
    samples.forEach((k, v) -> {
      String name = k.indexOf('{') < 0 ? k : k.substring(0, k.indexOf('{'));
      if (OPERATION_COUNTER.matcher(name).matches()) {
        out.put(k, v);
      }
    });
    return out;
  }

  /**
   * Calls an instance served: the sum of its unlabelled {@code database_<op>_total} counters
   * ({@code database_requests_total} is left out: it counts the same calls again by caller).
   */
  public static double sumOperations(Map<String, Double> samples) {
    double sum = 0;
    for (Map.Entry<String, Double> e : samples.entrySet()) {
      String k = e.getKey();
      if (k.indexOf('{') < 0 && !REQUESTS_TOTAL.equals(k) && OPERATION_COUNTER.matcher(k).matches()) {
        sum += e.getValue();
      }
    }
    return sum;
  }

  /** The key of a series: the name, then for labelled series the labels sorted by name. */
  public static String seriesKey(String name, Map<String, String> labels) {
    if (labels.isEmpty()) {
      return name;
    }
    StringBuilder b = new StringBuilder(name).append('{');
    new TreeMap<>(labels).forEach((k, v) -> b.append(k).append("=\"").append(escape(v)).append("\","));
    b.setLength(b.length() - 1);
    return b.append('}').toString();
  }

  private static void parseLine(String line, Map<String, Double> out) {
    int i = 0;
    while (i < line.length() && line.charAt(i) != '{' && !Character.isWhitespace(line.charAt(i))) {
      i++;
    }
    String name = line.substring(0, i);
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("bad metric name \"" + name + "\"");
    }
    String key = name;
    if (i < line.length() && line.charAt(i) == '{') {
      TreeMap<String, String> labels = new TreeMap<>();
      i = parseLabels(line, i + 1, labels);
      key = seriesKey(name, labels);
    }
    String[] rest = line.substring(i).strip().split("\\s+");
    if (rest.length < 1 || rest.length > 2 || rest[0].isEmpty()) {
      throw new IllegalArgumentException("expected a value and an optional timestamp");
    }
    out.put(key, parseValue(rest[0]));
  }

  private static int parseLabels(String line, int i, Map<String, String> labels) {
    while (true) {
      while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == ',')) {
        i++;
      }
      if (i >= line.length()) {
        throw new IllegalArgumentException("unterminated label set");
      }
      if (line.charAt(i) == '}') {
        return i + 1;
      }
      int eq = line.indexOf('=', i);
      if (eq < 0) {
        throw new IllegalArgumentException("label without '='");
      }
      String label = line.substring(i, eq).strip();
      if (!NAME.matcher(label).matches()) {
        throw new IllegalArgumentException("bad label name \"" + label + "\"");
      }
      i = eq + 1;
      if (i >= line.length() || line.charAt(i) != '"') {
        throw new IllegalArgumentException("label value must be quoted");
      }
      StringBuilder value = new StringBuilder();
      i++;
      while (true) {
        if (i >= line.length()) {
          throw new IllegalArgumentException("unterminated label value");
        }
        char c = line.charAt(i++);
        if (c == '"') {
          break;
        }
        if (c == '\\' && i < line.length()) {
          char e = line.charAt(i++);
          value.append(e == 'n' ? '\n' : e);
        } else {
          value.append(c);
        }
      }
      labels.put(label, value.toString());
    }
  }

  private static double parseValue(String v) {
    switch (v) {
      case "+Inf", "Inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf":
        return Double.NEGATIVE_INFINITY;
      case "NaN":
        return Double.NaN;
      default:
        try {
          return Double.parseDouble(v);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("bad value \"" + v + "\"");
        }
    }
  }

  private static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
