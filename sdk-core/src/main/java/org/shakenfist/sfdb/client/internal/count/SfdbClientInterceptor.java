package org.shakenfist.sfdb.client.internal.count;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import org.shakenfist.sfdb.client.CallerMetadata;

/**
 * Adds {@code caller-daemon} / {@code caller-node} metadata to every call (unless the caller set them) and
 * attaches the per-endpoint accounting tracer.
 */
public final class SfdbClientInterceptor implements ClientInterceptor {
  private final String callerDaemon;
  private final String callerNode;
  private final EndpointAccounting accounting;
  private final String tierDescription;

  /**
   * {@code accounting} may be null when per-endpoint counting is off; {@code hosts} is named in UNAVAILABLE
   * errors so a caller can tell which tier was down.
   */
  public SfdbClientInterceptor(String callerDaemon, String callerNode, EndpointAccounting accounting, String hosts) {
    this.callerDaemon = callerDaemon;
    this.callerNode = callerNode;
    this.accounting = accounting;
    this.tierDescription = "sf-database tier " + hosts;
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    CallOptions options =
        accounting == null ? callOptions : callOptions.withStreamTracerFactory(accounting.factoryFor(method));
    return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<RespT> responseListener, Metadata headers) {
        if (!headers.containsKey(CallerMetadata.CALLER_DAEMON)) {
          headers.put(CallerMetadata.CALLER_DAEMON, callerDaemon);
        }
        if (!headers.containsKey(CallerMetadata.CALLER_NODE)) {
          headers.put(CallerMetadata.CALLER_NODE, callerNode);
        }
        super.start(new SimpleForwardingClientCallListener<RespT>(responseListener) {
          @Override
          public void onClose(Status status, Metadata trailers) {
            super.onClose(status.getCode() == Status.Code.UNAVAILABLE
                ? status.augmentDescription(tierDescription) : status, trailers);
          }
        }, headers);
      }
    };
  }
}
