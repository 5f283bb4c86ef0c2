package org.shakenfist.sfdb.examples;

import java.io.PrintStream;
import java.util.Map;
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.client.DatabaseChannels;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;
import org.shakenfist.sfdb.proto.GetObjectStateRequest;
import org.shakenfist.sfdb.proto.ObjectType;

/**
 * A minimal daemon: one channel from the environment, shared for the life of the process.
 *
 * <pre>
 * SHAKENFIST_MARIADB_GATEWAY_HOSTS=10.0.0.20,10.0.0.21 SHAKENFIST_CALLER_DAEMON=sf-example \
 *   java -cp examples/target/sfdb-examples.jar org.shakenfist.sfdb.examples.DaemonExample
 * </pre>
 */
public final class DaemonExample {
  private DaemonExample() {}

  public static void main(String[] args) {
    OneLineLogs.install();
    System.exit(run(System.getenv(), System.out));
  }

  /** The daemon's work against the tier that {@code env} names; returns the exit code. */
  static int run(Map<String, String> env, PrintStream out) {
    try (DatabaseChannel channel = DatabaseChannels.fromEnv(env)) {
      var db = DatabaseServiceGrpc.newBlockingStub(channel);
      for (int i = 0; i < 10; i++) {
        int entries = db.getClusterConfig(ClusterConfigRequest.getDefaultInstance()).getEntriesCount();
        boolean found = db.getObjectState(GetObjectStateRequest.newBuilder()
            .setObjectType(ObjectType.OBJECT_TYPE_INSTANCE).setObjectUuid("example").build()).getFound();
        out.println("call " + i + ": " + entries + " config entries, example instance found=" + found);
      }
      out.println("calls per gateway endpoint: " + channel.callCounts());
    }
    return 0;
  }
}
