package org.shakenfist.sfdb.testkit.internal;

import io.grpc.stub.StreamObserver;
import org.shakenfist.sfdb.proto.ClusterConfigEntry;
import org.shakenfist.sfdb.proto.ClusterConfigReply;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;
import org.shakenfist.sfdb.proto.GetObjectStateReply;
import org.shakenfist.sfdb.proto.GetObjectStateRequest;
import org.shakenfist.sfdb.proto.GetAllNamespaceNamesReply;
import org.shakenfist.sfdb.proto.GetAllNamespaceNamesRequest;
import org.shakenfist.sfdb.proto.GetNodeReply;
import org.shakenfist.sfdb.proto.GetNodeRequest;
import org.shakenfist.sfdb.proto.SetObjectStateRequest;
import org.shakenfist.sfdb.proto.StatusReply;
import org.shakenfist.sfdb.testkit.GatewayStore;

/**
 * The fake DatabaseService: answers from the tier's store. Counting and faults live in interceptors. When the
 * store is {@link GatewayStore.Unavailable unavailable}, it answers as the real gateway does: reads with an OK,
 * empty reply, writes with {@code StatusReply{success=false, error}}.
 */
public final class DatabaseServiceImpl extends DatabaseServiceGrpc.DatabaseServiceImplBase {
  private final GatewayStore store;

  public DatabaseServiceImpl(GatewayStore store) {
    this.store = store;
  }

  /** Answers {@code read}'s reply, or {@code empty} when the store is unavailable (the real gateway's way). */
  private static <T> void read(StreamObserver<T> out, java.util.function.Supplier<T> read, T empty) {
    T reply;
    try {
      reply = read.get();
    } catch (GatewayStore.Unavailable e) {
      reply = empty;
    }
    out.onNext(reply);
    out.onCompleted();
  }

  @Override
  public void getClusterConfig(ClusterConfigRequest request, StreamObserver<ClusterConfigReply> out) {
    read(out, () -> {
      ClusterConfigReply.Builder reply = ClusterConfigReply.newBuilder();
      store.clusterConfig().forEach((k, v) ->
          reply.addEntries(ClusterConfigEntry.newBuilder().setKeyName(k).setValueJson(v)));
      return reply.build();
    }, ClusterConfigReply.getDefaultInstance());
  }

  @Override
  public void getObjectState(GetObjectStateRequest request, StreamObserver<GetObjectStateReply> out) {
    read(out, () -> {
      GetObjectStateReply.Builder reply = GetObjectStateReply.newBuilder();
      store.objectState(request.getObjectTypeValue(), request.getObjectUuid()).ifPresentOrElse(
          s -> reply.setFound(true).setStateValue(s.stateValue()).setUpdateTime(s.updateTime()).setMessage(s.message()),
          () -> reply.setFound(false));
      return reply.build();
    }, GetObjectStateReply.getDefaultInstance());
  }

  @Override
  public void setObjectState(SetObjectStateRequest request, StreamObserver<StatusReply> out) {
    StatusReply reply;
    try {
      store.setObjectState(request.getObjectTypeValue(), request.getObjectUuid(),
          new GatewayStore.ObjectState(request.getStateValue(), request.getUpdateTime(), request.getMessage()));
      reply = StatusReply.newBuilder().setSuccess(true).build();
    } catch (GatewayStore.Unavailable e) {
      reply = StatusReply.newBuilder().setSuccess(false).setError(e.getMessage()).build();
    }
    out.onNext(reply);
    out.onCompleted();
  }

  @Override
  public void getAllNamespaceNames(GetAllNamespaceNamesRequest request, StreamObserver<GetAllNamespaceNamesReply> out) {
    read(out, () -> GetAllNamespaceNamesReply.newBuilder().addAllNames(store.namespaces()).build(),
        GetAllNamespaceNamesReply.getDefaultInstance());
  }

  @Override
  public void getNode(GetNodeRequest request, StreamObserver<GetNodeReply> out) {
    read(out, () -> {
      GetNodeReply.Builder reply = GetNodeReply.newBuilder();
      store.node(request.getUuid()).ifPresent(n -> reply.setFound(true).setNode(n));
      return reply.build();
    }, GetNodeReply.getDefaultInstance());
  }

}
