package org.shakenfist.sfdb.testkit;

import static org.shakenfist.sfdb.testkit.junit.FanOutAssertions.assertFansOut;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.DatabaseChannels;
import org.shakenfist.sfdb.client.Transport;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;
import org.shakenfist.sfdb.proto.GetObjectStateRequest;
import org.shakenfist.sfdb.proto.GetAllNamespaceNamesRequest;
import org.shakenfist.sfdb.proto.GetNodeReply;
import org.shakenfist.sfdb.proto.GetNodeRequest;
import org.shakenfist.sfdb.proto.NodeStaticData;
import org.shakenfist.sfdb.proto.ObjectType;
import org.shakenfist.sfdb.proto.StatusReply;
import org.shakenfist.sfdb.proto.SetObjectStateRequest;
import org.shakenfist.sfdb.testkit.internal.PrometheusText;

class DatabaseTierTest {
  private static final ClusterConfigRequest CC = ClusterConfigRequest.getDefaultInstance();

  /** A channel to one instance only. */
  private static DatabaseChannel only(DatabaseTier tier, int i) {
    return DatabaseChannels.fromConfig(tier.channelConfigBuilder().hosts(List.of(tier.instance(i).gatewayHost())).build());
  }

  @Test
  void aSilentOrSlowHealthServiceTakesAnInstanceOutAndItComesBackWhenHealthAnswersAgain() throws Exception {
    try (DatabaseTier tier = DatabaseTier.start(2);
        DatabaseChannel channel = DatabaseChannels.fromConfig(tier.channelConfigBuilder()
            .healthPollInterval(Duration.ofMillis(50)).healthPollTimeout(Duration.ofMillis(100)).build())) {
      channel.awaitReady(2, Duration.ofSeconds(10));
      FakeDatabaseInstance wedged = tier.instance(1);
      wedged.healthSilent(true); // polls taken, never answered: three strikes, then out
      var out = channel.awaitEndpoints(v -> !v.get(1).inRotation(), Duration.ofSeconds(10)).get(1);
      assertTrue(out.problem().contains("DEADLINE_EXCEEDED"), out.toString());
      wedged.healthSilent(false);
      channel.awaitEndpoints(v -> v.get(1).inRotation(), Duration.ofSeconds(10));
      wedged.healthDelay(Duration.ofMillis(300)); // answered, but past the poll's 100 ms deadline
      channel.awaitEndpoints(v -> !v.get(1).inRotation(), Duration.ofSeconds(10));
      assertTrue(wedged.isServing(), "the instance itself still says SERVING: only its health answers are late");
      wedged.clearFaults();
      channel.awaitEndpoints(v -> v.get(1).inRotation(), Duration.ofSeconds(10));
    }
  }

  @Test
  void channelsOfOneProcessShareOneHealthPollPerInstanceAndThePollsGoOnWhenTheLeadingChannelCloses()
      throws Exception {
    Duration interval = Duration.ofMillis(100);
    try (DatabaseTier tier = DatabaseTier.start(2)) {
      DatabaseChannelConfig config = tier.channelConfigBuilder().healthPollInterval(interval).build();
      List<DatabaseChannel> channels = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          DatabaseChannel ch = DatabaseChannels.fromConfig(config);
          channels.add(ch);
          ch.awaitReady(2, Duration.ofSeconds(10));
        }
        for (int round = 0; round < 2; round++) {
          long[] before = {tier.instance(0).healthCheckCalls(), tier.instance(1).healthCheckCalls()};
          long start = System.nanoTime();
          Thread.sleep(1_000);
          double elapsed = (System.nanoTime() - start) / 1e9 + 0.2; // + a poll under way at either end
          // one loop waits >= 0.8 x the interval between an answer and the next poll: never more than this
          long oneLoop = (long) Math.ceil(elapsed / (0.8 * interval.toNanos() / 1e9)) + 1;
          for (int i = 0; i < 2; i++) {
            long polls = tier.instance(i).healthCheckCalls() - before[i];
            assertTrue(polls >= 1 && polls <= oneLoop, "round " + round + ", instance " + i + ": " + polls
                + " polls in " + elapsed + " s from " + channels.size() + " channels (one loop: at most " + oneLoop
                + "; one per channel would be ~" + 10 * channels.size() + ")");
          }
          if (round == 0) { // the first channel up leads both loops: closing it hands them on
            channels.remove(0).close();
          }
        }
        for (DatabaseChannel ch : channels) {
          assertTrue(ch.endpoints().stream().allMatch(e -> e.inRotation()), ch.endpoints().toString());
        }
        tier.instance(1).setServing(false); // one poll, heard by both channels left
        for (DatabaseChannel ch : channels) {
          ch.awaitEndpoints(v -> !v.get(1).inRotation(), Duration.ofSeconds(10));
        }
      } finally {
        for (DatabaseChannel ch : channels) {
          ch.close();
        }
      }
    }
  }

  @Test
  void theTiersWaitsWakeOnTheChangeTheyWaitFor() throws Exception {
    try (DatabaseTier tier = DatabaseTier.start(2)) {
      tier.instance(0).setServing(false);
      Thread flip = new Thread(() -> tier.instance(0).setServing(true));
      flip.start();
      tier.awaitServing(2, Duration.ofSeconds(10));
      flip.join();
      Thread call = new Thread(() -> DatabaseServiceGrpc.newBlockingStub(tier.channel())
          .getClusterConfig(ClusterConfigRequest.getDefaultInstance()));
      call.start();
      RecordedCall c = tier.awaitRecordedCall(r -> r.rpc().equals("GetClusterConfig"), Duration.ofSeconds(10));
      call.join();
      assertEquals("GetClusterConfig", c.rpc());
      assertThrows(java.util.concurrent.TimeoutException.class,
          () -> tier.awaitRecordedCall(r -> r.rpc().equals("Nothing"), Duration.ofMillis(50)));
    }
  }

  @Test
  void eightInstancesStartConcurrentlyAndAllServe() throws Exception {
    try (DatabaseTier tier = DatabaseTier.start(8)) {
      assertEquals(8, tier.size());
      tier.awaitServing(8, Duration.ofSeconds(5));
      tier.warmUp(Duration.ofSeconds(20));
      for (FakeDatabaseInstance i : tier.instances()) {
        assertTrue(i.requestCount() >= 1, i + " served nothing");
      }
    }
  }

  @Test
  void anUnavailableStoreIsAnsweredAsTheRealGatewayDoesReadsOkAndEmptyWritesUnsuccessful() throws Exception {
    SharedStore data = new SharedStore();
    java.util.concurrent.atomic.AtomicBoolean down = new java.util.concurrent.atomic.AtomicBoolean();
    GatewayStore store = (GatewayStore) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {GatewayStore.class}, (proxy, method, args) -> {
          if (down.get()) {
            throw new GatewayStore.Unavailable("database unreachable", null);
          }
          try {
            return method.invoke(data, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
    try (DatabaseTier tier = DatabaseTier.builder().instances(1).store(store).start(); DatabaseChannel a = only(tier, 0)) {
      var db = DatabaseServiceGrpc.newBlockingStub(a);
      SetObjectStateRequest write = SetObjectStateRequest.newBuilder().setObjectType(ObjectType.OBJECT_TYPE_INSTANCE)
          .setObjectUuid("u1").setStateValue("created").build();
      GetObjectStateRequest read = GetObjectStateRequest.newBuilder().setObjectType(ObjectType.OBJECT_TYPE_INSTANCE)
          .setObjectUuid("u1").build();
      assertTrue(db.setObjectState(write).getSuccess());
      assertTrue(db.getObjectState(read).getFound());
      assertFalse(db.getClusterConfig(ClusterConfigRequest.getDefaultInstance()).getEntriesList().isEmpty());
      down.set(true);
      StatusReply failed = db.setObjectState(write);
      assertFalse(failed.getSuccess());
      assertEquals("database unreachable", failed.getError());
      assertFalse(db.getObjectState(read).getFound(), "a read hides the error: OK, not found");
      assertTrue(db.getClusterConfig(ClusterConfigRequest.getDefaultInstance()).getEntriesList().isEmpty());
      assertTrue(db.getAllNamespaceNames(GetAllNamespaceNamesRequest.getDefaultInstance()).getNamesList().isEmpty());
      assertFalse(db.getNode(GetNodeRequest.newBuilder().setUuid("n1").build()).getFound());
    }
  }

  @Test
  void instancesShareOneStore() throws Exception {
    try (DatabaseTier tier = DatabaseTier.start(2); DatabaseChannel a = only(tier, 0); DatabaseChannel b = only(tier, 1)) {
      StatusReply set = DatabaseServiceGrpc.newBlockingStub(a).setObjectState(SetObjectStateRequest.newBuilder()
          .setObjectType(ObjectType.OBJECT_TYPE_INSTANCE).setObjectUuid("u1").setStateValue("created").setUpdateTime(12.5).build());
      assertTrue(set.getSuccess(), set.toString());
      var reply = DatabaseServiceGrpc.newBlockingStub(b).getObjectState(
          GetObjectStateRequest.newBuilder().setObjectType(ObjectType.OBJECT_TYPE_INSTANCE).setObjectUuid("u1").build());
      assertTrue(reply.getFound());
      assertEquals("created", reply.getStateValue());
      assertEquals(12.5, reply.getUpdateTime());
      assertFalse(DatabaseServiceGrpc.newBlockingStub(b).getObjectState(
          GetObjectStateRequest.newBuilder().setObjectType(ObjectType.OBJECT_TYPE_INSTANCE).setObjectUuid("nope").build()).getFound());
      tier.store().addNamespace("team-a");
      assertEquals(List.of("system", "team-a"), DatabaseServiceGrpc.newBlockingStub(a)
          .getAllNamespaceNames(GetAllNamespaceNamesRequest.getDefaultInstance()).getNamesList());
      tier.store().putNode(NodeStaticData.newBuilder().setUuid("n1").setFqdn("sf-1").setIp("10.0.0.1").setVersion(7).build());
      GetNodeReply node = DatabaseServiceGrpc.newBlockingStub(b).getNode(GetNodeRequest.newBuilder().setUuid("n1").build());
      assertTrue(node.getFound() && node.getNode().getVersion() == 7 && "sf-1".equals(node.getNode().getFqdn()), node.toString());
      assertFalse(DatabaseServiceGrpc.newBlockingStub(b).getNode(GetNodeRequest.newBuilder().setUuid("n2").build()).getFound());
      assertEquals(2, tier.instance(0).requestCount());
      assertEquals(4, tier.instance(1).requestCount());
    }
  }

  @Test
  void countersAreServedOnMetricsEndpointInPrometheusFormat() throws Exception {
    try (DatabaseTier tier = DatabaseTier.start(1);
        DatabaseChannel ch = DatabaseChannels.fromConfig(tier.channelConfigBuilder().callerDaemon("net").build());
        DatabaseChannel unlisted = DatabaseChannels.fromConfig(tier.channelConfigBuilder().callerDaemon("sf-net").build())) {
      var stub = DatabaseServiceGrpc.newBlockingStub(ch);
      for (int i = 0; i < 2; i++) {
        stub.getClusterConfig(CC);
      }
      DatabaseServiceGrpc.newBlockingStub(unlisted).getClusterConfig(CC);
      stub.getObjectState(GetObjectStateRequest.newBuilder().setObjectType(ObjectType.OBJECT_TYPE_NETWORK).setObjectUuid("y").build());
      URI uri = tier.instance(0).metricsUri();
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      var samples = PrometheusText.parse(r.body());
      assertEquals(3.0, samples.get("database_get_cluster_config_total"), r.body());
      assertEquals(1.0, samples.get("database_get_object_state_total"), r.body());
      // as the real gateway: operation is the RPC name, a caller outside the allow-list counts as unknown
      assertEquals(2.0, samples.get("database_requests_total{caller_daemon=\"net\",operation=\"GetClusterConfig\"}"),
          r.body());
      assertEquals(1.0, samples.get("database_requests_total{caller_daemon=\"unknown\",operation=\"GetClusterConfig\"}"),
          r.body());
      assertEquals(1.0, samples.get("database_requests_total{caller_daemon=\"net\",operation=\"GetObjectState\"}"),
          r.body());
      assertEquals(samples, PrometheusText.parse(tier.instance(0).scrape()), "HTTP and in-process agree");
      assertEquals(4, tier.instance(0).requestCount());
      assertEquals(PrometheusText.databaseCounters(samples), tier.instance(0).counters(),
          "series read from the meters match the /metrics text");
      assertEquals(4, (long) PrometheusText.sumOperations(samples), "same count from the text");
    }
  }

  @Test
  void faultsFailNextDelayKillRestartDrain() throws Exception {
    try (DatabaseTier tier = DatabaseTier.start(1); DatabaseChannel ch = only(tier, 0)) {
      var stub = DatabaseServiceGrpc.newBlockingStub(ch);
      FakeDatabaseInstance inst = tier.instance(0);
      stub.getClusterConfig(CC);

      inst.failNext(2, Status.RESOURCE_EXHAUSTED);
      for (int i = 0; i < 2; i++) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.getClusterConfig(CC));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains(inst.name()), e.getStatus().toString());
      }
      stub.getClusterConfig(CC);

      inst.delay(Duration.ofMillis(300));
      StatusRuntimeException late = assertThrows(StatusRuntimeException.class,
          () -> stub.withDeadlineAfter(100, java.util.concurrent.TimeUnit.MILLISECONDS).getClusterConfig(CC));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, late.getStatus().getCode());
      inst.delay(Duration.ZERO);

      inst.kill();
      assertFalse(inst.isRunning());
      assertThrows(StatusRuntimeException.class, () -> stub.getClusterConfig(CC));
      assertEquals(5, inst.requestCount(), "a killed instance keeps its last counters readable in-process");

      inst.restart();
      assertTrue(inst.isServing());
      assertEquals(0, inst.requestCount(), "a restart is a new process: counters start at zero");
      TestWait.until(() -> {
        try {
          stub.getClusterConfig(CC);
          return true;
        } catch (StatusRuntimeException e) {
          return false;
        }
      }, Duration.ofSeconds(15), "the channel reconnects to the restarted instance");

      inst.drain(Duration.ofSeconds(2));
      assertFalse(inst.isRunning());
      assertFalse(inst.isServing());
    }
  }

  @Test
  void nettyTierOnSeveralLoopbackAddresses() throws Exception {
    try (DatabaseTier a = DatabaseTier.builder().instances(1).transport(Transport.NETTY).bindAddress("127.0.0.1").start();
        DatabaseTier b = DatabaseTier.builder().instances(1).transport(Transport.NETTY).bindAddress("127.0.0.2")
            .store(a.store()).start()) {
      String hosts = a.hostsString() + "," + b.hostsString();
      assertTrue(hosts.startsWith("127.0.0.1:") && hosts.contains(",127.0.0.2:"), hosts);
      try (DatabaseChannel ch = DatabaseChannels.fromConfig(
          org.shakenfist.sfdb.client.DatabaseChannelConfig.builder().hosts(hosts).build())) {
        var stub = DatabaseServiceGrpc.newBlockingStub(ch);
        TestWait.until(() -> {
          stub.getClusterConfig(CC);
          return a.instance(0).requestCount() > 0 && b.instance(0).requestCount() > 0;
        }, Duration.ofSeconds(15), "both loopback instances serve");
        var before = ch.callCounts();
        for (int i = 0; i < 100; i++) {
          stub.getClusterConfig(CC);
        }
        var delta = ch.callCounts().minus(before);
        assertEquals(50, delta.get(a.instance(0).endpoint()), 1, delta.toString());
        assertEquals(50, delta.get(b.instance(0).endpoint()), 1, delta.toString());
      }
    }
  }

  @Test
  void restartKeepsTheNetworkAddress() throws Exception {
    try (DatabaseTier tier = DatabaseTier.builder().instances(1).transport(Transport.NETTY).start()) {
      FakeDatabaseInstance inst = tier.instance(0);
      String endpoint = inst.endpoint();
      URI metrics = inst.metricsUri();
      inst.restart();
      assertEquals(endpoint, inst.endpoint());
      assertEquals(metrics, inst.metricsUri());
    }
  }

  @Test
  void bindAllTierIsReachedOverLoopback() throws Exception {
    try (DatabaseTier tier = DatabaseTier.builder().instances(2).transport(Transport.NETTY).bindAddress("0.0.0.0").start()) {
      assertTrue(tier.hostsString().matches("127\\.0\\.0\\.1:\\d+,127\\.0\\.0\\.1:\\d+"), tier.hostsString());
      tier.warmUp(Duration.ofSeconds(20));
      assertFansOut(FanOut.of(tier));
    }
  }

  @Test
  void aTierThatCannotStartFailsNamingTheInstance() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      int busy = taken.getLocalPort();
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> DatabaseTier.builder().instances(2)
          .transport(Transport.NETTY).ports(List.of(0, busy)).namePrefix("clash").start());
      assertTrue(e.getMessage().contains("could not start the tier") && e.getMessage().contains("clash-1"),
          e.getMessage());
    }
  }
}
