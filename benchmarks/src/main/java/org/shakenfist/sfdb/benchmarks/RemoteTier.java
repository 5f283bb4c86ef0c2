package org.shakenfist.sfdb.benchmarks;

import org.shakenfist.sfdb.client.Transport;
import org.shakenfist.sfdb.testkit.DatabaseTier;

/**
 * Runs N fake gateway instances on 127.0.0.1 in this (separate) JVM for the {@code remote} benchmark setups;
 * prints {@code hosts <list>} and serves until its standard input ends.
 */
public final class RemoteTier {
  private RemoteTier() {}

  public static void main(String[] args) throws Exception {
    int n = Integer.parseInt(args[0]);
    try (DatabaseTier tier = DatabaseTier.builder().instances(n).transport(Transport.NETTY).bindAddress("127.0.0.1")
        .metricsHttp(false).start()) {
      System.out.println("hosts " + tier.hostsString());
      System.out.flush();
      while (System.in.read() >= 0) {
        // serve until the benchmark closes our input
      }
    }
  }
}
