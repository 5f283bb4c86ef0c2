package org.shakenfist.sfdb.client.internal.count;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientStreamTracer;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.concurrent.ScheduledFuture;
import org.shakenfist.sfdb.client.CallerMetadata;
import org.shakenfist.sfdb.client.internal.channel.DefaultDeadline;

/**
 * Adds {@code caller-daemon} / {@code caller-node} metadata to every call (unless the caller set them) and
 * attaches the per-endpoint accounting tracer; enforces the channel's default deadline when the SDK does so
 * itself ({@link DefaultDeadline}).
 *
 * <p>Per call it copies the call's options once (one stream tracer factory: the accounting's, or the default
 * deadline's {@link DefaultDeadline.Expiry}, which makes the accounting's tracers) and adds the caller metadata
 * as bytes marshalled when the channel was built.
 */
public final class SfdbClientInterceptor implements ClientInterceptor {
  private final String callerDaemon;
  private final String callerNode;
  /** Both caller keys, marshalled once; merged into a call's headers when it set neither. */
  private final Metadata caller = new Metadata();
  private final EndpointAccounting accounting;
  private final String tierDescription;
  private final DefaultDeadline deadline;

  /**
   * {@code accounting} may be null when per-endpoint counting is off; {@code hosts} is named in UNAVAILABLE
   * errors so a caller can tell which tier was down; {@code deadline} is null when grpc enforces the default
   * deadline (it is then in the service config).
   */
  public SfdbClientInterceptor(String callerDaemon, String callerNode, EndpointAccounting accounting, String hosts,
      DefaultDeadline deadline) {
    this.callerDaemon = callerDaemon;
    this.callerNode = callerNode;
    this.accounting = accounting;
    this.tierDescription = "sf-database tier " + hosts;
    this.deadline = deadline;
    caller.put(CallerMetadata.CALLER_DAEMON, callerDaemon);
    caller.put(CallerMetadata.CALLER_NODE, callerNode);
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    ClientStreamTracer.Factory counting = accounting == null ? null : accounting.factoryFor(method);
    DefaultDeadline.Expiry expiry = deadline != null && deadline.appliesTo(callOptions)
        ? new DefaultDeadline.Expiry(counting) : null;
    CallOptions options = expiry != null ? DefaultDeadline.withExpiry(callOptions, expiry)
        : counting != null ? callOptions.withStreamTracerFactory(counting) : callOptions;
    return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<RespT> responseListener, Metadata headers) {
        boolean daemon = headers.containsKey(CallerMetadata.CALLER_DAEMON);
        boolean node = headers.containsKey(CallerMetadata.CALLER_NODE);
        if (!daemon && !node) {
          headers.merge(caller); // shares the marshalled bytes, which nothing writes to
        } else {
          if (!daemon) {
            headers.put(CallerMetadata.CALLER_DAEMON, callerDaemon);
          }
          if (!node) {
            headers.put(CallerMetadata.CALLER_NODE, callerNode);
          }
        }
        ScheduledFuture<?> timeout = expiry == null ? null : deadline.arm(delegate(), expiry);
        super.start(new SimpleForwardingClientCallListener<RespT>(responseListener) {
          @Override
          public void onClose(Status status, Metadata trailers) {
            if (timeout != null) {
              timeout.cancel(false);
              status = deadline.closing(status, expiry);
            }
            super.onClose(status.getCode() == Status.Code.UNAVAILABLE
                ? status.augmentDescription(tierDescription) : status, trailers);
          }
        }, headers);
      }
    };
  }
}
