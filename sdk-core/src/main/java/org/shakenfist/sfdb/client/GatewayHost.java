package org.shakenfist.sfdb.client;

import com.google.common.net.InetAddresses;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Locale;
import java.util.regex.Pattern;

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
    host = normalizeHost(host, "GatewayHost.host");
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

  /**
   * The host as it stands in a URI or before {@code :port}: {@code [fd00::1]} for an IPv6 literal, the host
   * itself otherwise, e.g. {@code URI.create("http://" + h.uriHost() + ":13006/metrics")}.
   */
  public String uriHost() {
    return isIpv6Literal() ? "[" + host + "]" : host;
  }

  /** Canonical {@code host:port} form, with brackets around IPv6 literals. */
  @Override
  public String toString() {
    return uriHost() + ":" + port;
  }

  private static final Pattern LABEL = Pattern.compile("[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?");
  private static final Pattern NUMERIC = Pattern.compile("[0-9.]+");

  /** Validates and normalizes a host (lower case, IPv6 compressed). */
  private static String normalizeHost(String host, String variable) {
    if (host == null) {
      throw new DatabaseConfigException(variable, null, "host is missing");
    }
    String problem = problemOf(host);
    if (problem != null) {
      throw new DatabaseConfigException(variable, host, problem);
    }
    if (host.indexOf(':') >= 0) {
      return InetAddresses.toAddrString(InetAddresses.forString(host));
    }
    return host.toLowerCase(Locale.ROOT);
  }

  private static String problemOf(String host) {
    if (host.isEmpty()) {
      return "host is empty";
    }
    if (host.indexOf(':') >= 0) {
      return isIpv6(host) ? null : "\"" + host + "\" is not a valid IPv6 address";
    }
    String lower = host.toLowerCase(Locale.ROOT);
    if (NUMERIC.matcher(lower).matches()) {
      return InetAddresses.isInetAddress(lower) ? null : "\"" + host + "\" is not a valid IPv4 address";
    }
    String name = lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    if (name.length() > 253 || name.isEmpty()) {
      return "\"" + host + "\" is not a valid host name (1..253 characters)";
    }
    for (String label : name.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return "\"" + host + "\" is not a valid host name: use letters, digits, '-', '_' and '.' "
            + "(labels of 1..63 characters, not starting or ending with '-')";
      }
    }
    return null;
  }

  /** True for an IPv6 literal without brackets or zone. */
  static boolean isIpv6(String s) {
    if (s.indexOf(':') < 0 || s.indexOf('%') >= 0 || !InetAddresses.isInetAddress(s)) {
      return false;
    }
    InetAddress a = InetAddresses.forString(s);
    return a instanceof Inet6Address;
  }
}
