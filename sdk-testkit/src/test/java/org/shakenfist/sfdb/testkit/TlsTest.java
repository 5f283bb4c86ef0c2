package org.shakenfist.sfdb.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.grpc.ServerCredentials;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsServerCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shakenfist.sfdb.client.CallCounts;
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.client.DatabaseChannels;
import org.shakenfist.sfdb.client.DatabaseConfigException;
import org.shakenfist.sfdb.client.Transport;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;

/** TLS and mTLS from the environment, against fake instances serving TLS; certificates made per run. */
class TlsTest {
  private static final ClusterConfigRequest CC = ClusterConfigRequest.getDefaultInstance();
  private static TestCertificates certs;

  @BeforeAll
  static void certificates(@TempDir Path dir) throws Exception {
    TestCertificates.unavailableReason().ifPresent(reason -> {
      if ("true".equals(System.getenv("CI"))) {
        fail("CI must run the TLS tests: " + reason);
      }
      Assumptions.abort(reason);
    });
    certs = TestCertificates.generate(dir);
  }

  private static DatabaseTier tier(boolean requireClientCertificates) throws Exception {
    TlsServerCredentials.Builder tls = TlsServerCredentials.newBuilder()
        .keyManager(certs.serverCert().toFile(), certs.serverKey().toFile());
    if (requireClientCertificates) {
      tls.trustManager(certs.ca().toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
    }
    ServerCredentials credentials = tls.build();
    return DatabaseTier.builder().instances(2).transport(Transport.NETTY).tls(credentials).start();
  }

  private static Map<String, String> env(DatabaseTier tier, String... more) {
    Map<String, String> env = new HashMap<>(tier.env());
    for (int i = 0; i < more.length; i += 2) {
      env.put(more[i], more[i + 1]);
    }
    return env;
  }

  @Test
  void tlsFromTheEnvironmentWorksAndStillFansOut() throws Exception {
    try (DatabaseTier tier = tier(false);
        DatabaseChannel ch = DatabaseChannels.fromEnv(env(tier, "SHAKENFIST_MARIADB_GATEWAY_TLS_CA", certs.ca().toString()))) {
      ch.awaitReady(2, Duration.ofSeconds(20));
      var stub = DatabaseServiceGrpc.newBlockingStub(ch);
      CallCounts before = ch.callCounts();
      for (int i = 0; i < 100; i++) {
        stub.getClusterConfig(CC);
      }
      CallCounts split = ch.callCounts().minus(before);
      for (FakeDatabaseInstance i : tier.instances()) {
        assertEquals(50, split.get(i.endpoint()), 1, split.toString());
      }
    }
  }

  @Test
  void mutualTlsServesAClientWithACertificateAndRefusesOneWithout() throws Exception {
    try (DatabaseTier tier = tier(true)) {
      try (DatabaseChannel withCert = DatabaseChannels.fromEnv(env(tier,
          "SHAKENFIST_MARIADB_GATEWAY_TLS_CA", certs.ca().toString(),
          "SHAKENFIST_MARIADB_GATEWAY_TLS_CERT", certs.clientCert().toString(),
          "SHAKENFIST_MARIADB_GATEWAY_TLS_KEY", certs.clientKey().toString()))) {
        withCert.awaitReady(2, Duration.ofSeconds(20));
        assertTrue(DatabaseServiceGrpc.newBlockingStub(withCert).getClusterConfig(CC).getEntriesCount() > 0);
      }
      long served = tier.instances().stream().mapToLong(FakeDatabaseInstance::requestCount).sum();
      try (DatabaseChannel withoutCert = DatabaseChannels.fromEnv(env(tier,
          "SHAKENFIST_MARIADB_GATEWAY_TLS_CA", certs.ca().toString()))) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
            () -> DatabaseServiceGrpc.newBlockingStub(withoutCert).withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
                .getClusterConfig(CC));
        assertTrue(e.getStatus().getCode() == Status.Code.UNAVAILABLE
            || e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED, e.getStatus().toString());
        assertEquals(served, tier.instances().stream().mapToLong(FakeDatabaseInstance::requestCount).sum(),
            "the call without a client certificate never reached an instance");
      }
    }
  }

  @Test
  void aWrongCaFailsNamingTheHosts() throws Exception {
    try (DatabaseTier tier = tier(false);
        DatabaseChannel ch = DatabaseChannels.fromEnv(env(tier,
            "SHAKENFIST_MARIADB_GATEWAY_TLS_CA", certs.otherCa().toString()))) {
      TimeoutException e = assertThrows(TimeoutException.class, () -> ch.awaitReady(2, Duration.ofSeconds(2)));
      for (FakeDatabaseInstance i : tier.instances()) {
        assertTrue(e.getMessage().contains(i.endpoint() + " unreachable (UNAVAILABLE"), e.getMessage());
      }
      StatusRuntimeException call = assertThrows(StatusRuntimeException.class,
          () -> DatabaseServiceGrpc.newBlockingStub(ch).getClusterConfig(CC));
      assertEquals(Status.Code.UNAVAILABLE, call.getStatus().getCode());
      assertTrue(call.getMessage().contains("sf-database tier " + tier.hostsString()), call.getMessage());
      assertEquals(0, tier.instances().stream().mapToLong(FakeDatabaseInstance::requestCount).sum());
    }
  }

  @Test
  void badTlsFilesAreConfigurationErrorsNamingTheVariable(@TempDir Path dir) throws Exception {
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate\n");
    Map<String, String> base = Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", "127.0.0.1");
    DatabaseConfigException missing = assertThrows(DatabaseConfigException.class, () -> DatabaseChannels.fromEnv(
        with(base, "SHAKENFIST_MARIADB_GATEWAY_TLS_CA", dir.resolve("nope.pem").toString())));
    assertEquals("SHAKENFIST_MARIADB_GATEWAY_TLS_CA", missing.variable());
    assertTrue(missing.getMessage().contains("nope.pem") && missing.getMessage().contains("cannot be read"),
        missing.getMessage());
    DatabaseConfigException bad = assertThrows(DatabaseConfigException.class, () -> DatabaseChannels.fromEnv(
        with(base, "SHAKENFIST_MARIADB_GATEWAY_TLS_CERT", garbage.toString())));
    assertEquals("SHAKENFIST_MARIADB_GATEWAY_TLS_CERT", bad.variable());
    DatabaseConfigException key = assertThrows(DatabaseConfigException.class, () -> DatabaseChannels.fromEnv(
        with(base, "SHAKENFIST_MARIADB_GATEWAY_TLS_KEY", certs.clientCert().toString())));
    assertEquals("SHAKENFIST_MARIADB_GATEWAY_TLS_KEY", key.variable());
    assertTrue(key.getMessage().contains("PKCS#8"), key.getMessage());
    DatabaseConfigException half = assertThrows(DatabaseConfigException.class, () -> DatabaseChannels.fromEnv(
        with(base, "SHAKENFIST_MARIADB_GATEWAY_TLS_CERT", certs.clientCert().toString())));
    assertTrue(half.getMessage().contains("SHAKENFIST_MARIADB_GATEWAY_TLS_KEY (tlsKey) is not set"), half.getMessage());
  }

  private static Map<String, String> with(Map<String, String> base, String key, String value) {
    Map<String, String> env = new HashMap<>(base);
    env.put(key, value);
    return env;
  }
}
