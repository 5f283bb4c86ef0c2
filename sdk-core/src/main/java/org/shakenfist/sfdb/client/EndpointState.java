package org.shakenfist.sfdb.client;

import io.grpc.ConnectivityState;
import java.time.Instant;
import java.util.List;

/**
 * What a {@link DatabaseChannel} knows of one configured gateway instance right now (see
 * {@link DatabaseChannel#endpoints()}).
 *
 * <pre>{@code
 * for (EndpointState e : channel.endpoints()) {
 *   System.out.println(e.host() + " " + e.connectivity() + " " + e.health() + (e.inRotation() ? "" : " (out)")
 *       + " since " + e.since() + ", " + e.attempts() + " attempts");
 * }
 * }</pre>
 *
 * @param host the instance as configured
 * @param addresses the socket addresses it resolved to ({@code ip:port}; the server name in-process); empty
 *     before the first resolution
 * @param connectivity the connection state of its best address (READY over CONNECTING over IDLE over
 *     TRANSIENT_FAILURE); IDLE before any connection was tried
 * @param health the last health-check result the SDK saw
 * @param inRotation whether calls are sent to it now (READY and, with health checks on, SERVING and not
 *     ejected; in a panic, the operator guide says which of the others are in too)
 * @param since when {@code connectivity}, {@code health} or {@code inRotation} last changed (the channel's
 *     creation before any change)
 * @param attempts call attempts it served since the channel was built (0 when counting is off)
 * @param problem why it is out of the rotation, or empty
 */
public record EndpointState(GatewayHost host, List<String> addresses, ConnectivityState connectivity,
    Health health, boolean inRotation, Instant since, long attempts, String problem) {

  public EndpointState {
    addresses = List.copyOf(addresses);
  }

  /** An instance's health as the SDK last saw it. */
  public enum Health {
    /** The last {@code Health/Check} poll answered SERVING (or the server has no health service). */
    SERVING,
    /** The instance said NOT_SERVING, or its polls went unanswered {@code HEALTH_POLL_FAILURES} times in a row. */
    NOT_SERVING,
    /** Not known yet: not connected, or connected and no health answer yet (such an instance takes no calls). */
    UNKNOWN,
    /** Health checking is off ({@code HEALTH_CHECK=off}). */
    UNCHECKED
  }
}
