package org.shakenfist.sfdb.examples;

import com.google.gson.GsonBuilder;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.IntConsumer;
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.DatabaseChannels;
import org.shakenfist.sfdb.client.DatabaseConfigException;
import org.shakenfist.sfdb.client.Transport;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;
import org.shakenfist.sfdb.testkit.CounterSource;
import org.shakenfist.sfdb.testkit.DatabaseTier;
import org.shakenfist.sfdb.testkit.FanOut;
import org.shakenfist.sfdb.testkit.FanOutResult;

/**
 * tier-check: proves that every sf-database gateway instance of a tier really serves traffic.
 *
 * <p>Reads {@code SHAKENFIST_MARIADB_GATEWAY_HOSTS} (and the other {@code SHAKENFIST_*} variables); when it is
 * unset, starts an embedded 2-instance tier on loopback sockets and checks that. Builds the channel with
 * {@link DatabaseChannels}, waits until every instance is READY and SERVING, scrapes each instance's
 * {@code /metrics}, drives K calls, scrapes again, and prints the per-instance table and the verdict of the
 * 5 % floor. Exit codes: 0 pass, 1 fail, 2 usage or configuration error (bad hosts value, an instance that
 * is unreachable, a metrics port that does not answer).
 *
 * <pre>
 * java -jar examples/target/sfdb-examples.jar [--calls K] [--floor F] [--timeout D] [--json]
 * </pre>
 */
public final class TierCheck {
  static final int PASS = 0;
  static final int FAIL = 1;
  static final int USAGE = 2;

  private static final String USAGE_TEXT = """
      usage: tier-check [--calls K] [--floor F] [--timeout D] [--json]
        --calls K     calls to drive (default 100)
        --floor F     minimum share per instance, 0..1 (default 0.05)
        --timeout D   how long to wait for every instance to be READY and SERVING (default 30s)
        --json        print the result as JSON
      Reads SHAKENFIST_MARIADB_GATEWAY_HOSTS (unset: an embedded 2-instance loopback tier),
      SHAKENFIST_MARIADB_GATEWAY_PORT and SHAKENFIST_MARIADB_GATEWAY_METRICS_PORT.
      Exit codes: 0 pass, 1 fail, 2 usage or configuration error.""";

  private TierCheck() {}

  public static void main(String[] args) {
    System.exit(run(args, System.getenv(), System.out, System.err));
  }

  /** Runs the check; returns the exit code. */
  static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("tier-check: " + e.getMessage());
      err.println(USAGE_TEXT);
      return USAGE;
    }
    if (options.help) {
      out.println(USAGE_TEXT);
      return PASS;
    }
    DatabaseTier embedded = null;
    try {
      Map<String, String> effective = new HashMap<>(env);
      Map<String, URI> metrics = null;
      if (env.get(DatabaseChannelConfig.ENV_HOSTS) == null) {
        embedded = DatabaseTier.builder().instances(2).transport(Transport.NETTY).bindAddress("127.0.0.1")
            .namePrefix("embedded").start();
        effective.put(DatabaseChannelConfig.ENV_HOSTS, embedded.hostsString());
        metrics = new LinkedHashMap<>();
        for (var instance : embedded.instances()) {
          metrics.put(instance.gatewayHost().toString(), instance.metricsUri());
        }
        err.println("tier-check: " + DatabaseChannelConfig.ENV_HOSTS + " is not set; checking an embedded 2-instance "
            + "tier on loopback: " + embedded.hostsString());
      }
      DatabaseChannelConfig config;
      try {
        config = DatabaseChannelConfig.builder().env(effective).callerDaemon("ctl").build();
      } catch (DatabaseConfigException e) {
        err.println("tier-check: configuration error: " + e.getMessage());
        return USAGE;
      }
      CounterSource source = metrics != null ? CounterSource.prometheus(metrics)
          : CounterSource.prometheus(config.hosts(), config.metricsPort());
      return check(config, source, options, out, err);
    } finally {
      if (embedded != null) {
        embedded.close();
      }
    }
  }

  private static int check(DatabaseChannelConfig config, CounterSource source, Options options, PrintStream out,
      PrintStream err) {
    try (DatabaseChannel channel = DatabaseChannels.fromConfig(config)) {
      try {
        channel.awaitReady(config.hosts().size(), options.timeout);
      } catch (TimeoutException e) {
        err.println("tier-check: not every instance is reachable and SERVING: " + e.getMessage());
        return USAGE;
      }
      CounterSource.Snapshot preflight = source.scrape();
      if (!preflight.errors().isEmpty()) {
        preflight.errors().forEach((instance, why) ->
            err.println("tier-check: metrics of " + instance + " do not answer: " + why));
        return USAGE;
      }
      var stub = DatabaseServiceGrpc.newBlockingStub(channel);
      FanOutResult result = FanOut.of(source, () -> stub.getClusterConfig(ClusterConfigRequest.getDefaultInstance()))
          .withCalls(options.calls)
          .withFloor(options.floor)
          .withProgress(progress(options.calls, err))
          .run();
      out.print(options.json ? json(result, config) : result.report());
      return result.passed() ? PASS : FAIL;
    } catch (IllegalStateException e) {
      err.println("tier-check: " + e.getMessage());
      return USAGE;
    }
  }

  /** A progress line on stderr for large runs: every 10 %. */
  private static IntConsumer progress(int calls, PrintStream err) {
    if (calls < 1000) {
      return n -> { };
    }
    int step = calls / 10;
    return n -> {
      if (n % step == 0 || n == calls) {
        err.printf(Locale.ROOT, "tier-check: %d/%d calls (%d%%)%n", n, calls, n * 100L / calls);
      }
    };
  }

  static String json(FanOutResult r, DatabaseChannelConfig config) {
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
      rows.add(row);
    }
    doc.put("instances", rows);
    doc.put("problems", r.problems());
    if (r.skipReason() != null) {
      doc.put("skipReason", r.skipReason());
    }
    return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(doc) + "\n";
  }

  private static final class Options {
    int calls = FanOut.DEFAULT_CALLS;
    double floor = FanOut.DEFAULT_FLOOR;
    Duration timeout = Duration.ofSeconds(30);
    boolean json;
    boolean help;

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--json" -> o.json = true;
          case "-h", "--help" -> o.help = true;
          case "--calls" -> o.calls = positiveInt(a, value(args, ++i, a));
          case "--floor" -> o.floor = floor(value(args, ++i, a));
          case "--timeout" -> o.timeout = duration(value(args, ++i, a));
          default -> throw new IllegalArgumentException("unknown option " + a);
        }
      }
      return o;
    }

    private static String value(String[] args, int i, String option) {
      if (i >= args.length) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return args[i];
    }

    private static int positiveInt(String option, String v) {
      try {
        int n = Integer.parseInt(v);
        if (n >= 1) {
          return n;
        }
      } catch (NumberFormatException ignored) {
        // fall through to the error
      }
      throw new IllegalArgumentException(option + " must be a whole number >= 1, got \"" + v + "\"");
    }

    private static double floor(String v) {
      try {
        double f = Double.parseDouble(v);
        if (f >= 0 && f < 1) {
          return f;
        }
      } catch (NumberFormatException ignored) {
        // fall through to the error
      }
      throw new IllegalArgumentException("--floor must be a number in [0, 1), got \"" + v + "\"");
    }

    private static Duration duration(String v) {
      try {
        return DatabaseChannelConfig.parseDuration("--timeout", v); // the same syntax as the variables
      } catch (DatabaseConfigException e) {
        throw new IllegalArgumentException("--timeout must look like 500ms, 30s or 2m, got \"" + v + "\"");
      }
    }
  }
}
