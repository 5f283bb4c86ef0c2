package org.shakenfist.sfdb.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.DatabaseConfigException;
import org.shakenfist.sfdb.testkit.sim.Scenarios;
import org.shakenfist.sfdb.testkit.sim.SimResult;

/**
 * Runs one of the testkit's balancer simulations (the SDK's own policies in virtual time):
 * {@code java -cp examples/target/sfdb-examples.jar org.shakenfist.sfdb.examples.Simulate --scenario slow-middle
 * --policy peak_ewma --instances 4 --seed 7 [--callers C] [--clients K] [--reconnect-jitter J] [--retries] [--json]
 * [--svg FILE]}. {@code --callers}: a closed loop of C callers instead of the scenario's open loop; {@code --clients}:
 * a fleet of K client processes, a channel each (the result adds each instance's health checks per second,
 * connections and connection attempts); {@code --reconnect-jitter}: grpc's reconnect jitter (default 0.2; 0: a
 * fleet reconnecting in step); {@code --retries}: the channel retries every call
 * as {@code SHAKENFIST_RETRY_METHODS=shakenfist.protos.DatabaseService} would (with the default attempts, backoff
 * and budget); {@code --svg}: also writes the share timeline. Exit 0, or 2 with one line naming a bad argument.
 */
public final class Simulate {
  private static final String USAGE = "usage: Simulate --scenario NAME --policy POLICY --instances N --seed S"
      + " [--callers C] [--clients K] [--reconnect-jitter J] [--retries] [--json] [--svg FILE]"
      + " (scenarios: " + String.join(", ", Scenarios.NAMES) + ")";

  private Simulate() {}

  public static void main(String[] args) {
    OneLineLogs.install();
    System.exit(run(args, System.out, System.err));
  }

  /** The option's value parsed, or null after one line naming the option and its value. */
  private static <T> T parsed(Map<String, String> opts, String option, java.util.function.Function<String, T> parse,
      PrintStream err) {
    try {
      return parse.apply(opts.get(option));
    } catch (NumberFormatException e) {
      err.println("simulate: " + option + " \"" + opts.get(option) + "\" is not a whole number");
      return null;
    }
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    Map<String, String> opts = new java.util.LinkedHashMap<>(Map.of("--scenario", "steady", "--policy",
        DatabaseChannelConfig.builder().hosts("sim").build().loadBalancingPolicy(), "--instances", "3", "--seed", "1",
        "--callers", "0", "--svg", ""));
    opts.put("--clients", "1");
    opts.put("--reconnect-jitter", "0.2");
    boolean json = false;
    boolean retries = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--json")) {
        json = true;
      } else if (a.equals("--retries")) {
        retries = true;
      } else if (opts.containsKey(a) && i + 1 < args.length) {
        opts.put(a, args[++i]);
      } else {
        err.println("simulate: unknown or incomplete argument \"" + a + "\"; " + USAGE);
        return 2;
      }
    }
    Integer instances = parsed(opts, "--instances", Integer::valueOf, err);
    Long seed = instances == null ? null : parsed(opts, "--seed", Long::valueOf, err);
    Integer callers = seed == null ? null : parsed(opts, "--callers", Integer::valueOf, err);
    Integer clients = callers == null ? null : parsed(opts, "--clients", Integer::valueOf, err);
    if (clients == null) { // one line, naming the first bad number, was printed
      return 2;
    }
    double jitter;
    try {
      jitter = Double.parseDouble(opts.get("--reconnect-jitter"));
    } catch (NumberFormatException e) {
      err.println("simulate: --reconnect-jitter \"" + opts.get("--reconnect-jitter") + "\" is not a number");
      return 2;
    }
    if (callers < 0) {
      err.println("simulate: --callers " + callers + " is negative");
      return 2;
    }
    boolean retried = retries;
    SimResult r;
    try {
      r = Scenarios.build(opts.get("--scenario"), instances, seed, b -> {
        var channel = DatabaseChannelConfig.builder().hosts("sim").loadBalancingPolicy(opts.get("--policy"));
        if (retried) {
          channel.retryMethods("shakenfist.protos.DatabaseService");
        }
        b.channel(channel.build());
        if (callers > 0) {
          b.closedLoop(callers);
        }
        b.clients(clients).reconnectJitter(jitter);
      }).run();
    } catch (DatabaseConfigException e) {
      err.println("simulate: --policy: " + e.getMessage());
      return 2;
    } catch (IllegalArgumentException e) {
      err.println("simulate: " + e.getMessage());
      return 2;
    }
    if (!opts.get("--svg").isEmpty()) {
      try {
        Files.writeString(Path.of(opts.get("--svg")), r.svg());
      } catch (IOException e) {
        err.println("simulate: --svg " + opts.get("--svg") + ": cannot write (" + e.getMessage() + ")");
        return 2;
      }
    }
    out.print(json ? r.json() + "\n" : r.table());
    return 0;
  }
}
