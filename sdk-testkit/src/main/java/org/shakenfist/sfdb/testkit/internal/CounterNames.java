package org.shakenfist.sfdb.testkit.internal;

import com.google.common.base.CaseFormat;
import java.util.Map;

/**
 * The {@code <op>} of the real gateway's {@code database_<op>_total} counter for each DatabaseService RPC.
 * Upstream writes the names by hand (shakenfist/daemons/database/main.py, {@code Monitor.__init__}'s
 * {@code operations} list, and {@code self.monitor.counters['<op>']} in each handler); for all but the RPCs in
 * {@link #HAND_WRITTEN} they are the RPC's name in snake_case. Its labelled {@code database_requests_total}
 * uses the RPC's own name instead ({@code _method_to_operation}: "several RPCs carry acronym runs (GetIPAM,
 * GetDnsMasq) that no algorithmic conversion maps back to the hand-written counter names").
 */
public final class CounterNames {
  /**
   * The 11 RPCs whose counter is not the mechanical snake_case of their name (which would give
   * {@code get_i_p_a_m}, {@code get_dns_masq}): the IPAM, ReservationsForIPAM and DnsMasq families, from the
   * "MariaDB IPAM operations" and "MariaDB DnsMasq operations" groups of upstream's list.
   */
  public static final Map<String, String> HAND_WRITTEN = Map.ofEntries(
      Map.entry("CreateIPAM", "create_ipam"),
      Map.entry("GetIPAM", "get_ipam"),
      Map.entry("DeleteIPAM", "delete_ipam"),
      Map.entry("UpdateIPAM", "update_ipam"),
      Map.entry("GetReservationsForIPAM", "get_reservations_for_ipam"),
      Map.entry("DeleteReservationsForIPAM", "delete_reservations_for_ipam"),
      Map.entry("CreateDnsMasq", "create_dnsmasq"),
      Map.entry("GetDnsMasq", "get_dnsmasq"),
      Map.entry("GetDnsMasqs", "get_dnsmasqs"),
      Map.entry("DeleteDnsMasq", "delete_dnsmasq"),
      Map.entry("UpdateDnsMasq", "update_dnsmasq"));

  private CounterNames() {}

  /** {@code GetClusterConfig} → {@code get_cluster_config}; {@code GetIPAM} → {@code get_ipam}. */
  public static String operation(String rpc) {
    String hand = HAND_WRITTEN.get(rpc);
    return hand != null ? hand : CaseFormat.UPPER_CAMEL.to(CaseFormat.LOWER_UNDERSCORE, rpc);
  }
}
