package org.shakenfist.sfdb.client.internal.balance;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * How the tier policy picks among the instances in the rotation: the values of
 * {@code SHAKENFIST_MARIADB_GATEWAY_LB_POLICY}, each declared here once.
 */
public enum Pick {
  /** Every instance in turn: an exact split on a healthy tier. */
  ROUND_ROBIN("round_robin"),
  /**
   * Power of two choices over calls in flight: of two distinct random instances, the one with fewer calls
   * outstanding through this channel.
   */
  LEAST_REQUEST("least_request"),
  /**
   * Latency- and error-aware: of two distinct random instances, the one with the lower peak-EWMA latency x
   * (calls in flight + 1) (Finagle's and Linkerd's choice); a failed call counts as a slow one; a new or returning
   * instance starts at the tier's typical latency.
   */
  PEAK_EWMA("peak_ewma"),
  /**
   * Every call to one instance: the first in the rotation, kept while it stays in (diagnostics: no fan-out).
   */
  PICK_FIRST("pick_first");

  private final String policyName;

  Pick(String policyName) {
    this.policyName = policyName;
  }

  /** The name in {@code SHAKENFIST_MARIADB_GATEWAY_LB_POLICY}. */
  public String policyName() {
    return policyName;
  }

  /** The value of that name, if it is one. */
  public static Optional<Pick> named(String name) {
    return Arrays.stream(values()).filter(p -> p.policyName.equals(name)).findFirst();
  }

  /** Every name, in declaration order. */
  public static List<String> names() {
    return Arrays.stream(values()).map(Pick::policyName).toList();
  }
}
