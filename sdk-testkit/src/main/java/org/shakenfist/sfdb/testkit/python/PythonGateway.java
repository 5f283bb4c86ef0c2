package org.shakenfist.sfdb.testkit.python;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.shakenfist.sfdb.client.GatewayHost;
import org.shakenfist.sfdb.testkit.internal.CounterNames;
import org.shakenfist.sfdb.testkit.internal.PrometheusText;

/**
 * A Python grpcio stand-in for the real sf-database gateway, run as a subprocess on loopback: 64 worker
 * threads, the real server's keepalive options, a synchronous health servicer for {@code ""} written like
 * grpcio's (the shape whose Watch deadlocks the real server), the counters
 * {@code database_<op>_total} and {@code database_requests_total{operation,caller_daemon}} with the caller
 * allow-list, and a SIGTERM drain (NOT_SERVING, then {@code stop(grace)}). It also counts
 * {@code grpc.health.v1.Health/Watch} calls ({@link #watchCalls()}), so a test can require that nothing
 * opened one.
 *
 * <p>Needs Debian's {@code python3-grpcio}, {@code python3-grpc-tools} and {@code python3-prometheus-client}
 * ({@code /usr/bin/python3}, or the interpreter named by {@code SFDB_PYTHON}). Stubs are generated once per
 * JVM from this project's {@code database.proto} and grpc's {@code health.proto}.
 *
 * <pre>{@code
 * assumeTrue(PythonGateway.unavailableReason().isEmpty(), () -> PythonGateway.unavailableReason().get());
 * try (PythonGateway a = PythonGateway.start(); PythonGateway b = PythonGateway.start()) {
 *   String hosts = a.gatewayHost() + "," + b.gatewayHost();
 *   ...
 *   b.drain();            // SIGTERM: NOT_SERVING, graceful stop, exit 0
 *   assertEquals(0, a.watchCalls());
 * }
 * }</pre>
 */
public final class PythonGateway implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final ExecutorService READERS = Executors.newCachedThreadPool(
      new ThreadFactoryBuilder().setNameFormat("python-gateway-stdout-%d").setDaemon(true).build());
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Options options;
  private volatile Process process;
  private volatile int port;
  private volatile int metricsPort;
  private volatile Writer control;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private Path log;

  private PythonGateway(Options options) {
    this.options = options;
  }

  /**
   * Empty when the stand-in can run here; otherwise why not (no interpreter, or a Python module missing),
   * for a test's assumption message.
   */
  public static Optional<String> unavailableReason() {
    return StandInFiles.unavailableReason();
  }

  /** Starts a stand-in on 127.0.0.1 with free ports and the real server's settings. */
  public static PythonGateway start() {
    return start(Options.defaults());
  }

  /** Starts a stand-in with the given options; returns once it serves. */
  public static PythonGateway start(Options options) {
    PythonGateway g = new PythonGateway(options);
    g.launch(options.port, options.metricsPort);
    return g;
  }

  private synchronized void launch(int wantPort, int wantMetricsPort) {
    unavailableReason().ifPresent(r -> {
      throw new IllegalStateException(r);
    });
    try {
      Path dir = StandInFiles.generatedDir();
      log = Files.createTempFile(dir, "standin-", ".log");
      List<String> cmd = new ArrayList<>(List.of(StandInFiles.python(), dir.resolve(StandInFiles.SCRIPT).toString(),
          "--gen-dir", dir.toString(), "--bind", options.bind, "--port", String.valueOf(wantPort),
          "--metrics-port", String.valueOf(wantMetricsPort),
          "--grace", String.valueOf(options.grace.toMillis() / 1000.0),
          "--min-ping-interval-ms", String.valueOf(options.minPingIntervalWithoutData.toMillis()),
          "--max-ping-strikes", String.valueOf(options.maxPingStrikes),
          "--hand-written", CounterNames.HAND_WRITTEN.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
              .sorted().collect(java.util.stream.Collectors.joining(","))));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(log.toFile());
      pb.environment().put("PYTHONUNBUFFERED", "1");
      Process p = pb.start();
      lines.clear();
      READERS.execute(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = r.readLine()) != null; ) {
            lines.add(line);
          }
        } catch (IOException e) {
          // the process went away
        }
      });
      String ready = lines.poll(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      if (ready == null || !ready.startsWith("READY ")) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        throw new IllegalStateException("Python gateway stand-in did not start on " + options.bind + ":" + wantPort
            + " (" + (ready == null ? "no READY line within " + START_TIMEOUT : ready) + "); log: " + tail(log));
      }
      Map<String, String> fields = new HashMap<>();
      for (String kv : ready.substring("READY ".length()).split(" ")) {
        int eq = kv.indexOf('=');
        fields.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
      port = Integer.parseInt(fields.get("port"));
      metricsPort = Integer.parseInt(fields.get("metrics_port"));
      control = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
      process = p;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the Python gateway stand-in", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the Python gateway stand-in", e);
    }
  }

  /** This instance as a {@code SHAKENFIST_MARIADB_GATEWAY_HOSTS} item. */
  public GatewayHost gatewayHost() {
    return GatewayHost.of(options.bind, port);
  }

  public int port() {
    return port;
  }

  public int metricsPort() {
    return metricsPort;
  }

  /** {@code http://<bind>:<metricsPort>/metrics}. */
  public URI metricsUri() {
    return URI.create("http://" + gatewayHost().uriHost() + ":" + metricsPort + "/metrics");
  }

  /** True while the process runs. */
  public boolean isRunning() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /** Flips health of {@code ""} like the real server's MariaDB loop; returns once the server applied it. */
  public synchronized void setServing(boolean serving) {
    String command = serving ? "serving" : "not_serving";
    try {
      control.write(command + "\n");
      control.flush();
      String ack = lines.poll(10, TimeUnit.SECONDS);
      if (!("OK " + command).equals(ack)) {
        throw new IllegalStateException("stand-in on port " + port + " did not acknowledge " + command + ": " + ack);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("stand-in on port " + port + " is not running", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** SIGKILL: the process dies at once, its connections drop. */
  public synchronized void kill() {
    Process p = process;
    if (p != null) {
      p.destroyForcibly();
      waitFor(p, Duration.ofSeconds(10));
    }
  }

  /**
   * SIGTERM, as systemd stops the real daemon: NOT_SERVING, then {@code server.stop(grace)}; waits for the
   * process to exit and returns its exit code (0 after a clean drain).
   */
  public synchronized int drain() {
    Process p = process;
    if (p == null || !p.isAlive()) {
      return p == null ? -1 : p.exitValue();
    }
    p.destroy();
    if (!waitFor(p, options.grace.plusSeconds(10))) {
      p.destroyForcibly();
      waitFor(p, Duration.ofSeconds(10));
      throw new IllegalStateException("stand-in on port " + port + " did not exit within its grace after SIGTERM");
    }
    return p.exitValue();
  }

  /** Starts a new process on the same ports (after {@link #kill()} or {@link #drain()}; kills a running one). */
  public synchronized void restart() {
    kill();
    launch(port, metricsPort);
  }

  /** {@code grpc.health.v1.Health/Watch} calls this process received (from its own /metrics). */
  public long watchCalls() {
    return (long) scrape().getOrDefault("standin_health_watch_total", 0.0).doubleValue();
  }

  /** {@code grpc.health.v1.Health/Check} calls this process received. */
  public long checkCalls() {
    return (long) scrape().getOrDefault("standin_health_check_total", 0.0).doubleValue();
  }

  /** Every sample of this process's {@code /metrics}. */
  public Map<String, Double> scrape() {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(metricsUri()).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException(metricsUri() + " answered HTTP " + r.statusCode());
      }
      return PrometheusText.parse(r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(metricsUri() + " did not answer", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    kill();
  }

  @Override
  public String toString() {
    return "PythonGateway(" + gatewayHost() + (isRunning() ? ", running" : ", stopped") + ")";
  }

  private static boolean waitFor(Process p, Duration d) {
    try {
      return p.waitFor(d.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static String tail(Path file) {
    try {
      List<String> all = Files.readAllLines(file);
      return String.join("\n", all.subList(Math.max(0, all.size() - 20), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /**
   * Stand-in settings. Defaults are the real server's: bind 127.0.0.1 (loopback only, for tests), free
   * ports, grace 10 s, min ping interval without data 5 s, ping strikes 0.
   *
   * @param bind loopback address to bind
   * @param port gRPC port (0: a free one)
   * @param metricsPort metrics port (0: a free one)
   * @param grace graceful-stop period after SIGTERM
   * @param minPingIntervalWithoutData the server's {@code grpc.http2.min_ping_interval_without_data_ms}
   * @param maxPingStrikes the server's {@code grpc.http2.max_ping_strikes} (0: never GOAWAY for pings)
   */
  public record Options(String bind, int port, int metricsPort, Duration grace, Duration minPingIntervalWithoutData,
      int maxPingStrikes) {
    /** The real server's settings on 127.0.0.1 with free ports. */
    public static Options defaults() {
      return new Options("127.0.0.1", 0, 0, Duration.ofSeconds(10), Duration.ofSeconds(5), 0);
    }

    public Options withGrace(Duration g) {
      return new Options(bind, port, metricsPort, g, minPingIntervalWithoutData, maxPingStrikes);
    }

    /** A stricter keepalive policy than the real server's (to show a client's pings being refused). */
    public Options withPingPolicy(Duration minInterval, int strikes) {
      return new Options(bind, port, metricsPort, grace, minInterval, strikes);
    }
  }
}
