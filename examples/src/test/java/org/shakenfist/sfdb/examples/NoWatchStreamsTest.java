package org.shakenfist.sfdb.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.client.DatabaseChannels;
import org.shakenfist.sfdb.client.Transport;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;
import org.shakenfist.sfdb.testkit.DatabaseTier;
import org.shakenfist.sfdb.testkit.FakeDatabaseInstance;
import org.shakenfist.sfdb.testkit.SharedStore;

/**
 * The real gateway deadlocks when Health/Watch streams open and close concurrently, so no code path of the
 * project may open one unless {@code HEALTH_CHECK=watch} was chosen. Every path runs against fake instances
 * that count Watch calls; a last step with {@code watch} shows the counter does see them.
 */
class NoWatchStreamsTest {
  private static final ClusterConfigRequest CC = ClusterConfigRequest.getDefaultInstance();

  @Test
  void noCodePathOpensAWatchStreamUnlessWatchIsChosen() throws Exception {
    int metricsPort = LoopbackPorts.freePort("127.0.0.2", "127.0.0.3");
    SharedStore store = new SharedStore();
    try (DatabaseTier a = tierOn("127.0.0.2", metricsPort, store);
        DatabaseTier b = tierOn("127.0.0.3", metricsPort, store)) {
      List<FakeDatabaseInstance> all = List.of(a.instance(0), b.instance(0));
      Map<String, String> env = Map.of(
          "SHAKENFIST_MARIADB_GATEWAY_HOSTS", a.hostsString() + "," + b.hostsString(),
          "SHAKENFIST_MARIADB_GATEWAY_METRICS_PORT", String.valueOf(metricsPort),
          "SHAKENFIST_CALLER_DAEMON", "net");

      // the channel as a daemon builds it, its calls and its readiness gate
      try (DatabaseChannel ch = DatabaseChannels.fromEnv(env)) {
        ch.awaitReady(2, Duration.ofSeconds(20));
        var stub = DatabaseServiceGrpc.newBlockingStub(ch);
        for (int i = 0; i < 20; i++) {
          stub.getClusterConfig(CC);
        }
      }
      // awaitReady's failure path, which probes every instance on a channel of its own
      try (DatabaseChannel ch = DatabaseChannels.fromEnv(env)) {
        assertThrows(TimeoutException.class, () -> ch.awaitReady(3, Duration.ofMillis(500)));
      }
      // tier-check (the main job) against this tier
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
      assertEquals(0, TierCheck.run(new String[] {"--calls", "20"}, env, print, print), out.toString(StandardCharsets.UTF_8));
      // the example daemon
      assertEquals(0, DaemonExample.run(env, print));
      // channel build/close churn: 4 threads x 10 channels, each connects, calls, closes
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<?>> churn = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          churn.add(pool.submit(() -> {
            for (int i = 0; i < 10; i++) {
              try (DatabaseChannel ch = DatabaseChannels.fromEnv(env)) {
                DatabaseServiceGrpc.newBlockingStub(ch).getClusterConfig(CC);
              }
            }
            return null;
          }));
        }
        for (Future<?> f : churn) {
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }
      assertEquals(0, watchCalls(all), "Health/Watch calls by default");
      assertTrue(all.stream().allMatch(i -> i.requestCount() > 0), "every path reached the instances");

      // control: the counter sees Watch when the user asks for it
      Map<String, String> watch = new HashMap<>(env);
      watch.put("SHAKENFIST_MARIADB_GATEWAY_HEALTH_CHECK", "watch");
      try (DatabaseChannel ch = DatabaseChannels.fromEnv(watch)) {
        ch.awaitReady(2, Duration.ofSeconds(20));
      }
      assertTrue(watchCalls(all) >= 2, "with HEALTH_CHECK=watch each instance gets a Watch stream: " + watchCalls(all));
    }
  }

  private static long watchCalls(List<FakeDatabaseInstance> instances) {
    return instances.stream().mapToLong(FakeDatabaseInstance::healthWatchCalls).sum();
  }

  private static DatabaseTier tierOn(String address, int metricsPort, SharedStore store) {
    return DatabaseTier.builder().instances(1).transport(Transport.NETTY).bindAddress(address)
        .metricsPorts(List.of(metricsPort)).store(store).start();
  }
}
