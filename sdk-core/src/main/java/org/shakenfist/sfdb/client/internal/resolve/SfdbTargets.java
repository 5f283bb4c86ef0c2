package org.shakenfist.sfdb.client.internal.resolve;

import java.util.List;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.GatewayHost;
import org.shakenfist.sfdb.client.GatewayHosts;
import org.shakenfist.sfdb.client.Transport;

/**
 * Target strings of the sfdb resolvers: {@code sfdb:///10.0.0.20:13005,10.0.0.21:13005}. The host list
 * lives in the URI path (not the authority, where raw IPv6 brackets break parsing) with brackets
 * percent-encoded, so the target is a valid RFC 3986 URI.
 */
public final class SfdbTargets {
  /** Scheme of the TCP resolver. */
  public static final String SCHEME = "sfdb";
  /** Scheme of the in-process resolver (each host is an in-process server name). */
  public static final String IN_PROCESS_SCHEME = "sfdb-inprocess";

  private SfdbTargets() {}

  /** The target for the given transport and hosts. */
  public static String target(Transport transport, List<GatewayHost> hosts) {
    String scheme = transport == Transport.IN_PROCESS ? IN_PROCESS_SCHEME : SCHEME;
    return scheme + ":///" + GatewayHosts.render(hosts).replace("[", "%5B").replace("]", "%5D");
  }

  /** Parses the decoded path of a target ({@code /h1:p1,h2:p2}) back to hosts. */
  static List<GatewayHost> hostsOfPath(String decodedPath) {
    String list = decodedPath.startsWith("/") ? decodedPath.substring(1) : decodedPath;
    return GatewayHosts.parse(list, DatabaseChannelConfig.DEFAULT_PORT, "channel target");
  }
}
