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
import org.shakenfist.sfdb.testkit.SharedStore;

/** The fake DatabaseService: answers from the tier's shared store. Counting and faults live in interceptors. */
public final class DatabaseServiceImpl extends DatabaseServiceGrpc.DatabaseServiceImplBase {
  private final SharedStore store;

  public DatabaseServiceImpl(SharedStore store) {
    this.store = store;
  }

  @Override
  public void getClusterConfig(ClusterConfigRequest request, StreamObserver<ClusterConfigReply> out) {
    ClusterConfigReply.Builder reply = ClusterConfigReply.newBuilder();
    store.clusterConfig().forEach((k, v) ->
        reply.addEntries(ClusterConfigEntry.newBuilder().setKeyName(k).setValueJson(v)));
    out.onNext(reply.build());
    out.onCompleted();
  }

  @Override
  public void getObjectState(GetObjectStateRequest request, StreamObserver<GetObjectStateReply> out) {
    GetObjectStateReply.Builder reply = GetObjectStateReply.newBuilder();
    store.objectState(request.getObjectTypeValue(), request.getObjectUuid()).ifPresentOrElse(
        s -> reply.setFound(true).setStateValue(s.stateValue()).setUpdateTime(s.updateTime()).setMessage(s.message()),
        () -> reply.setFound(false));
    out.onNext(reply.build());
    out.onCompleted();
  }

  @Override
  public void setObjectState(SetObjectStateRequest request, StreamObserver<StatusReply> out) {
    store.setObjectState(request.getObjectTypeValue(), request.getObjectUuid(),
        new SharedStore.ObjectState(request.getStateValue(), request.getUpdateTime(), request.getMessage()));
    out.onNext(StatusReply.newBuilder().setSuccess(true).build());
    out.onCompleted();
  }

  @Override
  public void getAllNamespaceNames(GetAllNamespaceNamesRequest request, StreamObserver<GetAllNamespaceNamesReply> out) {
    out.onNext(GetAllNamespaceNamesReply.newBuilder().addAllNames(store.namespaces()).build());
    out.onCompleted();
  }

  @Override
  public void getNode(GetNodeRequest request, StreamObserver<GetNodeReply> out) {
    GetNodeReply.Builder reply = GetNodeReply.newBuilder();
    store.node(request.getUuid()).ifPresent(n -> reply.setFound(true).setNode(n));
    out.onNext(reply.build());
    out.onCompleted();
  }

}
