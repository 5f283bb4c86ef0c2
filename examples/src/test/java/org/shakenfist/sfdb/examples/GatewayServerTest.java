package org.shakenfist.sfdb.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.StatusRuntimeException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shakenfist.sfdb.testkit.TestCertificates;
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.DatabaseChannels;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;

class GatewayServerTest {

  @Test
  void servesLogsItsAddressAndDrainsOnSigterm() throws Exception {
    int port = freePort();
    int metricsPort = freePort();
    Process gateway = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
        System.getProperty("java.class.path"), "org.shakenfist.sfdb.examples.GatewayServer",
        "--bind", "127.0.0.1", "--port", String.valueOf(port), "--metrics-port", String.valueOf(metricsPort),
        "--grace", "2").redirectErrorStream(true).start();
    List<String> lines = new ArrayList<>();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(gateway.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = out.readLine()) != null) {
        lines.add(line);
        if (line.contains("serving shakenfist.protos.DatabaseService")) {
          break;
        }
      }
      assertTrue(String.join("\n", lines).contains("on 127.0.0.1:" + port + ", metrics on 127.0.0.1:" + metricsPort),
          String.join("\n", lines));
      try (DatabaseChannel ch = DatabaseChannels.fromConfig(DatabaseChannelConfig.builder()
          .hosts("127.0.0.1:" + port).build())) {
        ch.awaitReady(1, Duration.ofSeconds(20));
        assertEquals(HealthCheckResponse.ServingStatus.SERVING,
            HealthGrpc.newBlockingStub(ch).check(HealthCheckRequest.getDefaultInstance()).getStatus());
        assertTrue(DatabaseServiceGrpc.newBlockingStub(ch).getClusterConfig(ClusterConfigRequest.getDefaultInstance())
            .getEntriesCount() > 0);
      }
      long start = System.nanoTime();
      gateway.toHandle().destroy(); // SIGTERM; Process.destroy() would also close our end of its output
      while ((line = out.readLine()) != null) {
        lines.add(line);
      }
      assertTrue(gateway.waitFor(20, TimeUnit.SECONDS), "gateway exits after draining");
      assertEquals(0, gateway.exitValue(), "a clean SIGTERM drain exits 0");
      String all = String.join("\n", lines);
      assertTrue(all.contains("draining: NOT_SERVING, then graceful stop within PT2S"), all);
      assertTrue(all.contains("stopped"), all);
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(15), "drain honours the grace period");
    } finally {
      gateway.destroyForcibly();
    }
  }

  @Test
  void servesMutualTlsToClientsWithACertificateOnly(@TempDir Path dir) throws Exception {
    TestCertificates.unavailableReason().ifPresent(Assumptions::abort);
    TestCertificates certs = TestCertificates.generate(dir);
    int port = freePort();
    Process gateway = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
        System.getProperty("java.class.path"), "org.shakenfist.sfdb.examples.GatewayServer",
        "--bind", "127.0.0.1", "--port", String.valueOf(port), "--metrics-port", String.valueOf(freePort()),
        "--tls-cert", certs.serverCert().toString(), "--tls-key", certs.serverKey().toString(),
        "--tls-client-ca", certs.ca().toString()).redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(gateway.getInputStream(), StandardCharsets.UTF_8));
      for (String line; (line = out.readLine()) != null; ) {
        if (line.contains("serving shakenfist.protos.DatabaseService")) {
          break;
        }
      }
      Map<String, String> env = Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", "127.0.0.1:" + port,
          "SHAKENFIST_MARIADB_GATEWAY_TLS_CA", certs.ca().toString(),
          "SHAKENFIST_MARIADB_GATEWAY_TLS_CERT", certs.clientCert().toString(),
          "SHAKENFIST_MARIADB_GATEWAY_TLS_KEY", certs.clientKey().toString());
      try (DatabaseChannel ch = DatabaseChannels.fromEnv(env)) {
        ch.awaitReady(1, Duration.ofSeconds(20));
        assertTrue(DatabaseServiceGrpc.newBlockingStub(ch).getClusterConfig(ClusterConfigRequest.getDefaultInstance())
            .getEntriesCount() > 0);
      }
      Map<String, String> noCert = Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", "127.0.0.1:" + port,
          "SHAKENFIST_MARIADB_GATEWAY_TLS_CA", certs.ca().toString());
      try (DatabaseChannel ch = DatabaseChannels.fromEnv(noCert)) {
        assertThrows(StatusRuntimeException.class, () -> DatabaseServiceGrpc.newBlockingStub(ch)
            .withDeadlineAfter(10, TimeUnit.SECONDS).getClusterConfig(ClusterConfigRequest.getDefaultInstance()));
      }
    } finally {
      gateway.destroyForcibly();
    }
  }

  @Test
  void aBadOrUnreachableJdbcUrlIsOneLineNamingItWithThePasswordHiddenAndExit2() throws Exception {
    String[][] cases = {
        {"--jdbc", "postgres://db/x"},
        {"--jdbc", "jdbc:mariadb://127.0.0.1:1/shakenfist?user=shakenfist&password=s3cret&sslMode=disable"},
        {"migrate", "--jdbc", "jdbc:mariadb://127.0.0.1:1/shakenfist?user=shakenfist&password=s3cret"},
    };
    String[] expected = {"--jdbc must be a jdbc:mariadb://", "cannot reach the database at "
        + "jdbc:mariadb://127.0.0.1:1/shakenfist?user=shakenfist&password=***&sslMode=disable: ",
        "cannot reach the database at jdbc:mariadb://127.0.0.1:1/shakenfist?user=shakenfist&password=***: "};
    for (int i = 0; i < cases.length; i++) {
      List<String> cmd = new ArrayList<>(List.of(
          ProcessHandle.current().info().command().orElse("java"), "-cp", System.getProperty("java.class.path"),
          GatewayServer.class.getName()));
      cmd.addAll(List.of(cases[i]));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      assertEquals(2, p.exitValue(), out);
      assertEquals(1, out.lines().count(), "one line: " + out);
      assertTrue(out.startsWith("GatewayServer: ") && out.contains(expected[i]), out);
      assertFalse(out.contains("s3cret"), out);
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
