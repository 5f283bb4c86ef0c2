package org.shakenfist.sfdb.testkit;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.shakenfist.sfdb.testkit.internal.CounterNames;
import org.shakenfist.sfdb.testkit.internal.PrometheusText;

/**
 * One instance's counters, as the real gateway keeps them: {@code database_<op>_total} (upstream's names, see
 * {@link CounterNames}) and {@code database_requests_total{operation,caller_daemon}}, in a Prometheus registry
 * that each (re)start replaces (a new process), and the optional HTTP {@code /metrics} endpoint serving it.
 */
final class InstanceMetrics {
  private volatile PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, Counter> opCounters = new ConcurrentHashMap<>();
  private final Map<String, Counter> requestCounters = new ConcurrentHashMap<>();
  private volatile HttpServer http;

  /** Fresh counters (a restart). */
  void reset() {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    opCounters.clear();
    requestCounters.clear();
  }

  /** Counts one call of {@code rpc} from {@code callerDaemon} (already mapped to the gateway's allow-list). */
  void count(String rpc, String callerDaemon) {
    PrometheusMeterRegistry r = registry;
    String op = CounterNames.operation(rpc);
    opCounters.computeIfAbsent(op, o -> Counter.builder("database." + o)
        .description("DatabaseService." + rpc + " calls").register(r)).increment();
    requestCounters.computeIfAbsent(rpc + "\n" + callerDaemon, k -> Counter.builder("database.requests")
        .description("DatabaseService calls by operation and caller")
        .tag("operation", rpc).tag("caller_daemon", callerDaemon).register(r)).increment();
  }

  String scrape() {
    return registry.scrape();
  }

  /** Every {@code database_*_total} series, keyed as a scrape of {@code /metrics} would be. */
  Map<String, Double> counters() {
    Map<String, Double> out = new TreeMap<>();
    opCounters.forEach((op, c) -> out.put("database_" + op + "_total", c.count()));
    requestCounters.values().forEach(c -> out.put(PrometheusText.seriesKey("database_requests_total",
        Map.of("operation", c.getId().getTag("operation"), "caller_daemon", c.getId().getTag("caller_daemon"))),
        c.count()));
    return out;
  }

  /** Serves {@code /metrics} on {@code bind:port} (0: a free port); returns the port. */
  int startHttp(String bind, int port) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(bind, port), 0);
    server.createContext("/metrics", exchange -> {
      byte[] body = scrape().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    http = server;
    return server.getAddress().getPort();
  }

  void stopHttp() {
    HttpServer server = http;
    if (server != null) {
      server.stop(0);
      http = null;
    }
  }
}
