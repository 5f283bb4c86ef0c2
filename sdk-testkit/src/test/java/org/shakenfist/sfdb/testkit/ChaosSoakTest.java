package org.shakenfist.sfdb.testkit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.CallCounts;
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.client.DatabaseChannels;
import org.shakenfist.sfdb.client.Transport;

/**
 * Chaos soak: a 3-instance Netty tier under 8 caller threads (retries on, default settings otherwise) while a
 * seeded random fault hits it every 1-3 s: kill, drain, restart, NOT_SERVING flip, added delay, heal; at least
 * one instance SERVING at all times. Every call is accounted for at the end, and closing leaves no threads,
 * file descriptors or connections behind.
 *
 * <p>{@code -Dsfdb.soak.seconds=600} for the long run (default 60), {@code -Dsfdb.soak.seed=N} to replay one.
 */
class ChaosSoakTest {
  private static final String METHOD = "shakenfist.protos.DatabaseService/GetClusterConfig";

  @Test
  void everyCallIsAccountedForUnderRandomFaultsAndNothingLeaks() throws Exception {
    long seconds = Long.getLong("sfdb.soak.seconds", 60);
    long seed = Long.getLong("sfdb.soak.seed", System.nanoTime());
    System.out.println("chaos soak: seed " + seed + " (replay with -Dsfdb.soak.seed=" + seed + "), " + seconds + " s");
    Random random = new Random(seed);

    warmUpSharedPools();
    Resources before = Resources.now(List.of());

    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Map<String, Integer> faults = new TreeMap<>();
    long[] accumulated = new long[3]; // server counts of an instance's earlier lives (counters reset on restart)
    List<Integer> ports;
    LoadDriver load;
    Map<String, Long> server = new LinkedHashMap<>();
    try (DatabaseTier tier = DatabaseTier.builder().instances(3).transport(Transport.NETTY).start()) {
      ports = tier.instances().stream().flatMap(i -> Stream.of(i.port(), i.metricsPort())).toList();
      try (DatabaseChannel ch = DatabaseChannels.fromConfig(tier.channelConfigBuilder()
          .retryMethods("shakenfist.protos.DatabaseService").meterRegistry(registry).build())) {
        ch.awaitReady(3, Duration.ofSeconds(20));
        load = new LoadDriver(ch, 8);
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        while (System.nanoTime() < end) {
          Thread.sleep(1000 + random.nextInt(2001));
          String fault = injectOne(tier, random, accumulated);
          faults.merge(fault, 1, Integer::sum);
        }
        load.close();
        System.out.println("chaos soak: " + load.summary() + "; faults " + faults + "; attempts " + ch.callCounts());

        // 1. every call issued ended, as a success or a failure; no idempotent call failed
        assertEquals(load.issued.get(), load.succeeded.get() + load.failed.get(), load.summary());
        assertEquals(0, load.failed.get(), load.summary());
        // 2. client attempts against the servers' own counts, instance by instance
        long okAttempts = 0;
        for (int i = 0; i < 3; i++) {
          FakeDatabaseInstance instance = tier.instance(i);
          String endpoint = instance.endpoint();
          long served = accumulated[i] + instance.requestCount();
          long attempts = attempts(registry, endpoint, null);
          long ok = attempts(registry, endpoint, "OK");
          server.put(endpoint, served);
          okAttempts += ok;
          assertTrue(ok <= served && served <= attempts, endpoint + ": OK attempts " + ok + " <= served " + served
              + " <= attempts " + attempts);
          // what the client sent but the server never counted were attempts that failed: in transit at a kill
          assertTrue(attempts - served <= attempts - ok, endpoint + ": lost in transit " + (attempts - served)
              + " > failed attempts " + (attempts - ok));
        }
        assertEquals(load.succeeded.get(), okAttempts, "exactly one OK attempt per successful call");
        CallCounts counts = ch.callCounts();
        long lost = 0;
        for (FakeDatabaseInstance instance : tier.instances()) {
          lost += attempts(registry, instance.endpoint(), null) - server.get(instance.endpoint());
        }
        System.out.println("chaos soak: served by the instances " + server + ", no endpoint "
            + counts.get(CallCounts.NO_ENDPOINT) + ", sent but never received (killed in transit) " + lost);
      }
    }
    // 3. after close: threads, descriptors and connections back to where they were
    Resources after = Resources.settle(before, ports);
    System.out.println("chaos soak: resources before " + before + ", after close " + after);
    assertTrue(after.threads() <= before.threads(), "threads leaked: " + after.threadNames(before));
    assertTrue(after.fds() < 0 || after.fds() <= before.fds(), "file descriptors leaked: " + before.fds() + " -> "
        + after.fds() + "; sockets left: " + Resources.describeSockets(after.sockets(), before.sockets()));
    assertEquals(0, after.connections(), "connections left to the tier's ports");
  }

  /** One random fault, never leaving the tier without a running SERVING instance; returns its name. */
  private static String injectOne(DatabaseTier tier, Random random, long[] accumulated) {
    List<FakeDatabaseInstance> down = tier.instances().stream().filter(i -> !i.isRunning()).toList();
    int i = random.nextInt(3);
    FakeDatabaseInstance target = tier.instance(i);
    if (!down.isEmpty() && random.nextBoolean()) {
      FakeDatabaseInstance back = down.get(random.nextInt(down.size()));
      accumulated[tier.instances().indexOf(back)] += back.requestCount(); // stopped: its counters are final
      back.restart();
      return "restart";
    }
    long servingOthers = tier.instances().stream().filter(o -> o != target && o.isServing()).count();
    int kind = random.nextInt(5);
    if (kind <= 2 && (servingOthers == 0 || !target.isRunning())) {
      kind = 3 + random.nextInt(2); // would take the last SERVING instance (or a stopped one) away: soften
    }
    switch (kind) {
      case 0 -> target.kill();
      case 1 -> target.drain(Duration.ofSeconds(2));
      case 2 -> target.setServing(false);
      case 3 -> target.delay(Duration.ofMillis(5 + random.nextInt(46)));
      default -> {
        if (target.isRunning()) {
          target.setServing(true);
        }
        target.delay(Duration.ZERO);
      }
    }
    return switch (kind) {
      case 0 -> "kill";
      case 1 -> "drain";
      case 2 -> "not-serving";
      case 3 -> "delay";
      default -> "heal";
    };
  }

  private static long attempts(SimpleMeterRegistry registry, String endpoint, String status) {
    var search = registry.find("sfdb.client.calls").tag("endpoint", endpoint).tag("method", METHOD);
    if (status != null) {
      search = search.tag("status", status);
    }
    return (long) search.counters().stream().mapToDouble(Counter::count).sum();
  }

  /** A tier and channel made and closed once, so process-wide pools exist before the baseline is taken. */
  private static void warmUpSharedPools() throws Exception {
    try (DatabaseTier tier = DatabaseTier.builder().instances(3).transport(Transport.NETTY).start();
        DatabaseChannel ch = DatabaseChannels.fromConfig(tier.channelConfigBuilder().build())) {
      ch.awaitReady(3, Duration.ofSeconds(20));
    }
  }

  /**
   * Threads (without grpc's cached executor, whose idle threads expire after 60 s by design), open file
   * descriptors (Linux; -1 elsewhere) and established TCP connections on the given ports.
   */
  private record Resources(int threads, Set<String> names, long fds, Map<String, Long> fdKinds, Set<String> sockets,
      long connections) {
    static Resources now(List<Integer> ports) throws IOException {
      Set<String> names = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
          .filter(n -> !n.startsWith("grpc-default-executor-") && !n.startsWith("ForkJoinPool"))
          .collect(Collectors.toCollection(java.util.TreeSet::new));
      Path fd = Path.of("/proc/self/fd");
      long fds = -1;
      Map<String, Long> kinds = new TreeMap<>();
      Set<String> sockets = new java.util.TreeSet<>();
      if (Files.isDirectory(fd)) {
        try (Stream<Path> s = Files.list(fd)) {
          for (Path p : s.toList()) {
            kinds.merge(kind(p), 1L, Long::sum);
            try {
              String target = Files.readSymbolicLink(p).toString();
              if (target.startsWith("socket:[")) {
                sockets.add(target.substring(8, target.length() - 1));
              }
            } catch (IOException e) {
              // closed meanwhile
            }
          }
        }
        fds = kinds.values().stream().mapToLong(Long::longValue).sum();
      }
      return new Resources(names.size(), names, fds, kinds, sockets, established(ports));
    }

    /** The /proc/net lines of the sockets in {@code after} but not in {@code before} (local, remote, state). */
    static List<String> describeSockets(Set<String> after, Set<String> before) {
      List<String> out = new ArrayList<>();
      for (String inode : after) {
        if (before.contains(inode)) {
          continue;
        }
        String found = "inode " + inode + " (not in /proc/net/tcp*, udp*, unix)";
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6",
            "/proc/net/unix")) {
          try {
            for (String line : Files.readAllLines(Path.of(table))) {
              if (List.of(line.trim().split("\\s+")).contains(inode)) {
                found = table + ": " + line.trim();
              }
            }
          } catch (IOException e) {
            // table missing
          }
        }
        out.add(found);
      }
      return out;
    }

    /** socket, pipe, anon_inode:[eventpoll], ..., or the file's directory for regular files. */
    private static String kind(Path fd) {
      try {
        String target = Files.readSymbolicLink(fd).toString();
        int bracket = target.indexOf(":[");
        return bracket > 0 && !target.startsWith("anon_inode") ? target.substring(0, bracket)
            : target.startsWith("/") ? String.valueOf(Path.of(target).getParent()) : target;
      } catch (IOException e) {
        return "gone";
      }
    }

    /** Waits (up to 20 s) for closing to finish, then measures. */
    static Resources settle(Resources baseline, List<Integer> ports) {
      Resources[] last = new Resources[1];
      try {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
          last[0] = now(ports);
          return last[0].threads() <= baseline.threads() && last[0].fds() <= baseline.fds()
              && last[0].connections() == 0;
        });
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        // the assertions report what is left
      }
      return last[0];
    }

    List<String> threadNames(Resources baseline) {
      List<String> extra = new ArrayList<>(names);
      extra.removeAll(baseline.names());
      return extra;
    }

    private static long established(List<Integer> ports) throws IOException {
      long n = 0;
      for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
        Path p = Path.of(table);
        if (!Files.exists(p)) {
          continue;
        }
        for (String line : Files.readAllLines(p).subList(1, Files.readAllLines(p).size())) {
          String[] f = line.trim().split("\\s+");
          if (!"01".equals(f[3])) { // ESTABLISHED
            continue;
          }
          int local = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16);
          int remote = Integer.parseInt(f[2].substring(f[2].indexOf(':') + 1), 16);
          if (ports.contains(local) || ports.contains(remote)) {
            n++;
          }
        }
      }
      return n;
    }

    @Override
    public String toString() {
      return "threads=" + threads + " fds=" + fds + " " + fdKinds + " connections=" + connections;
    }
  }
}
