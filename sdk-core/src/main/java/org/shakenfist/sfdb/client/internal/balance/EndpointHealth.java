package org.shakenfist.sfdb.client.internal.balance;

import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.Status;
import org.shakenfist.sfdb.client.EndpointState.Health;
import org.shakenfist.sfdb.client.internal.health.HealthChecks;

/**
 * What one instance's health producer and connection last said, and the verdict and problem the endpoint view
 * shows from them. On the policy's synchronization context (the raw state: on the subchannel's callback).
 */
final class EndpointHealth {
  private volatile ConnectivityStateInfo raw = ConnectivityStateInfo.forNonError(ConnectivityState.IDLE);
  private ConnectivityStateInfo health = ConnectivityStateInfo.forNonError(ConnectivityState.CONNECTING);
  private Health verdict = Health.UNKNOWN;

  void raw(ConnectivityStateInfo info) {
    raw = info;
  }

  /** The producer's report; {@code connected}: the instance's connection is READY. */
  void report(ConnectivityStateInfo info, boolean connected) {
    health = info;
    if (info.getState() == ConnectivityState.READY) {
      verdict = Health.SERVING;
    } else if (info.getState() == ConnectivityState.TRANSIENT_FAILURE && connected) {
      verdict = Health.NOT_SERVING;
    } else if (info.getState() == ConnectivityState.CONNECTING || info.getState() == ConnectivityState.IDLE) {
      verdict = Health.UNKNOWN; // (re)connecting: the last verdict no longer holds
    } // a connection failure (TRANSIENT_FAILURE while not READY) leaves the last verdict as it was
  }

  ConnectivityState state() {
    return health.getState();
  }

  /** Out because its polls went unanswered (a late or overloaded instance), not because it said NOT_SERVING. */
  boolean unanswered() {
    return health.getState() == ConnectivityState.TRANSIENT_FAILURE && HealthChecks.unanswered(health.getStatus());
  }

  Health verdict() {
    return verdict;
  }

  /** Why an instance out of the rotation is out ("" when in, or when nothing says). */
  String problem(boolean in, boolean connected) {
    if (in) {
      return "";
    }
    if (connected) {
      Status s = health.getStatus();
      return s.isOk() ? "" : s.getDescription() == null ? s.getCode().toString() : s.getDescription();
    }
    return raw.getStatus().isOk() ? "" : HealthChecks.describe(raw.getStatus());
  }
}
