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

  private HealthChecks() {}

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
