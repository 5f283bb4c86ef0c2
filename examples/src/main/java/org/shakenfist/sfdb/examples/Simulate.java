package org.shakenfist.sfdb.examples;

import java.io.PrintStream;
import java.util.Map;
import org.shakenfist.sfdb.client.DatabaseConfigException;
import org.shakenfist.sfdb.testkit.sim.Scenarios;
import org.shakenfist.sfdb.testkit.sim.SimResult;

/**
 * Runs one of the testkit's balancer simulations (the SDK's own policies in virtual time):
 * {@code java -cp examples/target/sfdb-examples.jar org.shakenfist.sfdb.examples.Simulate --scenario slow-middle
 * --policy least_request --instances 4 --seed 7 [--json]}. Exit 0, or 2 with one line naming a bad argument.
 */
public final class Simulate {
  private static final String USAGE = "usage: Simulate --scenario NAME --policy POLICY --instances N --seed S [--json]"
      + " (scenarios: " + String.join(", ", Scenarios.NAMES) + ")";

  private Simulate() {}

  public static void main(String[] args) {
    OneLineLogs.install();
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    Map<String, String> opts = new java.util.LinkedHashMap<>(Map.of("--scenario", "steady", "--policy", "round_robin",
        "--instances", "3", "--seed", "1"));
    boolean json = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--json")) {
        json = true;
      } else if (opts.containsKey(a) && i + 1 < args.length) {
        opts.put(a, args[++i]);
      } else {
        err.println("simulate: unknown or incomplete argument \"" + a + "\"; " + USAGE);
        return 2;
      }
    }
    int instances;
    long seed;
    try {
      instances = Integer.parseInt(opts.get("--instances"));
    } catch (NumberFormatException e) {
      err.println("simulate: --instances \"" + opts.get("--instances") + "\" is not a whole number");
      return 2;
    }
    try {
      seed = Long.parseLong(opts.get("--seed"));
    } catch (NumberFormatException e) {
      err.println("simulate: --seed \"" + opts.get("--seed") + "\" is not a whole number");
      return 2;
    }
    SimResult r;
    try {
      r = Scenarios.build(opts.get("--scenario"), opts.get("--policy"), instances, seed).run();
    } catch (DatabaseConfigException e) {
      err.println("simulate: --policy: " + e.getMessage());
      return 2;
    } catch (IllegalArgumentException e) {
      err.println("simulate: " + e.getMessage());
      return 2;
    }
    out.print(json ? r.json() + "\n" : r.table());
    return 0;
  }
}
