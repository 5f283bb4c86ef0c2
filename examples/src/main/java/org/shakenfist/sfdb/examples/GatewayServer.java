package org.shakenfist.sfdb.examples;

import io.grpc.TlsServerCredentials;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.Transport;
import org.shakenfist.sfdb.testkit.DatabaseTier;
import org.shakenfist.sfdb.testkit.DatabaseTierBuilder;
import org.shakenfist.sfdb.testkit.FakeDatabaseInstance;

/**
 * Example sf-database gateway: the testkit's fake {@code DatabaseService} + health + {@code /metrics} on a
 * configurable address, draining on SIGTERM like the real daemon (NOT_SERVING, then a graceful stop within
 * the grace period). Its data lives in memory, per process, unless {@code --jdbc} names a MariaDB: then every
 * gateway on that database serves the same tables, and a loop checks the database every 10 s, as the real
 * gateway's does (SERVING when it answers, NOT_SERVING when not).
 *
 * <pre>
 * java -cp examples/target/sfdb-examples.jar org.shakenfist.sfdb.examples.GatewayServer \
 *     [--bind 0.0.0.0] [--port 13005] [--metrics-port 13006] [--grace 10] \
 *     [--jdbc 'jdbc:mariadb://10.0.0.20:3306/shakenfist?user=shakenfist&amp;password=...']
 * java -cp examples/target/sfdb-examples.jar org.shakenfist.sfdb.examples.GatewayServer migrate --jdbc URL
 * </pre>
 *
 * <p>{@code migrate} creates or upgrades the schema (Flyway; run it once per database, not at every start;
 * concurrent runs are safe: Flyway takes a database lock). A gateway started with {@code --jdbc} refuses to
 * serve, with one line naming both versions, unless the schema is at the version it needs; a bad or
 * unreachable URL is one line too; both exit 2.
 *
 * <p>Defaults come from {@code SHAKENFIST_MARIADB_GATEWAY_BIND}, {@code SHAKENFIST_MARIADB_GATEWAY_PORT},
 * {@code SHAKENFIST_MARIADB_GATEWAY_METRICS_PORT} when set; bind-all (0.0.0.0) so other hosts can connect.
 */
public final class GatewayServer {
  private GatewayServer() {}

  /** Plain stderr lines: java.util.logging may already be shut down when the SIGTERM hook runs. */
  private static void log(String message) {
    System.err.println(java.time.Instant.now() + " gateway: " + message);
    System.err.flush();
  }

  /** Prints one line and exits 2. */
  private static void refuse(String message) {
    System.err.println("GatewayServer: " + message);
    System.exit(2);
  }

  /** {@code migrate --jdbc URL [--target VERSION]}: creates or upgrades the schema, then exits. */
  private static void migrate(String[] args) {
    String url = null;
    String target = null;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--jdbc" -> url = i + 1 < args.length ? args[++i] : null;
        case "--target" -> target = i + 1 < args.length ? args[++i] : null;
        default -> refuse("usage: GatewayServer migrate --jdbc URL [--target VERSION]");
      }
    }
    if (url == null) {
      refuse("usage: GatewayServer migrate --jdbc URL [--target VERSION]");
    }
    try (GatewayDatabase db = GatewayDatabase.open(url)) {
      String version = db.migrate(target);
      System.out.println("schema of " + GatewayDatabase.hidePassword(url) + " at version " + version);
    } catch (GatewayDatabase.Failure e) {
      refuse(e.getMessage());
    }
    System.exit(0);
  }

  public static void main(String[] args) throws InterruptedException, IOException {
    OneLineLogs.install();
    if (args.length > 0 && args[0].equals("migrate")) {
      migrate(args);
    }
    Map<String, String> env = System.getenv();
    String bind = env.getOrDefault("SHAKENFIST_MARIADB_GATEWAY_BIND", "0.0.0.0");
    int port = Integer.parseInt(env.getOrDefault(DatabaseChannelConfig.ENV_PORT,
        String.valueOf(DatabaseChannelConfig.DEFAULT_PORT)));
    int metricsPort = Integer.parseInt(env.getOrDefault(DatabaseChannelConfig.ENV_METRICS_PORT,
        String.valueOf(DatabaseChannelConfig.DEFAULT_METRICS_PORT)));
    Duration grace = Duration.ofSeconds(10);
    File tlsCert = null;
    File tlsKey = null;
    File tlsClientCa = null;
    String jdbc = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--bind" -> bind = args[++i];
        case "--port" -> port = Integer.parseInt(args[++i]);
        case "--metrics-port" -> metricsPort = Integer.parseInt(args[++i]);
        case "--grace" -> grace = Duration.ofSeconds(Long.parseLong(args[++i]));
        case "--tls-cert" -> tlsCert = new File(args[++i]);
        case "--tls-key" -> tlsKey = new File(args[++i]);
        case "--tls-client-ca" -> tlsClientCa = new File(args[++i]);
        case "--jdbc" -> jdbc = args[++i];
        default -> refuse("usage: GatewayServer [--bind ADDR] [--port N] [--metrics-port N] [--grace SECONDS] "
            + "[--tls-cert PEM --tls-key PEM [--tls-client-ca PEM]] [--jdbc URL] | migrate --jdbc URL");
      }
    }
    DatabaseTierBuilder builder = DatabaseTier.builder().instances(1).transport(Transport.NETTY).bindAddress(bind)
        .ports(List.of(port)).metricsPorts(List.of(metricsPort)).namePrefix("gateway");
    if (tlsCert != null || tlsKey != null) {
      if (tlsCert == null || tlsKey == null) {
        refuse("--tls-cert and --tls-key go together");
      }
      // with --tls-client-ca, only clients with a certificate signed by that CA are served (mTLS)
      TlsServerCredentials.Builder tls = TlsServerCredentials.newBuilder().keyManager(tlsCert, tlsKey);
      if (tlsClientCa != null) {
        tls.trustManager(tlsClientCa).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
      }
      builder.tls(tls.build());
    }
    GatewayDatabase db = null;
    if (jdbc != null) {
      try {
        db = GatewayDatabase.open(jdbc);
        db.requireSchema();
      } catch (GatewayDatabase.Failure e) {
        refuse(e.getMessage());
      }
      builder.store(new MariaDbStore(db.dataSource()));
    }
    CountDownLatch stop = new CountDownLatch(1);
    // SIGTERM / SIGINT start the drain; a drained gateway exits 0, as a service manager expects of a clean stop
    // (the JVM's default for a signal is exit code 143 / 130 after its shutdown hooks). Installed before the
    // gateway serves, so a stop that follows its "serving" line at once is a drain too.
    for (String name : List.of("TERM", "INT")) {
      sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stop.countDown());
    }
    DatabaseTier tier = builder.start();
    FakeDatabaseInstance gateway = tier.instance(0);
    DatabaseHealthLoop loop = db == null ? null : DatabaseHealthLoop.start(db, gateway, GatewayServer::log);
    log("sf-database gateway serving shakenfist.protos.DatabaseService on " + bind + ":" + gateway.port()
        + ", metrics on " + bind + ":" + gateway.metricsPort() + "/metrics");
    stop.await();
    log("draining: NOT_SERVING, then graceful stop within " + grace);
    if (loop != null) {
      loop.stop(); // a drained gateway stays NOT_SERVING whatever the database says
    }
    gateway.drain(grace);
    tier.close();
    if (db != null) {
      db.close();
    }
    log("stopped");
    System.exit(0);
  }
}
