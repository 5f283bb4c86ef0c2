package org.shakenfist.sfdb.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's tier on one real database, over three hosts (network namespaces on one bridge): host 1 runs
 * MariaDB (the seed's bind-all drop-in, a {@code shakenfist}@{@code %} grant) and gateway 1, host 2 gateway 2,
 * reaching MariaDB over the namespace network, host 3 the daemon side (an SDK channel driving calls, the tier
 * check). Each step prints what it saw.
 */
@Tag("netns")
@Tag("mariadb")
class MariaDbTierTopologyTest {
  private static final String DB_HOST = NetnsTopology.address(0);
  private static final String HOSTS = NetnsTopology.address(0) + "," + NetnsTopology.address(1);
  private static final String G1 = NetnsTopology.address(0) + ":13005";
  private static final String G2 = NetnsTopology.address(1) + ":13005";
  private static final String URL = MariaDbProcess.url(DB_HOST);
  private static final Duration START = Duration.ofSeconds(90);
  private static final Pattern TICK = Pattern.compile("^tick calls=(\\d+) failed=(\\d+) empty=(\\d+)(.*)$");

  @Test
  void twoGatewaysShareOneMariaDbAndTheSdkFollowsTheirDatabaseHealth(@TempDir Path dir) throws Exception {
    String why = NetnsTopology.unavailableReason();
    Assumptions.assumeTrue(why == null, why);
    why = MariaDbProcess.unavailableReason();
    Assumptions.assumeTrue(why == null, why);
    try (NetnsTopology net = NetnsTopology.create(3)) {
      MariaDbProcess db = new MariaDbProcess(net, 0, dir.resolve("mariadb"));
      db.start();
      schemaChecks(net, db);
      concurrentStarts(net, db, 10);

      db.freshDatabase();
      assertEquals(0, net.startLogged("migrate", 0, List.of(), gateway("migrate", "--jdbc", URL)).exit(START));
      ProcessLog g1 = net.startLogged("gateway-1", 0, List.of(), gateway("--grace", "1", "--jdbc", URL));
      ProcessLog g2 = net.startLogged("gateway-2", 1, List.of(), gateway("--grace", "1", "--jdbc", URL));
      g1.await("gateway serving", 0, START);
      g2.await("gateway serving", 0, START);

      ProcessLog cross = net.startLogged("crosscheck", 2, List.of(),
          java(TierDriver.class.getName(), "crosscheck", G1, G2));
      assertEquals(0, cross.exit(START), cross.text());
      System.out.println("one database: " + cross.text());

      ProcessLog pass = net.startLogged("tier-check", 2, tierEnv(), java(TierCheck.class.getName(), "--calls", "200"));
      assertEquals(0, pass.exit(START), pass.text());
      System.out.println("tier check, both gateways on MariaDB:\n" + pass.text());
      for (String g : List.of(G1, G2)) {
        double share = share(pass.text(), g);
        assertTrue(share >= 40 && share <= 60, g + " served " + share + " % of the tier check's calls");
      }

      ProcessLog driver = net.startLogged("driver", 2, tierEnv(), java(TierDriver.class.getName()));
      int at = driver.await(l -> l.startsWith("tick") && countOf(l, G1) > 0 && countOf(l, G2) > 0, 0, START);

      // MariaDB unreachable from host 2 only: gateway 2 goes NOT_SERVING, the SDK sends it nothing
      net.exec(1, "iptables", "-I", "OUTPUT", "-p", "tcp", "--dport", "3306", "-j", "DROP");
      long cut = System.nanoTime();
      int g2Out = g2.await("database unreachable: NOT_SERVING", 0, Duration.ofSeconds(60));
      double toNotServing = seconds(cut);
      int left = driver.await(l -> l.contains("left the rotation") && l.contains(G2), at, Duration.ofSeconds(60));
      double toLeft = seconds(cut);
      ProcessLog degraded = net.startLogged("tier-check", 2, tierEnv(),
          java(TierCheck.class.getName(), "--timeout", "5s"));
      int degradedExit = degraded.exit(START);
      System.out.println("tier check, MariaDB unreachable from host 2:\n" + degraded.text());
      assertNotEquals(0, degradedExit, degraded.text());
      assertTrue(degraded.text().contains(G2), "the failing tier check names gateway 2: " + degraded.text());
      int ticksOut = driver.await(l -> l.startsWith("tick"), left + 1, START);
      driver.await(l -> l.startsWith("tick"), ticksOut + 1, START); // at least two ticks wholly after it left

      net.exec(1, "iptables", "-D", "OUTPUT", "-p", "tcp", "--dport", "3306", "-j", "DROP");
      g2.await("database reachable again: SERVING", g2Out, Duration.ofSeconds(60));
      int back = driver.await(l -> l.contains("entered the rotation") && l.contains(G2), left, Duration.ofSeconds(60));
      List<String> out = ticks(driver, ticksOut + 1, back);
      System.out.printf("gateway 2 NOT_SERVING %.1f s after its MariaDB traffic was dropped, out of the SDK's rotation "
          + "after %.1f s; while out: %s%n", toNotServing, toLeft, out);
      assertTrue(!out.isEmpty(), "ticks while gateway 2 was out");
      for (String t : out) {
        assertEquals(0, countOf(t, G2), "a call reached gateway 2 after it left the rotation: " + t);
      }
      driver.await(l -> l.startsWith("tick") && countOf(l, G2) > 0, back, START);

      // MariaDB stopped: both gateways NOT_SERVING; the SDK panics and sends to both, which answer reads empty
      db.stop();
      g1.await("database unreachable: NOT_SERVING", 0, Duration.ofSeconds(60));
      g2.await("database unreachable: NOT_SERVING", g2Out + 1, Duration.ofSeconds(60));
      int panic = driver.await("panic mode, sending calls to all of them", back, Duration.ofSeconds(60));
      List<String> panicking = awaitBothCalled(driver, panic, Duration.ofSeconds(90));
      System.out.println("MariaDB stopped, the SDK in panic mode: " + panicking);
      ProcessLog down = net.startLogged("tier-check", 2, tierEnv(), java(TierCheck.class.getName(), "--timeout", "5s"));
      int downExit = down.exit(START);
      System.out.println("tier check, MariaDB stopped:\n" + down.text());
      assertNotEquals(0, downExit);
      assertTrue(down.text().contains(G1) && down.text().contains(G2), down.text());
      db.start();
      driver.await("panic mode over", panic, Duration.ofSeconds(60));

      driver.process.getOutputStream().close();
      int done = driver.await(l -> l.startsWith("done"), 0, START);
      String summary = driver.lines().get(done);
      System.out.println("driver: " + summary);
      assertTrue(summary.contains(" failed=0 "), "idempotent calls failed: " + summary + "\n" + driver.text());
      assertEquals(0, driver.exit(START));
      String last = panicking.get(panicking.size() - 1);
      List<String> before = ticks(driver, 0, panic);
      assertTrue(emptyOf(last) > emptyOf(before.get(before.size() - 1)), "reads with the database down are empty: "
          + panicking);
    }
  }

  /** No schema, then an old one: a gateway refuses with one line naming what it found and what it needs. */
  private static void schemaChecks(NetnsTopology net, MariaDbProcess db) throws Exception {
    db.freshDatabase();
    ProcessLog none = net.startLogged("gateway", 1, List.of(), gateway("--jdbc", URL));
    assertEquals(2, none.exit(START), none.text());
    assertTrue(none.text().contains("has no gateway schema; this gateway needs version 2"), none.text());
    assertEquals(1, none.lines().size(), "one line: " + none.text());
    assertEquals(0, net.startLogged("migrate", 1, List.of(), gateway("migrate", "--jdbc", URL, "--target", "1"))
        .exit(START));
    ProcessLog old = net.startLogged("gateway", 1, List.of(), gateway("--jdbc", URL));
    assertEquals(2, old.exit(START), old.text());
    assertTrue(old.text().contains("has schema version 1, this gateway needs version 2"), old.text());
    System.out.println("schema checks: " + none.text() + " / " + old.text());
  }

  /** Each time: a fresh database, migrate run on both hosts at once, both gateways started at once. */
  private static void concurrentStarts(NetnsTopology net, MariaDbProcess db, int times) throws Exception {
    List<String> failures = new ArrayList<>();
    long start = System.nanoTime();
    for (int rep = 0; rep < times; rep++) {
      db.freshDatabase();
      List<ProcessLog> migrations = List.of(
          net.startLogged("migrate-1", 0, List.of(), gateway("migrate", "--jdbc", URL)),
          net.startLogged("migrate-2", 1, List.of(), gateway("migrate", "--jdbc", URL)));
      for (ProcessLog m : migrations) {
        if (m.exit(START) != 0 || !m.text().contains("at version 2")) {
          failures.add("repetition " + rep + ": migrate: " + m.text());
        }
      }
      List<ProcessLog> gateways = List.of(
          net.startLogged("gateway-1", 0, List.of(), gateway("--grace", "1", "--jdbc", URL)),
          net.startLogged("gateway-2", 1, List.of(), gateway("--grace", "1", "--jdbc", URL)));
      for (ProcessLog g : gateways) {
        try {
          g.await("gateway serving", 0, START);
        } catch (AssertionError e) {
          failures.add("repetition " + rep + ": start: " + e.getMessage());
        }
      }
      for (ProcessLog g : gateways) {
        g.process.destroy(); // SIGTERM: drain, exit 0
        if (g.exit(START) != 0) {
          failures.add("repetition " + rep + ": stop: " + g.text());
        }
      }
    }
    System.out.printf("%d times: migrate on both hosts at once, then both gateways at once: %d failures, %.1f s%n",
        times, failures.size(), seconds(start));
    assertEquals(List.of(), failures);
  }

  /** The ticks from line {@code from} on, once both gateways have had calls in them (panic sends to all). */
  private static List<String> awaitBothCalled(ProcessLog log, int from, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<String> t = ticks(log, from, Integer.MAX_VALUE);
      if (t.stream().mapToLong(l -> countOf(l, G1)).sum() > 0 && t.stream().mapToLong(l -> countOf(l, G2)).sum() > 0) {
        return t;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("in panic mode both gateways should get calls within " + timeout + ": " + t);
      }
      Thread.sleep(500);
    }
  }

  private static List<String> ticks(ProcessLog log, int from, int to) {
    List<String> lines = log.lines();
    List<String> out = new ArrayList<>();
    for (int i = from; i < Math.min(to, lines.size()); i++) {
      if (lines.get(i).startsWith("tick")) {
        out.add(lines.get(i));
      }
    }
    return out;
  }

  /** Calls of this tick to {@code endpoint} (0 when it is not named). */
  private static long countOf(String tick, String endpoint) {
    Matcher m = Pattern.compile(" " + Pattern.quote(endpoint) + "=(\\d+)").matcher(tick);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  private static long emptyOf(String tick) {
    Matcher m = TICK.matcher(tick);
    assertTrue(m.matches(), tick);
    return Long.parseLong(m.group(3));
  }

  /** The share the tier check's table gives {@code endpoint}, in percent. */
  private static double share(String table, String endpoint) {
    Matcher m = Pattern.compile(Pattern.quote(endpoint) + "\\s+\\S+\\s+\\S+\\s+\\d+\\s+([\\d.]+)%").matcher(table);
    assertTrue(m.find(), "no share for " + endpoint + " in:\n" + table);
    return Double.parseDouble(m.group(1));
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  private static List<String> tierEnv() {
    return List.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS=" + HOSTS,
        "SHAKENFIST_MARIADB_GATEWAY_RETRY_METHODS=shakenfist.protos.DatabaseService",
        "SHAKENFIST_CALLER_DAEMON=ctl");
  }

  private static List<String> gateway(String... args) {
    return java(GatewayServer.class.getName(), args);
  }

  private static List<String> java(String mainClass, String... args) {
    return NetnsTopology.java(mainClass, args);
  }
}
