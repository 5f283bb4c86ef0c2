package org.shakenfist.sfdb.examples;

import com.google.gson.GsonBuilder;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
 * 5 % floor, with each instance's state (connectivity, health, in or out of the rotation) and the p50/p99
 * latency of the calls it served. Exit codes: 0 pass, 1 fail, 2 usage or configuration error (bad hosts
 * value, an instance that is unreachable, a metrics port that does not answer); errors are one line on
 * stderr, and with {@code --json} also a JSON document ({@code "verdict": "error"}) on stdout.
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
    OneLineLogs.install();
    System.exit(run(args, System.getenv(), System.out, System.err));
  }

  /** Runs the check; returns the exit code. */
  static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      boolean json = List.of(args).contains("--json");
      error(json, out, err, e.getMessage());
      if (!json) {
        err.println(USAGE_TEXT);
      }
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
        error(options.json, out, err, "configuration error: " + e.getMessage());
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
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    registry.config().meterFilter(new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig c) {
        return id.getName().equals(DatabaseChannel.ATTEMPT_DURATION_METER)
            ? DistributionStatisticConfig.builder().percentiles(0.5, 0.99).build().merge(c) : c;
      }
    });
    try (DatabaseChannel channel = DatabaseChannels.fromConfig(config.toBuilder().meterRegistry(registry).build())) {
      try {
        channel.awaitReady(config.hosts().size(), options.timeout);
      } catch (TimeoutException e) {
        error(options.json, out, err, "not every instance is reachable and SERVING: " + e.getMessage());
        return USAGE;
      }
      CounterSource.Snapshot preflight = source.scrape();
      if (!preflight.errors().isEmpty()) {
        List<String> problems = new ArrayList<>();
        preflight.errors().forEach((instance, why) -> problems.add("metrics of " + instance + " do not answer: " + why));
        error(options.json, out, err, String.join("; ", problems));
        return USAGE;
      }
      var stub = DatabaseServiceGrpc.newBlockingStub(channel);
      FanOutResult result = FanOut.of(source, () -> stub.getClusterConfig(ClusterConfigRequest.getDefaultInstance()))
          .withCalls(options.calls)
          .withFloor(options.floor)
          .withProgress(progress(options.calls, err))
          .run();
      Map<String, TierReport.InstanceView> views = TierReport.views(channel, registry);
      out.print(options.json ? TierReport.json(result, config, views) : result.report() + TierReport.table(result, views));
      return result.passed() ? PASS : FAIL;
    } catch (IllegalStateException e) {
      error(options.json, out, err, e.getMessage());
      return USAGE;
    }
  }

  /** An error in one line on stderr; with --json also as a JSON document on stdout. */
  private static void error(boolean json, PrintStream out, PrintStream err, String message) {
    String line = message.replaceAll("\\s*\\R\\s*", "; ").strip();
    err.println("tier-check: " + line);
    if (json) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("verdict", "error");
      doc.put("exitCode", USAGE);
      doc.put("error", line);
      out.print(new GsonBuilder().setPrettyPrinting().create().toJson(doc) + "\n");
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
