package org.shakenfist.sfdb.examples;

import com.google.gson.GsonBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.EndpointState;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;
import org.shakenfist.sfdb.testkit.FanOutResult;

/** What the tier check prints: each instance's share, state, health and latency, as a table or as JSON. */
final class TierReport {
  private static final String DRIVEN_METHOD = DatabaseServiceGrpc.getGetClusterConfigMethod().getFullMethodName();

  private TierReport() {}

  /** What the channel saw of one instance: its state now, and the latency of the calls it served. */
  record InstanceView(String connectivity, String health, boolean inRotation, double p50Millis, double p99Millis) {}

  /** Per configured instance (as the fan-out result names them): state and GetClusterConfig latency. */
  static Map<String, InstanceView> views(DatabaseChannel channel, MeterRegistry registry) {
    Map<String, InstanceView> out = new LinkedHashMap<>();
    for (EndpointState e : channel.endpoints()) {
      Map<Double, Double> worst = new HashMap<>(); // percentile -> the largest over the instance's addresses
      for (String address : e.addresses()) {
        Timer t = registry.find(DatabaseChannel.ATTEMPT_DURATION_METER).tag("endpoint", address)
            .tag("method", DRIVEN_METHOD).tag("status", "OK").timer();
        if (t != null) {
          for (ValueAtPercentile v : t.takeSnapshot().percentileValues()) {
            worst.merge(v.percentile(), v.value(TimeUnit.MILLISECONDS), Math::max);
          }
        }
      }
      out.put(e.host().toString(), new InstanceView(e.connectivity().name(), e.health().name(), e.inRotation(),
          worst.getOrDefault(0.5, Double.NaN), worst.getOrDefault(0.99, Double.NaN)));
    }
    return out;
  }

  static String table(FanOutResult r, Map<String, InstanceView> views) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%-28s %8s  %-18s %-12s %9s %9s%n", "instance", "share", "state", "health",
        "p50 ms", "p99 ms"));
    for (String i : r.instances()) {
      InstanceView v = views.get(i);
      b.append(String.format(Locale.ROOT, "%-28s %7.1f%%  %-18s %-12s %9s %9s%n", i, 100 * r.share(i),
          v == null ? "?" : v.connectivity() + (v.inRotation() ? "" : " (out)"), v == null ? "?" : v.health(),
          v == null ? "" : millis(v.p50Millis()), v == null ? "" : millis(v.p99Millis())));
    }
    return b.toString();
  }

  private static String millis(double ms) {
    return Double.isNaN(ms) ? "n/a" : String.format(Locale.ROOT, "%.2f", ms);
  }

  static String json(FanOutResult r, DatabaseChannelConfig config, Map<String, InstanceView> views) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("verdict", r.skipped() ? "skipped" : r.passed() ? "pass" : "fail");
    doc.put("hosts", config.hostsString());
    doc.put("calls", r.calls());
    doc.put("failedCalls", r.failedCalls());
    doc.put("counted", r.total());
    doc.put("floor", r.floor());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (String i : r.instances()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("instance", i);
      row.put("delta", r.delta().getOrDefault(i, 0L));
      row.put("share", r.share(i));
      row.put("before", r.before().get(i));
      row.put("after", r.after().get(i));
      InstanceView v = views.get(i);
      if (v != null) {
        row.put("state", v.connectivity());
        row.put("health", v.health());
        row.put("inRotation", v.inRotation());
        row.put("p50Millis", Double.isNaN(v.p50Millis()) ? null : v.p50Millis());
        row.put("p99Millis", Double.isNaN(v.p99Millis()) ? null : v.p99Millis());
      }
      rows.add(row);
    }
    doc.put("instances", rows);
    doc.put("problems", r.problems());
    if (r.skipReason() != null) {
      doc.put("skipReason", r.skipReason());
    }
    return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(doc) + "\n";
  }

}
