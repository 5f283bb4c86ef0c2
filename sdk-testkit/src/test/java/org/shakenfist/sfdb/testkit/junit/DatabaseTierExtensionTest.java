package org.shakenfist.sfdb.testkit.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.testkit.DatabaseTier;
import org.shakenfist.sfdb.testkit.FakeDatabaseInstance;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;

@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DatabaseTierExtensionTest {
  @RegisterExtension
  static DatabaseTierExtension tier = DatabaseTierExtension.instances(3);

  @Test
  @Order(1)
  void tierIsRunningAndInjectable(DatabaseTier injected) {
    assertEquals(3, injected.size());
    assertTrue(injected == tier.get());
    var reply = DatabaseServiceGrpc.newBlockingStub(injected.channel()).getClusterConfig(ClusterConfigRequest.getDefaultInstance());
    assertTrue(reply.getEntriesCount() > 0);
    injected.instance(0).kill();
    injected.instance(1).setServing(false);
  }

  @Test
  @Order(2)
  void faultsFromTheLastTestWereReset() {
    assertTrue(tier.get().instances().stream().allMatch(FakeDatabaseInstance::isServing), tier.get().toString());
  }
}
