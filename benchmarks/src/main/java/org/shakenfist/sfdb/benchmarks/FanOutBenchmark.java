package org.shakenfist.sfdb.benchmarks;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.shakenfist.sfdb.client.CallCounts;
import org.shakenfist.sfdb.proto.ClusterConfigReply;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;
import org.shakenfist.sfdb.testkit.DatabaseTier;

/**
 * Even fan-out: N in-process instances, 1, 8 or 64 caller threads through one SDK channel. At the end of each
 * trial the per-instance shares of every call made (warm-up and measurement iterations) are appended to
 * {@code fanout-shares.jsonl} (directory from system property {@code sfdb.bench.results}) with the maximum
 * |share - 1/N| and the maximum deviation in calls from an exact split.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class FanOutBenchmark {
  private static final ClusterConfigRequest REQUEST = ClusterConfigRequest.getDefaultInstance();

  @Param({"2", "3", "4", "8", "32"})
  public int instances;

  private DatabaseTier tier;
  private DatabaseServiceGrpc.DatabaseServiceBlockingStub stub;
  private CallCounts start;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    tier = DatabaseTier.builder().instances(instances).metricsHttp(false).start();
    tier.warmUp(Duration.ofSeconds(30));
    tier.channel().awaitReady(instances, Duration.ofSeconds(30));
    stub = DatabaseServiceGrpc.newBlockingStub(tier.channel());
    start = tier.channel().callCounts();
  }

  @Benchmark
  @Threads(1)
  public ClusterConfigReply serial() {
    return stub.getClusterConfig(REQUEST);
  }

  @Benchmark
  @Threads(8)
  public ClusterConfigReply threads8() {
    return stub.getClusterConfig(REQUEST);
  }

  /** Scale: 64 callers (N = 1 and 32 in the suite). */
  @Benchmark
  @Threads(64)
  public ClusterConfigReply threads64() {
    return stub.getClusterConfig(REQUEST);
  }

  @TearDown(Level.Trial)
  public void report(BenchmarkParams params) throws IOException {
    CallCounts delta = tier.channel().callCounts().minus(start);
    Map<String, Long> perInstance = new LinkedHashMap<>();
    delta.byEndpoint().forEach((endpoint, n) -> {
      if (endpoint.startsWith("grpc.health") || n == 0) {
        return;
      }
      perInstance.put(endpoint, n);
    });
    // awaitReady's Health/Check probes happened before `start`; only DatabaseService calls remain
    long total = perInstance.values().stream().mapToLong(Long::longValue).sum();
    double maxShareDeviation = 0;
    double maxCallDeviation = 0;
    for (long n : perInstance.values()) {
      maxShareDeviation = Math.max(maxShareDeviation, Math.abs(n / (double) total - 1.0 / instances));
      maxCallDeviation = Math.max(maxCallDeviation, Math.abs(n - total / (double) instances));
    }
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("benchmark", params.getBenchmark().replaceAll(".*\\.", ""));
    row.put("threads", params.getThreads());
    row.put("instances", instances);
    row.put("instancesSeen", perInstance.size());
    row.put("total", total);
    row.put("perInstance", perInstance);
    row.put("maxShareDeviation", maxShareDeviation);
    row.put("maxCallDeviation", maxCallDeviation);
    TrialRows.append(TrialRows.FANOUT, row);
    tier.close();
  }
}
