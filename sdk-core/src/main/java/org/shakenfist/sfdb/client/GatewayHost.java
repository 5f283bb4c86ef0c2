package org.shakenfist.sfdb.client;

import com.google.common.net.InetAddresses;

/**
 * One sf-database gateway instance: a host (IPv4 literal, IPv6 literal without brackets, or DNS name) and
 * a gRPC port. Instances are immutable values; {@link #toString()} gives the canonical form
 * ({@code 10.0.0.20:13005}, {@code [fd00::1]:13005}, {@code db1.example.com:13005}) that
 * {@link GatewayHosts#parse} reads back to an equal value.
 *
 * <pre>{@code
 * GatewayHost h = GatewayHost.of("10.0.0.20", 13005);
 * }</pre>
 *
 * @param host host name or address literal, normalized (lower case, IPv6 in compressed form)
 * @param port TCP port, 1..65535
 */
public record GatewayHost(String host, int port) {

  /** Validates and normalizes; throws {@link DatabaseConfigException} for a bad host or port. */
  public GatewayHost {
    if (port < 1 || port > 65535) {
      throw new DatabaseConfigException("GatewayHost.port", String.valueOf(port), "port is not in 1..65535");
    }
    host = GatewayHosts.normalizeHost(host, "GatewayHost.host");
  }

  /** Shorthand for the canonical constructor. */
  public static GatewayHost of(String host, int port) {
    return new GatewayHost(host, port);
  }

  /** True when the host is an IPv6 literal (rendered with brackets). */
  public boolean isIpv6Literal() {
    return host.indexOf(':') >= 0;
  }

  /** True when the host is an IP literal (no DNS lookup needed). */
  public boolean isIpLiteral() {
    return InetAddresses.isInetAddress(host);
  }

  /** Canonical {@code host:port} form, with brackets around IPv6 literals. */
  @Override
  public String toString() {
    return (isIpv6Literal() ? "[" + host + "]" : host) + ":" + port;
  }
}
