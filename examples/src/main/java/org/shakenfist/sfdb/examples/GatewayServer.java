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
 * the grace period). Its data lives in memory, per process.
 *
 * <pre>
 * java -cp examples/target/sfdb-examples.jar org.shakenfist.sfdb.examples.GatewayServer \
 *     [--bind 0.0.0.0] [--port 13005] [--metrics-port 13006] [--grace 10]
 * </pre>
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

  public static void main(String[] args) throws InterruptedException, IOException {
    OneLineLogs.install();
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
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--bind" -> bind = args[++i];
        case "--port" -> port = Integer.parseInt(args[++i]);
        case "--metrics-port" -> metricsPort = Integer.parseInt(args[++i]);
        case "--grace" -> grace = Duration.ofSeconds(Long.parseLong(args[++i]));
        case "--tls-cert" -> tlsCert = new File(args[++i]);
        case "--tls-key" -> tlsKey = new File(args[++i]);
        case "--tls-client-ca" -> tlsClientCa = new File(args[++i]);
        default -> {
          System.err.println("usage: GatewayServer [--bind ADDR] [--port N] [--metrics-port N] [--grace SECONDS] "
              + "[--tls-cert PEM --tls-key PEM [--tls-client-ca PEM]]");
          System.exit(2);
        }
      }
    }
    DatabaseTierBuilder builder = DatabaseTier.builder().instances(1).transport(Transport.NETTY).bindAddress(bind)
        .ports(List.of(port)).metricsPorts(List.of(metricsPort)).namePrefix("gateway");
    if (tlsCert != null || tlsKey != null) {
      if (tlsCert == null || tlsKey == null) {
        System.err.println("GatewayServer: --tls-cert and --tls-key go together");
        System.exit(2);
      }
      // with --tls-client-ca, only clients with a certificate signed by that CA are served (mTLS)
      TlsServerCredentials.Builder tls = TlsServerCredentials.newBuilder().keyManager(tlsCert, tlsKey);
      if (tlsClientCa != null) {
        tls.trustManager(tlsClientCa).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
      }
      builder.tls(tls.build());
    }
    DatabaseTier tier = builder.start();
    FakeDatabaseInstance gateway = tier.instance(0);
    log("sf-database gateway serving shakenfist.protos.DatabaseService on " + bind + ":" + gateway.port()
        + ", metrics on " + bind + ":" + gateway.metricsPort() + "/metrics");
    CountDownLatch stop = new CountDownLatch(1);
    // SIGTERM / SIGINT start the drain; a drained gateway exits 0, as a service manager expects of a clean stop
    // (the JVM's default for a signal is exit code 143 / 130 after its shutdown hooks)
    for (String name : List.of("TERM", "INT")) {
      sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stop.countDown());
    }
    stop.await();
    log("draining: NOT_SERVING, then graceful stop within " + grace);
    gateway.drain(grace);
    tier.close();
    log("stopped");
    System.exit(0);
  }
}
