package org.shakenfist.sfdb.client.internal.health;

import io.grpc.Attributes;
import io.grpc.ClientStreamTracer;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import java.net.SocketAddress;

/** What the SDK's health probes share: the request, how a failed probe is described, the remote address. */
public final class HealthChecks {
  /** {@code Health/Check} of service {@code ""}, the only one the real gateway registers. */
  public static final HealthCheckRequest ALL_SERVICES = HealthCheckRequest.newBuilder().setService("").build();

  /** The cause a verdict carries when the instance stopped answering its polls (not when it said NOT_SERVING). */
  private static final Throwable UNANSWERED = new Throwable("health polls unanswered", null, false, false) {};

  private HealthChecks() {}

  /** A verdict's problem for polls the instance left unanswered ({@link #unanswered(Status)} tells it apart). */
  public static Status unanswered(String description) {
    return Status.UNAVAILABLE.withDescription(description).withCause(UNANSWERED);
  }

  /** Whether {@code s} is a verdict's problem because the instance stopped answering, not because it said so. */
  public static boolean unanswered(Status s) {
    return s.getCause() == UNANSWERED;
  }

  /** {@code UNAVAILABLE: io exception}, or just the code when there is no description. */
  public static String describe(Status s) {
    return s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription());
  }

  /** A call attempt's tracer that remembers the address of the instance that served it (null: none did). */
  public static class RemoteAddressTracer extends ClientStreamTracer {
    private volatile SocketAddress remote;

    @Override
    public void streamCreated(Attributes transportAttrs, Metadata headers) {
      remote = transportAttrs.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    }

    public SocketAddress remote() {
      return remote;
    }
  }
}
