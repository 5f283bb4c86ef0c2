package org.shakenfist.sfdb.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.Transport;
import org.shakenfist.sfdb.testkit.DatabaseTier;
import org.shakenfist.sfdb.testkit.SharedStore;

class TierCheckTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(Map<String, String> env, String... args) {
    return TierCheck.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void embeddedTierPassesAndPrintsTheTable() {
    assertEquals(0, run(Map.of()), err());
    assertTrue(err().contains("is not set; checking an embedded 2-instance tier"), err());
    assertTrue(out().contains("fan-out check PASSED"), out());
    assertTrue(out().contains("50.0%  ####################"), out());
    // each instance's state and the latency of the calls it served, next to its share
    assertTrue(out().contains("p50 ms") && out().contains("p99 ms"), out());
    long rows = out().lines().filter(l -> l.matches("127\\.0\\.0\\.1:\\d+ +50\\.0%  READY +SERVING +\\d+\\.\\d\\d +\\d+\\.\\d\\d")).count();
    assertEquals(2, rows, out());
  }

  @Test
  void asACommandEveryLogRecordIsOneLineApartFromTheTable() throws Exception {
    // the main job as a user runs it: its own JVM, logs on stderr, the table on stdout
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), TierCheck.class.getName())
        .redirectError(ProcessBuilder.Redirect.PIPE).start();
    p.getOutputStream().close();
    String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), stdout + stderr);
    assertTrue(stdout.contains("fan-out check PASSED"), stdout);
    List<String> records = stderr.lines().filter(l -> l.matches("\\d\\d:\\d\\d:\\d\\d [A-Z]+ \\S+: .*")).toList();
    assertTrue(records.stream().anyMatch(l -> l.contains("entered the rotation")), stderr);
    // java.util.logging's default format puts a record on two lines, the first "Dec 01, 2026 10:01:01 PM class
    // method"; the JVM's own warnings (Java 25: sun.misc.Unsafe) are not log records and are left alone
    for (String line : stderr.lines().toList()) {
      assertTrue(!line.matches("[A-Z][a-z]{2} \\d{1,2}, \\d{4} \\d{1,2}:\\d{2}:\\d{2} [AP]M .*"),
          "a log record split over lines: " + line + "\n" + stderr);
    }
    assertTrue(stdout.lines().noneMatch(l -> l.contains("sfdb: gateway instance")), "no log record in the table: " + stdout);
  }

  @Test
  void floorAboveTheEvenShareFailsWithExitOne() {
    assertEquals(1, run(Map.of(), "--floor", "0.6", "--calls", "50"), out() + err());
    assertTrue(out().contains("fan-out check FAILED"), out());
    assertTrue(out().contains("before counters:"), out());
  }

  @Test
  void largeRunsShowProgress() {
    assertEquals(0, run(Map.of(), "--calls", "1000"), err());
    assertTrue(err().contains("tier-check: 100/1000 calls (10%)"), err());
    assertTrue(err().contains("tier-check: 1000/1000 calls (100%)"), err());
  }

  @Test
  void jsonOutput() {
    assertEquals(0, run(Map.of(), "--json", "--calls", "20"), err());
    var doc = JsonParser.parseString(out()).getAsJsonObject();
    assertEquals("pass", doc.get("verdict").getAsString());
    assertEquals(20, doc.get("counted").getAsInt());
    assertEquals(2, doc.getAsJsonArray("instances").size());
    var first = doc.getAsJsonArray("instances").get(0).getAsJsonObject();
    assertEquals(10, first.get("delta").getAsInt());
    assertEquals("READY", first.get("state").getAsString());
    assertEquals("SERVING", first.get("health").getAsString());
    assertTrue(first.get("inRotation").getAsBoolean());
    assertTrue(first.get("p50Millis").getAsDouble() > 0 && first.get("p99Millis").getAsDouble()
        >= first.get("p50Millis").getAsDouble(), first.toString());
  }

  @Test
  void withJsonErrorsAreJsonOnStdoutTooAndEveryErrorIsOneLine() throws Exception {
    int nothing = LoopbackPorts.freePort("127.0.0.1");
    try (DatabaseTier tier = DatabaseTier.builder().instances(1).transport(Transport.NETTY).start()) {
      String hosts = tier.hostsString() + ",127.0.0.1:" + nothing;
      assertEquals(2, run(Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", hosts), "--timeout", "2s", "--json"));
      var doc = JsonParser.parseString(out()).getAsJsonObject();
      assertEquals("error", doc.get("verdict").getAsString());
      assertEquals(2, doc.get("exitCode").getAsInt());
      String error = doc.get("error").getAsString();
      assertTrue(error.contains("127.0.0.1:" + nothing + " unreachable") && !error.contains("\n"), error);
      assertEquals(1, err().lines().count(), "one line: " + err());
    }
    out.reset();
    err.reset();
    assertEquals(2, run(Map.of(), "--calls", "zero", "--json"));
    assertEquals("error", JsonParser.parseString(out()).getAsJsonObject().get("verdict").getAsString(), out());
    assertEquals(1, err().lines().count(), "no usage text with --json: " + err());
  }

  @Test
  void realClusterModeOverSharedMetricsPort() throws Exception {
    int metricsPort = LoopbackPorts.freePort("127.0.0.2", "127.0.0.3");
    SharedStore store = new SharedStore();
    try (DatabaseTier a = tierOn("127.0.0.2", metricsPort, store); DatabaseTier b = tierOn("127.0.0.3", metricsPort, store)) {
      Map<String, String> env = Map.of(
          "SHAKENFIST_MARIADB_GATEWAY_HOSTS", a.hostsString() + " , " + b.hostsString(),
          "SHAKENFIST_MARIADB_GATEWAY_METRICS_PORT", String.valueOf(metricsPort));
      assertEquals(0, run(env, "--calls", "40"), out() + err());
      assertTrue(out().contains(a.hostsString()) && out().contains(b.hostsString()), out());
      assertTrue(!err().contains("embedded"), err());
    }
  }

  @Test
  void usageAndConfigErrorsExitTwo() {
    assertEquals(2, run(Map.of(), "--calls", "zero"));
    assertTrue(err().contains("--calls must be a whole number >= 1"), err());
    err.reset();
    assertEquals(2, run(Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", "127.0.0.1,[::1")));
    assertTrue(err().contains("SHAKENFIST_MARIADB_GATEWAY_HOSTS: item 2 \"[::1\": unbalanced brackets"), err());
  }

  @Test
  void unreachableInstanceExitsTwoNamingIt() throws Exception {
    int nothing = LoopbackPorts.freePort("127.0.0.1");
    try (DatabaseTier tier = DatabaseTier.builder().instances(1).transport(Transport.NETTY).start()) {
      String hosts = tier.hostsString() + ",127.0.0.1:" + nothing;
      assertEquals(2, run(Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", hosts), "--timeout", "2s"), out() + err());
      assertTrue(err().contains("127.0.0.1:" + nothing + " unreachable"), err());
      assertTrue(err().contains(tier.hostsString() + " SERVING"), err());
    }
  }

  @Test
  void metricsPortThatDoesNotAnswerExitsTwo() throws Exception {
    int closed = LoopbackPorts.freePort("127.0.0.1");
    try (DatabaseTier tier = DatabaseTier.builder().instances(2).transport(Transport.NETTY).start()) {
      assertEquals(2, run(Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", tier.hostsString(),
          "SHAKENFIST_MARIADB_GATEWAY_METRICS_PORT", String.valueOf(closed))), out() + err());
      assertTrue(err().contains("metrics of " + tier.instance(0).gatewayHost() + " do not answer"), err());
    }
  }

  private static DatabaseTier tierOn(String address, int metricsPort, SharedStore store) {
    return DatabaseTier.builder().instances(1).transport(Transport.NETTY).bindAddress(address)
        .metricsPorts(List.of(metricsPort)).store(store).start();
  }
}
