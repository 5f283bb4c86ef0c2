package org.shakenfist.sfdb.examples;

import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.shakenfist.sfdb.client.CallCounts;
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.client.DatabaseChannels;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;
import org.shakenfist.sfdb.proto.GetObjectStateReply;
import org.shakenfist.sfdb.proto.GetObjectStateRequest;
import org.shakenfist.sfdb.proto.ObjectType;
import org.shakenfist.sfdb.proto.SetObjectStateRequest;
import org.shakenfist.sfdb.proto.StatusReply;

/**
 * The daemon side of the MariaDB tier test, run on its own host.
 * <ul>
 *   <li>{@code drive}: a channel from the environment calls {@code GetClusterConfig} ~100 times a second until
 *       its stdin closes; every 500 ms it prints {@code tick calls=C failed=F empty=E <endpoint>=N ...} (this
 *       tick's calls per endpoint), at the end {@code done calls=C failed=F empty=E}. An empty reply is the real
 *       gateway's answer to a read it could not serve from the database.
 *   <li>{@code crosscheck A B}: writes an object state through instance A alone, reads it through B alone.
 * </ul>
 */
public final class TierDriver {
  private TierDriver() {}

  public static void main(String[] args) throws Exception {
    OneLineLogs.install();
    if (args.length == 3 && args[0].equals("crosscheck")) {
      System.exit(crosscheck(args[1], args[2]));
    }
    AtomicBoolean stop = new AtomicBoolean();
    Thread stdin = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // until EOF
        }
      } catch (java.io.IOException e) {
        // closed
      }
      stop.set(true);
    });
    stdin.setDaemon(true);
    stdin.start();
    long calls = 0;
    long failed = 0;
    long empty = 0;
    try (DatabaseChannel channel = DatabaseChannels.fromEnv()) {
      channel.awaitReady(2, Duration.ofSeconds(30));
      var db = DatabaseServiceGrpc.newBlockingStub(channel);
      CallCounts last = channel.callCounts();
      long nextTick = System.nanoTime() + 500_000_000L;
      while (!stop.get()) {
        calls++;
        try {
          if (db.getClusterConfig(ClusterConfigRequest.getDefaultInstance()).getEntriesCount() == 0) {
            empty++;
          }
        } catch (StatusRuntimeException e) {
          failed++;
          System.out.println("failed: " + e.getStatus());
        }
        Thread.sleep(10);
        long now0 = System.nanoTime();
        if (now0 >= nextTick) {
          nextTick = now0 + 500_000_000L; // a call that took long makes one long tick, not a burst of catch-ups
          CallCounts now = channel.callCounts();
          Map<String, Long> delta = new TreeMap<>(now.minus(last).byEndpoint());
          last = now;
          StringBuilder line = new StringBuilder("tick calls=" + calls + " failed=" + failed + " empty=" + empty);
          delta.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
          System.out.println(line);
        }
      }
    }
    System.out.println("done calls=" + calls + " failed=" + failed + " empty=" + empty);
  }

  private static int crosscheck(String writer, String reader) throws Exception {
    String uuid = UUID.randomUUID().toString();
    try (DatabaseChannel a = DatabaseChannels.fromEnv(Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", writer));
        DatabaseChannel b = DatabaseChannels.fromEnv(Map.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS", reader))) {
      StatusReply set = DatabaseServiceGrpc.newBlockingStub(a).setObjectState(SetObjectStateRequest.newBuilder()
          .setObjectType(ObjectType.OBJECT_TYPE_INSTANCE).setObjectUuid(uuid).setStateValue("created")
          .setUpdateTime(1.5).build());
      GetObjectStateReply got = DatabaseServiceGrpc.newBlockingStub(b).getObjectState(GetObjectStateRequest
          .newBuilder().setObjectType(ObjectType.OBJECT_TYPE_INSTANCE).setObjectUuid(uuid).build());
      System.out.println("written through " + writer + ": success=" + set.getSuccess() + "; read through " + reader
          + ": found=" + got.getFound() + " state=" + got.getStateValue());
      return set.getSuccess() && got.getFound() && got.getStateValue().equals("created") ? 0 : 1;
    }
  }
}
