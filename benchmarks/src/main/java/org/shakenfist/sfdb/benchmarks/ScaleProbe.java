package org.shakenfist.sfdb.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.client.DatabaseChannels;
import org.shakenfist.sfdb.client.Transport;
import org.shakenfist.sfdb.testkit.DatabaseTier;

/**
 * Scale figures that are not throughput: time from {@code DatabaseChannels.fromEnv} to a channel with every
 * instance READY and SERVING (32 Netty loopback instances, the environment as a daemon sees it), and heap
 * retained per channel over 32 in-process instances (10 ready channels, after GC).
 */
final class ScaleProbe {
  private ScaleProbe() {}

  static Map<String, Object> run(int instances) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("instances", instances);
    try (DatabaseTier tier = DatabaseTier.builder().instances(instances).transport(Transport.NETTY)
        .metricsHttp(false).start()) {
      List<Double> millis = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        long start = System.nanoTime();
        try (DatabaseChannel channel = DatabaseChannels.fromEnv(tier.env())) {
          channel.awaitReady(instances, Duration.ofSeconds(60));
          millis.add((System.nanoTime() - start) / 1e6);
        }
      }
      out.put("fromEnvToReadyMillis", millis);
    }
    try (DatabaseTier tier = DatabaseTier.builder().instances(instances).metricsHttp(false).start()) {
      MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
      int channels = 10;
      long before = usedAfterGc(memory);
      List<DatabaseChannel> open = new ArrayList<>();
      for (int i = 0; i < channels; i++) {
        DatabaseChannel c = DatabaseChannels.fromConfig(tier.channelConfigBuilder().build());
        c.awaitReady(instances, Duration.ofSeconds(60));
        open.add(c);
      }
      long after = usedAfterGc(memory);
      out.put("heapBytesPerChannel", (after - before) / channels);
      out.put("channels", channels);
      open.forEach(DatabaseChannel::close);
    }
    return out;
  }

  private static long usedAfterGc(MemoryMXBean memory) throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return memory.getHeapMemoryUsage().getUsed();
  }
}
