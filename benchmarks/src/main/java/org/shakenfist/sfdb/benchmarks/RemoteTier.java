package org.shakenfist.sfdb.benchmarks;

import org.shakenfist.sfdb.client.Transport;
import org.shakenfist.sfdb.testkit.DatabaseTier;

/**
 * Runs N fake gateway instances on 127.0.0.1 in this (separate) JVM for the {@code remote} benchmark setups
 * (arguments: N, optionally the index of an instance to slow down and by how many ms); prints
 * {@code hosts <list>} and serves until its standard input ends.
 */
public final class RemoteTier {
  private RemoteTier() {}

  public static void main(String[] args) throws Exception {
    int n = Integer.parseInt(args[0]);
    int slowIndex = args.length > 1 ? Integer.parseInt(args[1]) : -1;
    int slowMillis = args.length > 2 ? Integer.parseInt(args[2]) : 0;
    try (DatabaseTier tier = DatabaseTier.builder().instances(n).transport(Transport.NETTY).bindAddress("127.0.0.1")
        .metricsHttp(false).recordLimit(0).start()) {
      if (slowIndex >= 0) {
        tier.instance(slowIndex).delay(java.time.Duration.ofMillis(slowMillis));
      }
      System.out.println("hosts " + tier.hostsString());
      System.out.flush();
      while (System.in.read() >= 0) {
        // serve until the benchmark closes our input
      }
    }
  }
}
