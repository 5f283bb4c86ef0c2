package org.shakenfist.sfdb.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.client.DatabaseChannels;
import org.shakenfist.sfdb.client.Transport;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;
import org.shakenfist.sfdb.proto.GetObjectStateRequest;
import org.shakenfist.sfdb.proto.ObjectType;
import org.shakenfist.sfdb.proto.SetObjectStateRequest;
import org.shakenfist.sfdb.testkit.internal.CounterNames;
import shakenfist.protos.DaemonView.GetInstanceReply;
import shakenfist.protos.DaemonView.GetInstanceRequest;

/** The fake as the real gateway is on the wire: every ObjectType its own key, upstream's counter names, 4 MiB. */
class WireFidelityTest {

  @ParameterizedTest
  @EnumSource(Transport.class)
  void everyObjectTypeIsItsOwnKeyIncludingTheFederationTypes(Transport transport) {
    try (DatabaseTier tier = DatabaseTier.builder().instances(1).transport(transport).start()) {
      var db = DatabaseServiceGrpc.newBlockingStub(tier.channel());
      assertEquals(33, ObjectType.values().length - 1, "upstream's 33 values, 0-32 (and protobuf's UNRECOGNIZED)");
      db.setObjectState(SetObjectStateRequest.newBuilder().setObjectType(ObjectType.OBJECT_TYPE_MAPPING_RULE)
          .setObjectUuid("u1").setStateValue("created").build());
      db.setObjectState(SetObjectStateRequest.newBuilder().setObjectType(ObjectType.OBJECT_TYPE_NAMESPACE_CLAIM)
          .setObjectUuid("u1").setStateValue("deleted").build());
      assertEquals("created", db.getObjectState(get(ObjectType.OBJECT_TYPE_MAPPING_RULE, "u1")).getStateValue());
      assertEquals("deleted", db.getObjectState(get(ObjectType.OBJECT_TYPE_NAMESPACE_CLAIM, "u1")).getStateValue());
      assertFalse(db.getObjectState(get(ObjectType.OBJECT_TYPE_TRUSTED_ISSUER, "u1")).getFound(), "never written");
      // a number this build's enum does not know is kept apart too (parsed as UNRECOGNIZED, its number kept)
      db.setObjectState(SetObjectStateRequest.newBuilder().setObjectTypeValue(40).setObjectUuid("u1")
          .setStateValue("future").build());
      assertFalse(db.getObjectState(GetObjectStateRequest.newBuilder().setObjectTypeValue(41).setObjectUuid("u1")
          .build()).getFound());
      assertEquals("future", db.getObjectState(GetObjectStateRequest.newBuilder().setObjectTypeValue(40)
          .setObjectUuid("u1").build()).getStateValue());
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void handWrittenCounterNamesAreUpstreamsAndTheLabelIsTheRpcName(Transport transport) {
    try (DatabaseTier tier = DatabaseTier.builder().instances(1).transport(transport).start()) {
      tier.responses().answer("GetIPAM", GetInstanceRequest.parser(), r -> GetInstanceReply.getDefaultInstance());
      tier.responses().answer("GetDnsMasq", GetInstanceRequest.parser(), r -> GetInstanceReply.getDefaultInstance());
      var daemon = shakenfist.protos.DatabaseServiceGrpc.newBlockingStub(tier.channel());
      daemon.getIPAM(GetInstanceRequest.getDefaultInstance());
      daemon.getDnsMasq(GetInstanceRequest.getDefaultInstance());
      daemon.getDnsMasq(GetInstanceRequest.getDefaultInstance());
      Map<String, Double> c = tier.instance(0).counters();
      assertEquals(1.0, c.get("database_get_ipam_total"), c.toString());
      assertEquals(2.0, c.get("database_get_dnsmasq_total"), c.toString());
      assertEquals(2.0, c.get("database_requests_total{caller_daemon=\"unknown\",operation=\"GetDnsMasq\"}"), c.toString());
      assertFalse(c.containsKey("database_get_i_p_a_m_total") || c.containsKey("database_get_dns_masq_total"), c.toString());
      assertEquals(11, CounterNames.HAND_WRITTEN.size());
      assertEquals("get_cluster_config", CounterNames.operation("GetClusterConfig"), "the rest stay mechanical");
      if (transport == Transport.NETTY) {
        assertTrue(tier.instance(0).scrape().contains("database_get_ipam_total 1.0"), tier.instance(0).scrape());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aRequestOverGrpcsDefault4MiBIsRefusedAsTheRealGatewayRefusesIt(Transport transport) throws Exception {
    try (DatabaseTier tier = DatabaseTier.builder().instances(1).transport(transport).start();
        DatabaseChannel channel = DatabaseChannels.fromConfig(tier.channelConfigBuilder()
            .deadline(Duration.ofSeconds(20)).build())) {
      var db = DatabaseServiceGrpc.newBlockingStub(channel);
      String fits = "x".repeat(FakeDatabaseInstance.MAX_REQUEST_BYTES - 1024);
      assertTrue(db.setObjectState(set(fits)).getSuccess(), "just under 4 MiB is taken");
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> db.setObjectState(set("x".repeat(FakeDatabaseInstance.MAX_REQUEST_BYTES + 1))));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
    }
  }

  private static GetObjectStateRequest get(ObjectType type, String uuid) {
    return GetObjectStateRequest.newBuilder().setObjectType(type).setObjectUuid(uuid).build();
  }

  private static SetObjectStateRequest set(String state) {
    return SetObjectStateRequest.newBuilder().setObjectType(ObjectType.OBJECT_TYPE_INSTANCE).setObjectUuid("big")
        .setStateValue(state).build();
  }
}
